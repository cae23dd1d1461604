/**
 * Workload private keys sealed while the agent caches them. A cached SVID keeps its chain and key
 * on the JS heap (svid-cache.ts), and the JS heap is what a heap snapshot writes out, string
 * contents included (`--heapsnapshot-signal`, `--heapsnapshot-near-heap-limit`, the inspector,
 * `v8.writeHeapSnapshot`): the very files someone takes to look into the agent's memory and may
 * attach to a bug report. So the key bytes on the heap are AES-256-CTR ciphertext under a key made
 * at random per process and held in an ArrayBuffer's backing store, which snapshots leave out.
 * Each sealing takes a new nonce from a counter, so no two keys share a keystream: a workload that
 * knows its own key learns nothing about another's from a snapshot.
 *
 * This is about snapshots, not about an attacker who can read the process's memory (a core dump,
 * `/proc/<pid>/mem`): that one finds the process key, and plaintext keys in transit, as before.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const CIPHER = 'aes-256-ctr';
const NONCE_BYTES = 6; // 2^48 sealings per process: far beyond any agent's lifetime

let processKey: Buffer | undefined;
let sealed = 0;

/** A nonce never used before in this process, for {@link sealKey}. */
export function nextNonce(): number {
  sealed++;
  if (sealed >= 2 ** (8 * NONCE_BYTES)) throw new RangeError('sealed-key nonces exhausted');
  return sealed;
}

/** `key` encrypted under the process key with `nonce` (same length as `key`). */
export function sealKey(key: Uint8Array, nonce: number): Buffer {
  const cipher = createCipheriv(CIPHER, theProcessKey(), iv(nonce));
  return Buffer.concat([cipher.update(key), cipher.final()]);
}

/** The key {@link sealKey} sealed with `nonce`, in a buffer of its own. */
export function openKey(sealedKey: Uint8Array, nonce: number): Uint8Array {
  const decipher = createDecipheriv(CIPHER, theProcessKey(), iv(nonce));
  const head = decipher.update(sealedKey);
  const tail = decipher.final();
  // CTR leaves nothing for final(). Buffer.concat would copy the plaintext into Node's shared
  // pool, whose later unfilled `allocUnsafe` slices could then hand key bytes to other code.
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

function theProcessKey(): Buffer {
  processKey ??= randomBytes(32);
  return processKey;
}

// The nonce in the IV's high bytes; the low 8 bytes count AES blocks within one key.
function iv(nonce: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeUIntBE(nonce, 8 - NONCE_BYTES, NONCE_BYTES);
  return out;
}
