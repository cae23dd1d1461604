import { X509Svid } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { MAX_CSRS_PER_BATCH } from '../../../src/agent/manager/synchronizer.js';
import { collect, ids, leafOf, makeManager, sel, settle } from './support.js';

const UID = 'unix:uid:1000';

describe('CacheManager sync', () => {
  it('mints an SVID per authorized entry and serves it to matching workloads', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/web', selectors: [UID] });
    expect(manager.ready()).toBe(false);

    await manager.synchronize();

    expect(manager.ready()).toBe(true);
    const state = manager.snapshot(sel(UID, 'unix:gid:1000'));
    expect(ids(state)).toEqual(['spiffe://example.org/web']);
    const identity = state.identities[0];
    // The cached DER parses as an X509-SVID for the entry's ID whose leaf matches the key.
    const svid = X509Svid.parse(identity?.certChainDer ?? [], identity?.privateKeyPkcs8 ?? '');
    expect(svid.id.toString()).toBe(identity?.spiffeId.toString());
    expect(state.bundle.x509Authorities()).toHaveLength(1);
  });

  it.each([
    [
      'entry selectors all among the workload selectors',
      [UID, 'unix:gid:1'],
      ['spiffe://example.org/a'],
    ],
    ['workload lacks one of the entry selectors', ['unix:gid:1'], []],
    ['workload selector differs only in value', ['unix:uid:1001', 'unix:gid:1'], []],
  ])('matches entries whose selectors are a subset (§3.8): %s', async (_n, workload, expected) => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID, 'unix:gid:1'] });
    await manager.synchronize();
    expect(ids(manager.snapshot(sel(...workload)))).toEqual(expected);
  });

  it('orders identities by entry id as SPIRE does (D29)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'b-entry', spiffeId: 'spiffe://example.org/one', selectors: [UID] });
    api.put({ id: 'a-entry', spiffeId: 'spiffe://example.org/two', selectors: [UID] });
    await manager.synchronize();
    expect(ids(manager.snapshot(sel(UID)))).toEqual([
      'spiffe://example.org/two',
      'spiffe://example.org/one',
    ]);
  });

  it('pushes an added entry and then its removal to a subscriber (D27)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] });
    await manager.synchronize();
    const sub = collect(manager, sel(UID));
    await settle();

    api.put({ id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: [UID] });
    await manager.synchronize();
    await settle();
    api.entries.delete('e2');
    await manager.synchronize();
    await settle();
    await sub.stop();

    expect(sub.states.map(ids)).toEqual([
      ['spiffe://example.org/a'],
      ['spiffe://example.org/a', 'spiffe://example.org/b'],
      ['spiffe://example.org/a'],
    ]);
  });

  it('does not push to an existing subscriber when another subscribes (C27)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] });
    await manager.synchronize();
    const first = collect(manager, sel(UID));
    await settle();
    const second = collect(manager, sel(UID));
    await settle();
    await manager.synchronize();
    await settle();
    await first.stop();
    await second.stop();
    expect(first.states).toHaveLength(1);
    expect(second.states).toHaveLength(1);
  });

  it('does not push when a new entry does not match the subscriber (D28)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'foo', spiffeId: 'spiffe://example.org/foo', selectors: [UID] });
    await manager.synchronize();
    const sub = collect(manager, sel(UID));
    await settle();
    api.put({ id: 'bar', spiffeId: 'spiffe://example.org/bar', selectors: [UID, 'unix:gid:4242'] });
    await manager.synchronize();
    await settle();
    await sub.stop();
    expect(sub.states.map(ids)).toEqual([['spiffe://example.org/foo']]);
  });

  it('re-mints an SVID when its entry revision changes, and pushes it once (D07)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] });
    await manager.synchronize();
    const before = manager.snapshot(sel(UID)).identities[0];
    const sub = collect(manager, sel(UID));
    await settle();

    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID], revision: 2n });
    await manager.synchronize();
    await settle();
    await sub.stop();

    const after = manager.snapshot(sel(UID)).identities[0];
    expect(leafOf(after)?.serialNumber).not.toBe(leafOf(before)?.serialNumber);
    expect(sub.states).toHaveLength(2);
    expect(sub.states[1]?.identities[0]).toBe(after);
  });

  it('sends CSRs in batches of at most 500 (reference §4.4)', async () => {
    const { api, manager } = await makeManager({ x509SvidCacheMaxSize: 2000 });
    for (let i = 0; i < 1001; i++) {
      api.put({ id: `e${i}`, spiffeId: `spiffe://example.org/w${i}`, selectors: [UID] });
    }
    await manager.synchronize();
    expect(MAX_CSRS_PER_BATCH).toBe(500);
    expect(api.calls.x509).toBe(3);
    expect(api.calls.csrs).toBe(1001);
    expect(manager.cache.svids().size).toBe(1001);
  }, 30_000);

  it('keeps at most x509_svid_cache_max_size SVIDs, but always those of subscribed entries', async () => {
    const { api, manager } = await makeManager({ x509SvidCacheMaxSize: 2 });
    for (const n of [1, 2, 3, 4]) {
      api.put({
        id: `e${n}`,
        spiffeId: `spiffe://example.org/w${n}`,
        selectors: [`unix:uid:${n}`],
      });
    }
    const sub = collect(manager, sel('unix:uid:4'));
    await manager.synchronize();
    await settle();
    await sub.stop();

    expect(manager.cache.svids().size).toBe(2);
    expect(manager.cache.svids().has('e4')).toBe(true);
    expect(ids(sub.states.at(-1))).toEqual(['spiffe://example.org/w4']);
  });

  it('skips an entry the server refuses to sign and serves the rest', async () => {
    const { api, manager, lines } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] });
    api.put({ id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: [UID] });
    api.refuse.add('e2');
    await manager.synchronize();
    expect(ids(manager.snapshot(sel(UID)))).toEqual(['spiffe://example.org/a']);
    expect(
      lines.some((l) => l.msg === 'Failed to mint X509 SVID' && l.registration_id === 'e2'),
    ).toBe(true);
  });
});
