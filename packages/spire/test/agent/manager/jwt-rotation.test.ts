import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../../test/support/vectors.js';
import { jwtCacheKey } from '../../../src/agent/manager/jwt-cache.js';
import { shouldRotate } from '../../../src/agent/manager/rotation.js';
import { collect, leafOf, makeManager, sel, settle } from './support.js';

const UID = 'unix:uid:1000';

interface CacheCase {
  id: string;
  request_1: { audience: string[] };
  request_2: { audience: string[] };
}
const cacheCases = readVectorJson<{ workload_api_cache_cases: CacheCase[] }>(
  'jwtsvid.json',
).workload_api_cache_cases;

function audOf(token: string): unknown {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).aud;
}

describe('JWT-SVID cache keys (C19)', () => {
  it.each([
    ['JWT-C1', ['ab', 'cd'], ['a', 'bcd'], false],
    ['JWT-C2 (same set, other order: one key, as SPIRE sorts)', ['x', 'y'], ['y', 'x'], true],
    ['JWT-C2 vs a joined audience', ['x', 'y'], ['xy'], false],
    ['JWT-C2 vs a comma-joined audience', ['x', 'y'], ['x,y'], false],
    ['NUL inside an audience', ['a\u0000b'], ['a', 'b'], false],
  ])('%s', (_name, a, b, same) => {
    const id = 'spiffe://example.org/web';
    expect(jwtCacheKey(id, a) === jwtCacheKey(id, b)).toBe(same);
  });

  it.each(cacheCases.map((c) => [c.id, c] as const))(
    '%s from jwtsvid.json: the second token carries exactly the second audience (WAPI 6.2.1)',
    async (_id, c) => {
      const { api, manager } = await makeManager();
      api.put({ id: 'e1', spiffeId: 'spiffe://example.org/web', selectors: [UID] });
      await manager.synchronize();
      const [first] = await manager.fetchJwtSvids(sel(UID), c.request_1.audience);
      const [second] = await manager.fetchJwtSvids(sel(UID), c.request_2.audience);
      const expected = [...c.request_2.audience];
      const aud = audOf(second?.token ?? '') as string[];
      if (c.id === 'JWT-C1') {
        expect(second?.token).not.toBe(first?.token);
        expect(aud).toEqual(expected);
      } else {
        expect([...aud].sort()).toEqual([...expected].sort());
      }
    },
  );
});

describe('JWT-SVID reuse', () => {
  it('reuses a token while more than half its lifetime remains, then fetches a new one', async () => {
    const { api, manager, clock } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/web', selectors: [UID] });
    await manager.synchronize();
    const [first] = await manager.fetchJwtSvids(sel(UID), ['aud1']);
    clock.advance(60_000);
    const [again] = await manager.fetchJwtSvids(sel(UID), ['aud1']);
    expect(again?.token).toBe(first?.token);
    expect(api.calls.jwt).toBe(1);

    clock.advance(120_000); // 180 s of a 300 s token: less than half left
    const [fresh] = await manager.fetchJwtSvids(sel(UID), ['aud1']);
    expect(fresh?.token).not.toBe(first?.token);
    expect(api.calls.jwt).toBe(2);
  });

  it('serves a still-valid cached token when the server fails, and fails once it expired', async () => {
    const { api, manager, clock } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/web', selectors: [UID] });
    await manager.synchronize();
    const [first] = await manager.fetchJwtSvids(sel(UID), ['aud1']);
    api.down = new Error('server unreachable');
    clock.advance(200_000);
    const [cached] = await manager.fetchJwtSvids(sel(UID), ['aud1']);
    expect(cached?.token).toBe(first?.token);

    clock.advance(200_000);
    await expect(manager.fetchJwtSvids(sel(UID), ['aud1'])).rejects.toMatchObject({
      code: 'ERR_AGENT_MANAGER_JWT_UNAVAILABLE',
    });
  });

  it('refuses an empty audience list', async () => {
    const { manager } = await makeManager();
    await expect(manager.fetchJwtSvids(sel(UID), [])).rejects.toMatchObject({
      code: 'ERR_AGENT_MANAGER_INVALID_ARGUMENT',
    });
  });
});

describe('rotation at half life (D24)', () => {
  it.each([
    ['70 s lifetime, 40 s left, jitter 0', 30_000, 0.5, false],
    ['70 s lifetime, 35 s left, jitter 0', 35_000, 0.5, true],
    ['70 s lifetime, 38 s left, jitter +10%', 32_000, 1 - 1e-9, true],
    ['70 s lifetime, 32 s left, jitter -10%', 38_000, 0, false],
    ['expired', 70_000, 0.5, true],
  ])('shouldRotate: %s', (_n, elapsed, r, expected) => {
    expect(shouldRotate(elapsed, 0, 70_000, () => r)).toBe(expected);
  });

  it('renews a workload SVID past half its life and pushes exactly one update', async () => {
    const { api, manager, clock } = await makeManager({ ttlMs: 60_000 });
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/web', selectors: [UID] });
    await manager.synchronize();
    const sub = collect(manager, sel(UID));
    await settle();

    clock.advance(20_000); // 40 s of a 70 s lifetime left: not yet
    await manager.synchronize();
    await settle();
    expect(sub.states).toHaveLength(1);

    clock.advance(10_000); // 30 s left, under the 35 s half life
    await manager.synchronize();
    await settle();
    await sub.stop();
    expect(sub.states).toHaveLength(2);
    const [a, b] = sub.states.map((s) => leafOf(s.identities[0])?.serialNumber);
    expect(a).not.toBe(b);
    expect(api.calls.csrs).toBe(2);
  });

  it('keeps serving cached SVIDs while the server is down and catches up after (item 7)', async () => {
    const { api, manager } = await makeManager();
    api.put({ id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] });
    await manager.synchronize();
    api.down = new Error('unreachable');
    api.put({ id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: [UID] });
    await expect(manager.synchronize()).rejects.toThrow('unreachable');
    expect(manager.snapshot(sel(UID)).identities).toHaveLength(1);
    api.down = undefined;
    await manager.synchronize();
    expect(manager.snapshot(sel(UID)).identities).toHaveLength(2);
  });
});
