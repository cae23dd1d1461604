import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nextNonce, openKey, sealKey } from '../../../src/agent/manager/sealed-key.js';

const SVID_CACHE = fileURLToPath(
  new URL('../../../src/agent/manager/svid-cache.ts', import.meta.url),
);

describe('sealed workload keys (agent cache)', () => {
  it('opens what it sealed, byte for byte, for every byte value', () => {
    const key = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const nonce = nextNonce();
    const sealed = sealKey(key, nonce);
    expect(sealed.length).toBe(key.length);
    expect(Buffer.from(sealed).equals(Buffer.from(key))).toBe(false);
    expect([...openKey(sealed, nonce)]).toEqual([...key]);
  });

  it('never reuses a nonce, so equal keys seal to unrelated bytes', () => {
    const key = randomBytes(138);
    const a = nextNonce();
    const b = nextNonce();
    expect(b).toBeGreaterThan(a);
    const sealedA = sealKey(key, a);
    const sealedB = sealKey(key, b);
    expect(sealedA.equals(sealedB)).toBe(false);
    // With a shared keystream, sealedA xor sealedB would be all zero bytes.
    expect(sealedA.every((byte, i) => byte === sealedB[i])).toBe(false);
    expect(Buffer.from(openKey(sealedB, b)).equals(key)).toBe(true);
  });

  it('does not open under another nonce', () => {
    const key = randomBytes(64);
    const nonce = nextNonce();
    expect(Buffer.from(openKey(sealKey(key, nonce), nonce + 1)).equals(key)).toBe(false);
  });

  it('keeps a cached SVID key out of heap snapshots, which write out the chain string', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealed-key-'));
    try {
      const chain = `chain-marker-${randomBytes(24).toString('hex')}`;
      const keyFile = join(dir, 'key');
      const file = join(dir, 'agent.heapsnapshot');
      // A child process of its own, so the snapshot is small. The child makes the key as bytes,
      // never as a string (its source text and argv are on the heap too), printable so that the
      // snapshot's string escaping cannot hide a match, and writes it out for this side.
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { CachedSvid } = await import(${JSON.stringify(SVID_CACHE)});
           const { randomBytes } = await import('node:crypto');
           const { writeFileSync } = await import('node:fs');
           const { writeHeapSnapshot } = await import('node:v8');
           const key = randomBytes(64).map((b) => 97 + (b % 26));
           writeFileSync(${JSON.stringify(keyFile)}, key);
           const at = new Date(Date.UTC(2030, 0, 1));
           const checked = { certificates: [Buffer.from(${JSON.stringify(chain)})], notBefore: at, notAfter: at, chainNotAfter: at };
           globalThis.held = new CachedSvid({}, checked, key);
           if (!Buffer.from(globalThis.held.privateKeyPkcs8).equals(key)) process.exit(3);
           writeHeapSnapshot(${JSON.stringify(file)});`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const { strings } = JSON.parse(readFileSync(file, 'utf8')) as { strings: string[] };
      expect(strings.some((s) => s.includes(chain))).toBe(true);
      const key = readFileSync(keyFile, 'latin1');
      expect(key).toMatch(/^[a-z]{64}$/);
      expect(strings.filter((s) => s.includes(key))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
