import { describe, expect, it } from 'vitest';
import {
  AuthorizedEntriesCache,
  type CacheableEntry,
} from '../../../src/server/cache/authorized-entries.js';

const TD = 'spiffe://example.org';
const SERVER = `${TD}/spire/server`;
const AGENT_1 = `${TD}/spire/agent/join_token/t1`;
const AGENT_2 = `${TD}/spire/agent/x509pop/abc`;

function entry(id: string, parentId: string, spiffeId: string, selectors: string[] = []) {
  return {
    id,
    parentId,
    spiffeId,
    selectors: selectors.map((s) => {
      const i = s.indexOf(':');
      return { type: s.slice(0, i), value: s.slice(i + 1) };
    }),
  } satisfies CacheableEntry;
}

function ids(entries: readonly CacheableEntry[]): string[] {
  return entries.map((e) => e.id).sort();
}

function fixture() {
  const cache = new AuthorizedEntriesCache({ serverId: SERVER });
  cache.setAgent(AGENT_1, [
    { type: 'x509pop', value: 'subject:cn:node-1' },
    { type: 'x509pop', value: 'ca:fingerprint:ff' },
  ]);
  cache.setAgent(AGENT_2, [{ type: 'x509pop', value: 'subject:cn:node-2' }]);
  for (const e of [
    entry('direct-1', AGENT_1, `${TD}/web`, ['unix:uid:1000']),
    entry('direct-2', AGENT_2, `${TD}/db`, ['unix:uid:1001']),
    entry('alias-all', SERVER, `${TD}/nodes/all`, ['x509pop:ca:fingerprint:ff']),
    entry('alias-two', SERVER, `${TD}/nodes/two`, [
      'x509pop:ca:fingerprint:ff',
      'x509pop:subject:cn:node-2',
    ]),
    entry('via-alias-all', `${TD}/nodes/all`, `${TD}/metrics`, ['unix:uid:0']),
    entry('via-alias-two', `${TD}/nodes/two`, `${TD}/only-two`, ['unix:uid:0']),
    entry('child-of-web', `${TD}/web`, `${TD}/web/sidecar`, ['unix:uid:1000']),
    entry('grandchild', `${TD}/web/sidecar`, `${TD}/web/sidecar/x`, ['unix:uid:1000']),
  ]) {
    cache.upsertEntry(e);
  }
  return cache;
}

describe('AuthorizedEntriesCache (reference §3.8: authorized entries for an agent)', () => {
  it('gives an agent its own entries, its aliases’ entries and all their descendants', () => {
    expect(ids(fixture().authorizedEntries(AGENT_1))).toEqual([
      'child-of-web',
      'direct-1',
      'grandchild',
      'via-alias-all',
    ]);
  });

  it('applies an alias only when all of its selectors are among the node selectors', () => {
    const cache = fixture();
    expect(ids(cache.aliasesOf(AGENT_1))).toEqual(['alias-all']);
    expect(ids(cache.aliasesOf(AGENT_2))).toEqual([]);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual(['direct-2']);
  });

  it('never returns the node-alias entries themselves', () => {
    const all = fixture().authorizedEntries(AGENT_1);
    expect(all.some((e) => e.parentId === SERVER)).toBe(false);
  });

  it('gives an unknown agent only entries parented directly to its ID', () => {
    const cache = fixture();
    expect(cache.authorizedEntries(`${TD}/spire/agent/unknown`)).toEqual([]);
    cache.removeAgent(AGENT_1);
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual([
      'child-of-web',
      'direct-1',
      'grandchild',
    ]);
  });

  it('follows node selector changes: a new selector brings in a new alias', () => {
    const cache = fixture();
    cache.setAgent(AGENT_2, [
      { type: 'x509pop', value: 'subject:cn:node-2' },
      { type: 'x509pop', value: 'ca:fingerprint:ff' },
    ]);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual([
      'direct-2',
      'via-alias-all',
      'via-alias-two',
    ]);
  });

  it('follows entry updates: reparenting moves an entry and its descendants', () => {
    const cache = fixture();
    cache.upsertEntry(entry('direct-1', AGENT_2, `${TD}/web`, ['unix:uid:1000']));
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual(['via-alias-all']);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual([
      'child-of-web',
      'direct-1',
      'direct-2',
      'grandchild',
    ]);
  });

  it('follows entry deletion, of an alias and of a parent entry', () => {
    const cache = fixture();
    cache.removeEntry('alias-all');
    cache.removeEntry('child-of-web');
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual(['direct-1']);
    expect(cache.entryCount).toBe(6);
    cache.removeEntry('no-such-entry');
    expect(cache.entryCount).toBe(6);
  });

  it('turns an entry into an alias when it is reparented to the server', () => {
    const cache = fixture();
    cache.upsertEntry(entry('direct-2', SERVER, `${TD}/db`, ['x509pop:subject:cn:node-2']));
    expect(ids(cache.aliasesOf(AGENT_2))).toEqual(['direct-2']);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual([]);
  });

  it('shares one frozen answer between repeated lookups of an agent', () => {
    const cache = fixture();
    const first = cache.authorizedEntries(AGENT_1);
    expect(cache.authorizedEntries(AGENT_1)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as CacheableEntry[]).push(entry('x', AGENT_1, `${TD}/x`))).toThrow(
      TypeError,
    );
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual([
      'child-of-web',
      'direct-1',
      'grandchild',
      'via-alias-all',
    ]);
  });

  it('never serves an answer read before a change to entries or agents', () => {
    const cache = fixture();
    const before = cache.authorizedEntries(AGENT_1);
    expect(cache.authorizedEntries(AGENT_2)).toHaveLength(1);

    // An update of an entry: the new object, with its new SPIFFE ID, is what the agent gets.
    const updated = entry('direct-1', AGENT_1, `${TD}/web-v2`, ['unix:uid:1000']);
    cache.upsertEntry(updated);
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual(['direct-1', 'via-alias-all']);
    expect(cache.authorizedEntries(AGENT_1).find((e) => e.id === 'direct-1')).toBe(updated);
    expect(ids(before)).toEqual(['child-of-web', 'direct-1', 'grandchild', 'via-alias-all']);

    cache.upsertEntry(entry('new-2', AGENT_2, `${TD}/new`, ['unix:uid:7']));
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual(['direct-2', 'new-2']);

    cache.removeEntry('new-2');
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual(['direct-2']);

    cache.setAgent(AGENT_2, [
      { type: 'x509pop', value: 'subject:cn:node-2' },
      { type: 'x509pop', value: 'ca:fingerprint:ff' },
    ]);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual([
      'direct-2',
      'via-alias-all',
      'via-alias-two',
    ]);

    cache.removeAgent(AGENT_2);
    expect(ids(cache.authorizedEntries(AGENT_2))).toEqual(['direct-2']);
  });

  it('terminates on parent cycles and lists each entry once', () => {
    const cache = new AuthorizedEntriesCache({ serverId: SERVER });
    cache.upsertEntry(entry('a', AGENT_1, `${TD}/a`, ['unix:uid:1']));
    cache.upsertEntry(entry('b', `${TD}/a`, `${TD}/b`, ['unix:uid:1']));
    cache.upsertEntry(entry('c', `${TD}/b`, `${TD}/a`, ['unix:uid:2']));
    expect(ids(cache.authorizedEntries(AGENT_1))).toEqual(['a', 'b', 'c']);
  });

  it('an alias with no selectors matches no agent', () => {
    const cache = fixture();
    cache.upsertEntry(entry('empty-alias', SERVER, `${TD}/nodes/none`));
    cache.upsertEntry(entry('under-empty', `${TD}/nodes/none`, `${TD}/x`, ['unix:uid:1']));
    expect(ids(cache.aliasesOf(AGENT_1))).toEqual(['alias-all']);
  });

  it('authorizedEntry refuses an entry that belongs to another agent', () => {
    const cache = fixture();
    expect(cache.authorizedEntry(AGENT_1, 'grandchild')?.spiffeId).toBe(`${TD}/web/sidecar/x`);
    expect(cache.authorizedEntry(AGENT_1, 'direct-2')).toBeUndefined();
    expect(cache.authorizedEntry(AGENT_1, 'alias-all')).toBeUndefined();
    expect(cache.authorizedEntry(AGENT_1, 'missing')).toBeUndefined();
  });
});

describe('AuthorizedEntriesCache against a plain reading of reference §3.8 (random changes)', () => {
  /** A small deterministic PRNG (mulberry32), so that a failure replays. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Rules 1-3 read literally: every entry reachable from the agent or an alias it belongs to. */
  function expected(
    entries: ReadonlyMap<string, CacheableEntry>,
    agents: ReadonlyMap<string, readonly string[]>,
    agentId: string,
  ): string[] {
    const nodeSelectors = new Set(agents.get(agentId) ?? []);
    const key = (s: { type: string; value: string }) => `${s.type}:${s.value}`;
    const roots = new Set([agentId]);
    for (const e of entries.values()) {
      if (
        e.parentId === SERVER &&
        e.selectors.length > 0 &&
        e.selectors.every((s) => nodeSelectors.has(key(s)))
      ) {
        roots.add(e.spiffeId);
      }
    }
    const reached = new Set<string>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of entries.values()) {
        if (e.parentId === SERVER || reached.has(e.id)) continue;
        const parentReached =
          roots.has(e.parentId) ||
          [...reached].some((id) => entries.get(id)?.spiffeId === e.parentId);
        if (parentReached) {
          reached.add(e.id);
          grew = true;
        }
      }
    }
    return [...reached].sort();
  }

  it('gives every agent exactly the entries the rules give it, each once, after each of 400 changes', () => {
    const next = rng(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const agentIds = [0, 1, 2, 3].map((i) => `${TD}/spire/agent/x509pop/n${i}`);
    const nodeSelectors = ['x509pop:a', 'x509pop:b', 'x509pop:c'];
    const spiffeIds = [...agentIds, ...[0, 1, 2, 3, 4, 5].map((i) => `${TD}/w${i}`)];
    const cache = new AuthorizedEntriesCache({ serverId: SERVER });
    const entries = new Map<string, CacheableEntry>();
    const agents = new Map<string, readonly string[]>();
    for (let step = 0; step < 400; step++) {
      const roll = next();
      if (roll < 0.5) {
        const id = `e${Math.floor(next() * 20)}`;
        const alias = next() < 0.2;
        const e = alias
          ? entry(
              id,
              SERVER,
              pick(spiffeIds),
              nodeSelectors.filter(() => next() < 0.5),
            )
          : entry(id, pick([...spiffeIds, SERVER]), pick(spiffeIds), ['unix:uid:0']);
        cache.upsertEntry(e);
        entries.set(id, e);
      } else if (roll < 0.7) {
        const id = `e${Math.floor(next() * 20)}`;
        cache.removeEntry(id);
        entries.delete(id);
      } else if (roll < 0.9) {
        const agentId = pick(agentIds);
        const selectors = nodeSelectors.filter(() => next() < 0.5);
        cache.setAgent(
          agentId,
          selectors.map((s) => ({ type: 'x509pop', value: s.slice('x509pop:'.length) })),
        );
        agents.set(agentId, selectors);
      } else {
        const agentId = pick(agentIds);
        cache.removeAgent(agentId);
        agents.delete(agentId);
      }
      for (const agentId of agentIds) {
        const got = cache.authorizedEntries(agentId).map((e) => e.id);
        expect(new Set(got).size).toBe(got.length);
        expect([step, agentId, [...got].sort()]).toEqual([
          step,
          agentId,
          expected(entries, agents, agentId),
        ]);
      }
    }
  });
});
