/**
 * What a (compromised) agent may read (field notes §4.3): entries parented to its own ID, to node
 * aliases whose every selector its node has, and their descendants; never another node's, and
 * never through an alias it only partly matches.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Entry } from '../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createAuthorizedEntriesMethods } from '../../src/server/api/entry-authorized/methods.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';

const TD = 'spiffe://example.org';
const SERVER = `${TD}/spire/server`;
let h: ServerHarness;

beforeEach(async () => {
  h = await startServerHarness({
    services: (ctx) => [[Entry, createAuthorizedEntriesMethods(ctx)]],
  });
  const entries = [
    // Node alias needing both selectors, and a workload under it.
    { parentId: SERVER, spiffeId: `${TD}/alias/ab`, selectors: ['x:a', 'x:b'] },
    { parentId: `${TD}/alias/ab`, spiffeId: `${TD}/w/under-ab`, selectors: ['unix:uid:1'] },
    // Each node's own workloads, one of them with a child (descendant).
    { parentId: `${TD}/spire/agent/n/one`, spiffeId: `${TD}/w/one`, selectors: ['unix:uid:1'] },
    { parentId: `${TD}/w/one`, spiffeId: `${TD}/w/one-child`, selectors: ['unix:uid:2'] },
    { parentId: `${TD}/spire/agent/n/two`, spiffeId: `${TD}/w/two`, selectors: ['unix:uid:1'] },
    // An entry parented to another node's workload ID: a descendant of node two only.
    { parentId: `${TD}/w/two`, spiffeId: `${TD}/w/two-child`, selectors: ['unix:uid:3'] },
  ];
  const results = await h.datastore.createEntries(
    entries.map((e) => ({
      ...e,
      selectors: e.selectors.map((s) => {
        const [type = '', ...v] = s.split(':');
        return { type, value: v.join(':') };
      }),
    })),
  );
  await h.ctx.changed.entries(results.map((r) => (r.ok ? r.entry.id : '')));
});
afterEach(() => h.close());

async function visibleTo(path: string, selectors: string[]): Promise<string[]> {
  const { svid } = await h.attestedAgent(path, {
    selectors: selectors.map((s) => {
      const [type = '', value = ''] = s.split(':');
      return { type, value };
    }),
  });
  await h.ctx.changed.nodes([`${TD}${path}`]);
  const res = await h.withSvid(Entry, svid).getAuthorizedEntries({});
  return res.entries.map((e) => e.spiffeId?.path ?? '').sort();
}

describe('GetAuthorizedEntries as a hostile agent', () => {
  it.each<[string, string, string[], string[]]>([
    ['its own entries and their descendants', '/spire/agent/n/one', [], ['/w/one', '/w/one-child']],
    ['another node: only its own', '/spire/agent/n/two', [], ['/w/two', '/w/two-child']],
    [
      'a node matching only part of an alias: nothing of the alias',
      '/spire/agent/n/three',
      ['x:a'],
      [],
    ],
    [
      'a node with every alias selector (and more): what is under the alias, as SPIRE',
      '/spire/agent/n/four',
      ['x:a', 'x:b', 'x:c'],
      ['/w/under-ab'],
    ],
  ])('%s', async (_n, path, selectors, expected) => {
    expect(await visibleTo(path, selectors)).toEqual(expected);
  });
});
