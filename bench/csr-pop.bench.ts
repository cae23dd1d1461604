// The CSR proof of possession on Node.js 20 / OpenSSL 3.0: every route Node offers from the bytes
// of a P-256 CSR to "this signature verifies with the key the CSR carries", each measured as the
// server pays it (a fresh key per call: every CSR has its own), in CPU microseconds per call,
// beside the raw P-256 `crypto.sign` of the same rounds. Routes take turns in short slices so that
// all see the same host load. Each route is first checked to accept the good CSRs and refuse one
// whose signature was altered, so that no figure is of a route that does not verify. Each slice
// ends with a full GC counted to its route: a key's native objects are freed then, at a cost.
// `npm run bench -- csr-pop`; BENCH_ROUNDS=n for more rounds (default 8).
import {
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  type JsonWebKey as NodeJwk,
  sign,
  verify,
  webcrypto,
} from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { opensslEcdsa } from '../packages/spire/src/common/crypto/openssl-ecdsa.js';
import { readCsrPublicKey } from '../packages/spire/src/server/api/attestation/csr.js';
import { makeCsr } from '../packages/spire/test/server/api/attestation/support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SLICE_SECONDS = 0.25;
const COUNT = 64;

/** The pieces of one P-256 CSR each route starts from (all cut out before the rounds). */
interface Pieces {
  readonly der: Uint8Array;
  /** The signed CertificationRequestInfo (RFC 2986 §4.1). */
  readonly info: Buffer;
  /** The signature as the CSR carries it: DER Ecdsa-Sig-Value (RFC 5480 §2.2). */
  readonly sigDer: Buffer;
  /** The same signature as r || s, 32 bytes each (WebCrypto's form). */
  readonly sigP1363: Buffer;
  readonly spki: Buffer;
  /** The uncompressed point 0x04 || X || Y. */
  readonly point: Buffer;
  readonly jwk: NodeJwk;
  readonly pem: string;
}

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;

const pieces = await Promise.all(
  Array.from({ length: COUNT }, async () => piecesOf((await makeCsr()).der)),
);

type Route = (p: Pieces) => boolean | Promise<boolean>;
const ecdsa = opensslEcdsa();
if (!ecdsa) throw new Error('OpenSSL ECDSA_verify cannot be bound in this process');
const routes: [string, Route][] = [
  [
    'OpenSSL ECDSA_verify on the point (openssl-ecdsa.ts, koffi)',
    (p) => ecdsa.verify('P-256', p.point, 'sha256', p.info, p.sigDer),
  ],
  [
    'WebCrypto raw importKey + KeyObject.from + crypto.verify',
    async (p) => {
      const key = KeyObject.from(await subtle.importKey('raw', p.point, P256, false, ['verify']));
      return verify('sha256', p.info, key, p.sigDer);
    },
  ],
  [
    'WebCrypto raw importKey + crypto.verify(CryptoKey)',
    async (p) => {
      const key = await subtle.importKey('raw', p.point, P256, false, ['verify']);
      // Node.js documents CryptoKey for crypto.verify; @types/node does not list it.
      return verify('sha256', p.info, key as unknown as KeyObject, p.sigDer);
    },
  ],
  [
    'WebCrypto raw importKey + subtle.verify (r||s)',
    async (p) => {
      const key = await subtle.importKey('raw', p.point, P256, false, ['verify']);
      return subtle.verify(ECDSA_SHA256, key, p.sigP1363, p.info);
    },
  ],
  [
    'WebCrypto spki importKey + subtle.verify (r||s)',
    async (p) => {
      const key = await subtle.importKey('spki', p.spki, P256, false, ['verify']);
      return subtle.verify(ECDSA_SHA256, key, p.sigP1363, p.info);
    },
  ],
  [
    'WebCrypto jwk importKey + subtle.verify (r||s)',
    async (p) => {
      const key = await subtle.importKey('jwk', p.jwk, P256, false, ['verify']);
      return subtle.verify(ECDSA_SHA256, key, p.sigP1363, p.info);
    },
  ],
  [
    'createPublicKey DER spki + crypto.verify',
    (p) =>
      verify(
        'sha256',
        p.info,
        createPublicKey({ key: p.spki, format: 'der', type: 'spki' }),
        p.sigDer,
      ),
  ],
  [
    'createPublicKey PEM + crypto.verify',
    (p) => verify('sha256', p.info, createPublicKey(p.pem), p.sigDer),
  ],
  [
    'createPublicKey JWK + crypto.verify',
    (p) => verify('sha256', p.info, createPublicKey({ key: p.jwk, format: 'jwk' }), p.sigDer),
  ],
  [
    'crypto.verify given the DER spki',
    (p) => verify('sha256', p.info, { key: p.spki, format: 'der', type: 'spki' }, p.sigDer),
  ],
  [
    'crypto.verify given the JWK',
    (p) => verify('sha256', p.info, { key: p.jwk, format: 'jwk' }, p.sigDer),
  ],
  ['crypto.verify given the PEM', (p) => verify('sha256', p.info, p.pem, p.sigDer)],
  [
    'readCsrPublicKey (the server: parse + proof of possession)',
    async (p) => {
      await readCsrPublicKey(p.der);
      return true;
    },
  ],
];

// The floors: the baseline signature, and a verify whose key import was paid before the rounds
// (not a route: the server never sees the same key twice).
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const tbs = Buffer.alloc(400, 7);
const preImported = pieces.map((p) =>
  createPublicKey({ key: p.spki, format: 'der', type: 'spki' }),
);
for (const [i, p] of pieces.entries())
  verify('sha256', p.info, preImported[i] as KeyObject, p.sigDer);
const floors: [string, (p: Pieces, i: number) => boolean][] = [
  ['raw P-256 crypto.sign (baseline)', () => sign('sha256', tbs, privateKey).length > 0],
  [
    'crypto.verify alone, key imported earlier',
    (p, i) => verify('sha256', p.info, preImported[i] as KeyObject, p.sigDer),
  ],
];

await checkRoutes();
const all: [string, (p: Pieces, i: number) => boolean | Promise<boolean>][] = [
  ...floors,
  ...routes,
];
const cpuUs = await interleaved(all);
const baseUs = cpuUs[0] as number;
console.log(`P-256 CSR proof of possession, CPU us per call (${ROUNDS} rounds interleaved):`);
all.forEach(([name], i) => {
  const us = cpuUs[i] as number;
  console.log(
    `  ${name.padEnd(60)} ${us.toFixed(1).padStart(7)} us  x sign ${(us / baseUs).toFixed(2)}`,
  );
});

/** Every route accepts each good CSR and refuses one with a flipped signature byte. */
async function checkRoutes(): Promise<void> {
  const good = pieces[0] as Pieces;
  const bad = piecesOf(flipSignatureByte(good.der));
  for (const [name, route] of routes) {
    if (name.startsWith('readCsrPublicKey')) continue;
    const ok = await route(good);
    let refused = false;
    try {
      refused = !(await route(bad));
    } catch {
      refused = true;
    }
    if (!ok || !refused) throw new Error(`route "${name}" does not verify the CSR signature`);
  }
}

/** CPU microseconds per call of each entry, entries taking turns in slices, keys cycling. */
async function interleaved(list: [string, (p: Pieces, i: number) => unknown][]): Promise<number[]> {
  const ops = list.map(() => 0);
  const cpu = list.map(() => 0);
  let k = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, fn]] of list.entries()) {
      const c0 = process.cpuUsage();
      const until = performance.now() + SLICE_SECONDS * 1000;
      let n = 0;
      while (performance.now() < until) {
        const at = k++ % COUNT;
        await fn(pieces[at] as Pieces, at);
        n++;
      }
      // Freeing a key's native objects happens at GC and costs about 10-16 us a key: collect
      // now, so that each route pays for its own keys and not the next route's slice.
      collect();
      const c = process.cpuUsage(c0);
      ops[i] = (ops[i] as number) + n;
      cpu[i] = (cpu[i] as number) + c.user + c.system;
    }
  }
  return cpu.map((c, i) => c / (ops[i] as number));
}

/** A full collection when the bench runs with --expose-gc (`npm run bench` does). */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The pieces of a P-256 CSR made by `makeCsr` (short-form lengths inside the request info). */
function piecesOf(der: Uint8Array): Pieces {
  const buf = Buffer.from(der);
  const outer = tlvAt(buf, 0);
  const info = tlvAt(buf, outer.body);
  const algorithm = tlvAt(buf, info.end);
  const signature = tlvAt(buf, algorithm.end);
  const version = tlvAt(buf, info.body);
  const subject = tlvAt(buf, version.end);
  const spkiTlv = tlvAt(buf, subject.end);
  const spki = buf.subarray(subject.end, spkiTlv.end);
  const point = spki.subarray(spki.length - 65);
  const sigDer = buf.subarray(signature.body + 1, signature.end);
  return {
    der,
    info: buf.subarray(outer.body, info.end),
    sigDer,
    sigP1363: p1363(sigDer),
    spki,
    point,
    jwk: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    pem: `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`,
  };
}

function tlvAt(buf: Buffer, at: number): { body: number; end: number } {
  const first = buf[at + 1] as number;
  if (first < 0x80) return { body: at + 2, end: at + 2 + first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (buf[at + 2 + i] as number);
  return { body: at + 2 + count, end: at + 2 + count + length };
}

/** DER Ecdsa-Sig-Value to r || s (each left-padded to 32 bytes). */
function p1363(sig: Buffer): Buffer {
  const out = Buffer.alloc(64);
  let at = 2;
  for (let part = 0; part < 2; part++) {
    const length = sig[at + 1] as number;
    let value = sig.subarray(at + 2, at + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    value.copy(out, part * 32 + 32 - value.length);
    at += 2 + length;
  }
  return out;
}

function flipSignatureByte(der: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}
