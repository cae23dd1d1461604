// authorizedEntry (one entry, walked up its parents) must answer exactly as membership in
// authorizedEntries (the agent's whole set) does, on any entry graph: cycles, shared SPIFFE IDs,
// aliases, reparenting and deletion included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthorizedEntriesCache,
  type CacheableEntry,
} from '../../../src/server/cache/authorized-entries.js';

const TD = 'spiffe://example.org';
const SERVER = `${TD}/spire/server`;
const AGENTS = [`${TD}/spire/agent/a`, `${TD}/spire/agent/b`];
// A small ID space so that random entries share SPIFFE IDs, chain and loop.
const IDS = [SERVER, ...AGENTS, ...['w1', 'w2', 'w3', 'w4', 'w5'].map((p) => `${TD}/${p}`)];
const SELECTORS = ['k:1', 'k:2', 'k:3'];

const entryArb = fc.record({
  parentId: fc.constantFrom(...IDS),
  spiffeId: fc.constantFrom(...IDS.slice(3)),
  selectors: fc.subarray(SELECTORS),
});

/** Op: upsert entry `i` (ids e0..e11), or remove it. */
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), i: fc.nat(11), entry: entryArb }),
  fc.record({ kind: fc.constant('remove' as const), i: fc.nat(11) }),
);

function selector(text: string): { type: string; value: string } {
  const [type = '', value = ''] = text.split(':');
  return { type, value };
}

function toEntry(id: string, e: { parentId: string; spiffeId: string; selectors: string[] }) {
  const selectors = e.selectors.map(selector);
  return { id, parentId: e.parentId, spiffeId: e.spiffeId, selectors } satisfies CacheableEntry;
}

describe('AuthorizedEntriesCache.authorizedEntry', () => {
  it('answers as membership in authorizedEntries for every agent and entry (property)', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(fc.subarray(SELECTORS), { minLength: 2, maxLength: 2 }),
        (ops, nodeSelectors) => {
          const cache = new AuthorizedEntriesCache({ serverId: SERVER });
          for (const [i, agent] of AGENTS.entries()) {
            cache.setAgent(agent, (nodeSelectors[i] ?? []).map(selector));
          }
          for (const op of ops) {
            if (op.kind === 'upsert') cache.upsertEntry(toEntry(`e${op.i}`, op.entry));
            else cache.removeEntry(`e${op.i}`);
          }
          for (const agent of [...AGENTS, `${TD}/spire/agent/unknown`]) {
            const all = new Set(cache.authorizedEntries(agent).map((e) => e.id));
            for (let i = 0; i < 12; i++) {
              const one = cache.authorizedEntry(agent, `e${i}`);
              expect([agent, `e${i}`, one?.id]).toEqual([
                agent,
                `e${i}`,
                all.has(`e${i}`) ? `e${i}` : undefined,
              ]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
