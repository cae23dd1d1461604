import { describe, expect, it } from 'vitest';
import type { TestEntry } from '../runtime/fake-server-api.js';
import { ids, leafOf, makeManager, sel } from './support.js';

const UID = 'unix:uid:1000';
const A: TestEntry = { id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] };
const B: TestEntry = { id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: [UID] };

describe('entry sync with the slim cached entry (SyncAuthorizedEntries, reference §3.3)', () => {
  it('caches only what the agent uses of an entry, not the server message', async () => {
    const { api, manager } = await makeManager();
    api.put({ ...A, hint: 'front', federatesWith: ['Other.org'], dnsNames: ['a.example.org'] });
    await manager.synchronize();

    const entry = manager.cache.entries().get('e1');
    // revision and created_at are held privately (as small numbers) and read back as bigints.
    expect(Object.keys(entry ?? {})).toEqual([
      'id',
      'spiffeId',
      'selectorKeys',
      'federatesWith',
      'hint',
    ]);
    expect(entry?.spiffeId.toString()).toBe('spiffe://example.org/a');
    expect(entry?.selectorKeys).toEqual(['unix:uid:1000']);
    expect(entry?.federatesWith).toEqual(['other.org']);
    expect(entry?.hint).toBe('front');
    expect(entry?.revision).toBe(1n);
    expect(entry?.createdAt).toBe(1_900_000_000n);
  });

  it('keeps an unchanged entry: it is not fetched again and its SVID is not re-minted', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    await manager.synchronize();
    const entry = manager.cache.entries().get('e1');
    const svid = manager.snapshot(sel(UID)).identities[0];

    await manager.synchronize();
    await manager.synchronize();

    expect(api.calls.entries).toBe(3);
    expect(api.lastFetched).toEqual([]);
    expect(manager.cache.entries().get('e1')).toBe(entry);
    expect(manager.snapshot(sel(UID)).identities[0]).toBe(svid);
    expect(api.csrsFor.get('e1')).toBe(1);
  });

  it('fetches an entry changed on the server (new revision) and only that one', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    api.put(B);
    await manager.synchronize();
    expect(api.lastFetched).toEqual(['e1', 'e2']);

    api.put({ ...B, hint: 'new hint', revision: 2n });
    await manager.synchronize();

    expect(api.lastFetched).toEqual(['e2']);
    expect(manager.cache.entries().get('e2')?.hint).toBe('new hint');
    expect(manager.cache.entries().get('e2')?.revision).toBe(2n);
    expect(api.csrsFor.get('e1')).toBe(1);
    expect(api.csrsFor.get('e2')).toBe(2);
    expect(manager.snapshot(sel(UID)).identities.map((i) => i.hint)).toEqual(['', 'new hint']);
  });

  it('drops an entry deleted on the server, with its SVID (D27)', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    api.put(B);
    await manager.synchronize();

    api.entries.delete('e2');
    await manager.synchronize();

    expect(api.lastFetched).toEqual([]);
    expect([...manager.cache.entries().keys()]).toEqual(['e1']);
    expect([...manager.cache.svids().keys()]).toEqual(['e1']);
    expect(ids(manager.snapshot(sel(UID)))).toEqual(['spiffe://example.org/a']);
  });

  it('refetches and re-mints an entry created anew under the same id and revision', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    await manager.synchronize();

    api.put({ ...A, spiffeId: 'spiffe://example.org/again', createdAt: 1_900_000_500n });
    await manager.synchronize();

    expect(api.lastFetched).toEqual(['e1']);
    expect(api.csrsFor.get('e1')).toBe(2);
    const identity = manager.snapshot(sel(UID)).identities[0];
    expect(identity?.spiffeId.toString()).toBe('spiffe://example.org/again');
    expect(identity?.entryCreatedAt).toBe(1_900_000_500);
    expect(leafOf(identity)?.subjectAltName).toBe('URI:spiffe://example.org/again');
  });

  it.each<[string, Partial<TestEntry>, string[], string]>([
    [
      'SPIFFE ID',
      { spiffeId: 'spiffe://example.org/moved' },
      [UID],
      'URI:spiffe://example.org/moved',
    ],
    [
      'selectors',
      { selectors: [UID, 'unix:gid:1'] },
      [UID, 'unix:gid:1'],
      'URI:spiffe://example.org/a',
    ],
    ['X509-SVID TTL', { x509SvidTtl: 600 }, [UID], 'URI:spiffe://example.org/a'],
    [
      'DNS names',
      { dnsNames: ['b.example.org'] },
      [UID],
      'DNS:b.example.org, URI:spiffe://example.org/a',
    ],
  ])('re-mints the SVID when the entry %s changes (D07)', async (_what, change, workload, san) => {
    const { api, manager } = await makeManager();
    api.put(A);
    await manager.synchronize();
    const before = manager.snapshot(sel(UID)).identities[0];

    api.put({ ...A, ...change, revision: 2n });
    await manager.synchronize();

    expect(api.lastFetched).toEqual(['e1']);
    expect(api.csrsFor.get('e1')).toBe(2);
    const after = manager.snapshot(sel(...workload)).identities[0];
    expect(after).not.toBe(before);
    expect(leafOf(after)?.serialNumber).not.toBe(leafOf(before)?.serialNumber);
    expect(leafOf(after)?.subjectAltName).toBe(san);
  });

  it('mints the new SVID with the changed X509-SVID TTL', async () => {
    const { api, manager, clock } = await makeManager();
    api.put(A);
    await manager.synchronize();
    api.put({ ...A, x509SvidTtl: 600, revision: 2n });
    await manager.synchronize();

    const identity = manager.snapshot(sel(UID)).identities[0];
    expect((identity?.expiresAtMs ?? 0) - clock.now()).toBe(600_000);
  });

  it('does not re-mint an entry when another entry changes', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    api.put(B);
    await manager.synchronize();
    api.put({ ...B, spiffeId: 'spiffe://example.org/c', revision: 5n });
    await manager.synchronize();
    expect(api.csrsFor.get('e1')).toBe(1);
    expect(api.csrsFor.get('e2')).toBe(2);
    expect(ids(manager.snapshot(sel(UID)))).toEqual([
      'spiffe://example.org/a',
      'spiffe://example.org/c',
    ]);
  });

  it('shares one trust domain object among entries and forgets one no entry is in', async () => {
    const { api, manager } = await makeManager();
    api.put(A);
    api.put(B);
    api.put({ id: 'e3', spiffeId: 'spiffe://other.org/x', selectors: [UID] });
    api.refuse.add('e3'); // the fake CA signs only example.org
    await manager.synchronize();
    const entries = manager.cache.entries();
    expect(entries.get('e1')?.spiffeId.trustDomain).toBe(entries.get('e2')?.spiffeId.trustDomain);
    expect(manager.cache.interner.size).toBe(2);

    api.entries.delete('e3');
    await manager.synchronize();
    expect(manager.cache.interner.size).toBe(1);
  });

  it('keeps int64 revisions and creation times beyond 2^53 exact, and re-mints on a bump of one', async () => {
    const { api, manager } = await makeManager();
    // 2^53 + 1 has no exact double: a rounded copy would equal 2^53 and miss the change.
    api.put({ ...A, revision: 9_007_199_254_740_993n, createdAt: 9_223_372_036_854_775_807n });
    await manager.synchronize();
    const entry = manager.cache.entries().get('e1');
    expect(entry?.revision).toBe(9_007_199_254_740_993n);
    expect(entry?.createdAt).toBe(9_223_372_036_854_775_807n);
    const before = manager.snapshot(sel(UID)).identities[0];

    await manager.synchronize();
    expect(api.lastFetched).toEqual([]);
    expect(manager.snapshot(sel(UID)).identities[0]).toBe(before);

    api.put({ ...A, revision: 9_007_199_254_740_992n, createdAt: 9_223_372_036_854_775_807n });
    await manager.synchronize();
    expect(api.lastFetched).toEqual(['e1']);
    expect(manager.cache.entries().get('e1')?.revision).toBe(9_007_199_254_740_992n);
    expect(api.csrsFor.get('e1')).toBe(2);
    expect(manager.snapshot(sel(UID)).identities[0]).not.toBe(before);
  });

  it('re-mints an entry created anew with a creation time that differs only past 2^53', async () => {
    const { api, manager } = await makeManager();
    api.put({ ...A, createdAt: 9_007_199_254_740_992n });
    await manager.synchronize();
    api.put({ ...A, createdAt: 9_007_199_254_740_993n });
    await manager.synchronize();
    expect(api.lastFetched).toEqual(['e1']);
    expect(manager.cache.entries().get('e1')?.createdAt).toBe(9_007_199_254_740_993n);
    expect(api.csrsFor.get('e1')).toBe(2);
  });
});
