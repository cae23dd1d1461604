import { createPublicKey } from 'node:crypto';
import { checkX509SvidDer, SpiffeId } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { type CachedEntry, cachedEntry, compactInt64 } from '../../../src/agent/manager/entry.js';
import { CachedSvid } from '../../../src/agent/manager/svid-cache.js';
import { newPrivateKey } from '../../../src/agent/plugin/keymanager/index.js';
import { FakeClock } from '../../../src/common/clock/index.js';
import { makeFakeCa } from '../runtime/fake-ca.js';
import { entryProto, type TestEntry } from '../runtime/fake-server-api.js';

const NOW = Date.UTC(2030, 0, 1);
const A: TestEntry = {
  id: 'e1',
  spiffeId: 'spiffe://example.org/a',
  selectors: ['unix:uid:1000'],
  hint: 'front',
  federatesWith: ['other.org'],
};
const B: TestEntry = { id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: ['unix:uid:1'] };

function entry(e: TestEntry): CachedEntry {
  const out = cachedEntry(entryProto(e));
  if (!out) throw new Error(`test entry ${e.id} was refused`);
  return out;
}

/** An SVID for `A` from a CA whose root expires before the leaf (to check C28), and its parts. */
async function minted() {
  const clock = new FakeClock(NOW);
  const ca = await makeFakeCa({ clock, x509SvidTtlMs: 3600_000 });
  // A second CA, shorter-lived: its root stands in for an intermediate that expires first.
  const shortCa = await makeFakeCa({ clock, caTtlMs: 1800_000 });
  const key = await newPrivateKey('ec-p256');
  const [leaf] = await ca.mint(SpiffeId.fromString(A.spiffeId), createPublicKey(key));
  if (!leaf) throw new Error('the fake CA minted no leaf');
  const chain = [leaf, shortCa.root.raw];
  const checked = checkX509SvidDer(
    chain,
    createPublicKey(key).export({ type: 'spki', format: 'der' }),
  );
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return { svid: new CachedSvid(entry(A), checked, pkcs8), chain, pkcs8 };
}

describe('CachedSvid: one object per SVID, chain and key held on the JS heap (issue 4)', () => {
  it('gives back the chain and key byte for byte as minted, each in a buffer of its own', async () => {
    const { svid, chain, pkcs8 } = await minted();
    const chainDer = Buffer.concat(chain);

    expect(Buffer.from(svid.certChainDer).equals(chainDer)).toBe(true);
    expect(Buffer.from(svid.privateKeyPkcs8).equals(pkcs8)).toBe(true);
    expect(svid.certChainDer.byteLength).toBe(chainDer.length);
    expect(svid.privateKeyPkcs8.byteLength).toBe(pkcs8.length);
    // Not slices of Node's shared pool, which later unfilled allocations reuse.
    expect(svid.privateKeyPkcs8.buffer.byteLength).toBe(pkcs8.length);
    expect(svid.certChainDer.buffer.byteLength).toBe(chainDer.length);
  });

  it('keeps every byte value (0x00-0xff) through its one-byte string form', async () => {
    const { svid: real } = await minted();
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const key = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    const checked = {
      certificates: [every, every.subarray(128)],
      notBefore: new Date(NOW),
      notAfter: new Date(NOW),
      chainNotAfter: new Date(NOW),
    };
    const svid = new CachedSvid(real.entry, checked as never, key);
    expect([...svid.certChainDer]).toEqual([...every, ...every.subarray(128)]);
    expect([...svid.privateKeyPkcs8]).toEqual([...key]);
  });

  it('cannot be changed through the bytes it hands out', async () => {
    const { svid, chain, pkcs8 } = await minted();
    svid.certChainDer.fill(0);
    svid.privateKeyPkcs8.fill(0);
    expect(Buffer.from(svid.certChainDer).equals(Buffer.concat(chain))).toBe(true);
    expect(Buffer.from(svid.privateKeyPkcs8).equals(pkcs8)).toBe(true);
  });

  it('reads notBefore from the leaf and notAfter as the earliest of the chain (C28)', async () => {
    const { svid } = await minted();
    expect(svid.notBeforeMs).toBe(NOW - 10_000); // back-dated 10 s (C29)
    expect(svid.notAfterMs).toBe(NOW + 1800_000);
    expect(svid.expiresAtMs).toBe(NOW + 3600_000); // the leaf's own notAfter
  });

  it("gives the workload the fields of the entry it was minted for, and can't be changed", async () => {
    const { svid } = await minted();
    expect(svid.entryId).toBe('e1');
    expect(svid.spiffeId.toString()).toBe('spiffe://example.org/a');
    expect(svid.hint).toBe('front');
    expect(svid.federatesWith).toEqual(['other.org']);
    expect(svid.entryCreatedAt).toBe(1_900_000_000);
    expect(Object.isFrozen(svid)).toBe(true);
    expect(() => {
      (svid as { entry: unknown }).entry = entry(B);
    }).toThrow(TypeError);
  });

  it.each<[string, Partial<TestEntry>, boolean]>([
    ['the same version', {}, true],
    ['a new revision', { revision: 2n }, false],
    ['the entry created anew', { createdAt: 1_900_000_001n }, false],
    ['another entry of the same version', { id: 'e2' }, false],
  ])('is minted for %s: %s (D07)', async (_what, change, expected) => {
    const { svid } = await minted();
    expect(svid.mintedFor(entry({ ...A, ...change }))).toBe(expected);
  });

  it('tells int64 revisions apart past 2^53 (no rounded comparison)', () => {
    const high = entry({ ...A, revision: 9_007_199_254_740_993n });
    expect(high.sameVersion(entry({ ...A, revision: 9_007_199_254_740_993n }))).toBe(true);
    expect(high.sameVersion(entry({ ...A, revision: 9_007_199_254_740_992n }))).toBe(false);
    expect(high.revision).toBe(9_007_199_254_740_993n);
  });
});

describe('compactInt64', () => {
  it.each<[bigint, number | bigint]>([
    [0n, 0],
    [1n, 1],
    [1_900_000_000n, 1_900_000_000],
    [9_007_199_254_740_991n, 9_007_199_254_740_991],
    [-9_007_199_254_740_991n, -9_007_199_254_740_991],
    [9_007_199_254_740_992n, 9_007_199_254_740_992n],
    [-9_007_199_254_740_992n, -9_007_199_254_740_992n],
    [9_223_372_036_854_775_807n, 9_223_372_036_854_775_807n],
  ])('holds %s as %s: a number only where it is exact', (value, expected) => {
    expect(compactInt64(value)).toBe(expected);
  });
});
