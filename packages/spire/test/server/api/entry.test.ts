import { type Client, Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Entry } from '../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { SelectorMatch_MatchBehavior as Match } from '../../../src/gen/spire/api/types/selector_pb.js';
import { createEntryService } from '../../../src/server/api/entry/index.js';
import { type ServerHarness, startServerHarness } from '../../support/server-harness.js';

const td = 'example.org';
const id = (path: string) => ({ trustDomain: td, path });
const sel = (s: string) => {
  const [type = '', ...rest] = s.split(':');
  return { type, value: rest.join(':') };
};

let h: ServerHarness;
beforeAll(async () => {
  h = await startServerHarness({ services: (ctx) => [[Entry, createEntryService(ctx)]] });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  const { items } = await h.datastore.listEntries();
  for (const e of items) await h.datastore.deleteEntry(e.id);
  await h.ctx.changed.entries(items.map((e) => e.id));
});

const entry = (path: string, selectors: string[], more: Record<string, unknown> = {}) => ({
  spiffeId: id(path),
  parentId: id('/myagent'),
  selectors: selectors.map(sel),
  ...more,
});

async function createOk(...entries: ReturnType<typeof entry>[]) {
  const res = await h.local(Entry).batchCreateEntry({ entries });
  expect(res.results.map((r) => r.status?.code)).toEqual(entries.map(() => 0));
  return res.results.map((r) => r.entry?.id ?? '');
}

describe('Entry.BatchCreateEntry (reference §3.9)', () => {
  it('creates an entry, fills id, created_at and revision 0, and updates the cache', async () => {
    const [eid] = await createOk(entry('/myservice', ['unix:uid:1000']));
    const stored = await h.datastore.fetchEntry(eid ?? '');
    expect(stored).toMatchObject({
      spiffeId: 'spiffe://example.org/myservice',
      parentId: 'spiffe://example.org/myagent',
      selectors: [{ type: 'unix', value: 'uid:1000' }],
      revisionNumber: 0,
      x509SvidTtl: 0,
    });
    expect(h.ctx.entries.getEntry(eid ?? '')?.spiffeId).toBe('spiffe://example.org/myservice');
  });

  it('a similar entry is AlreadyExists and returns the existing entry (D01)', async () => {
    const [first] = await createOk(entry('/myservice', ['unix:uid:1000']));
    const res = await h.local(Entry).batchCreateEntry({
      entries: [entry('/myservice', ['unix:uid:1000'])],
    });
    expect(res.results[0]?.status).toMatchObject({
      code: Code.AlreadyExists,
      message: 'similar entry already exists',
    });
    expect(res.results[0]?.entry?.id).toBe(first);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    [
      'spiffe_id in another trust domain',
      { spiffeId: { trustDomain: 'other.org', path: '/x' } },
      'failed to convert entry: invalid spiffe ID: "spiffe://other.org/x" is not a member of trust domain "example.org"',
    ],
    [
      'spiffe_id with an empty path',
      { spiffeId: { trustDomain: td, path: '' } },
      'failed to convert entry: invalid spiffe ID: path cannot be empty',
    ],
    [
      'spiffe_id under /spire/',
      { spiffeId: id('/spire/agent/x') },
      'failed to convert entry: invalid spiffe ID: "spiffe://example.org/spire/agent/x" is reserved for SPIRE (path under /spire/)',
    ],
    [
      'parent_id in another trust domain',
      { parentId: { trustDomain: 'other.org', path: '/a' } },
      'failed to convert entry: invalid parent ID: "spiffe://other.org/a" is not a member of trust domain "example.org"',
    ],
    ['no selectors', { selectors: [] }, 'failed to convert entry: selector list is empty'],
    [
      'a selector without type',
      { selectors: [{ type: '', value: 'x' }] },
      'failed to convert entry: missing selector type',
    ],
    [
      'a selector without value',
      { selectors: [{ type: 'unix', value: '' }] },
      'failed to convert entry: missing selector value',
    ],
    [
      'a bad DNS name',
      { dnsNames: ['bad_name.example.org'] },
      'failed to convert entry: invalid DNS name: label "bad_name" is not a valid DNS label',
    ],
    [
      'a hint over 1024 characters',
      { hint: 'h'.repeat(1025) },
      'failed to convert entry: hint is too long, max length is 1024 characters',
    ],
  ];
  for (const [name, override, message] of invalid) {
    it(`refuses ${name} with InvalidArgument`, async () => {
      const res = await h.local(Entry).batchCreateEntry({
        entries: [{ ...entry('/myservice', ['unix:uid:1000']), ...override }],
      });
      expect(res.results[0]?.status).toEqual(
        expect.objectContaining({ code: Code.InvalidArgument, message }),
      );
      expect(await h.datastore.countEntries()).toBe(0);
    });
  }

  it('a wildcard DNS name is accepted (D14)', async () => {
    await createOk(entry('/web', ['unix:uid:1'], { dnsNames: ['*.example.org'] }));
  });

  it('federates_with a trust domain without a bundle is refused and nothing is stored (D05)', async () => {
    const res = await h.local(Entry).batchCreateEntry({
      entries: [entry('/myservice', ['unix:uid:1000'], { federatesWith: ['spiffe://other.org'] })],
    });
    expect(res.results[0]?.status?.code).toBe(Code.Internal);
    expect(res.results[0]?.status?.message).toContain('unable to find federated bundle');
    expect(await h.datastore.countEntries()).toBe(0);
  });

  it('a mixed batch creates the good entry and reports the bad one', async () => {
    const res = await h.local(Entry).batchCreateEntry({
      entries: [
        entry('/good', ['unix:uid:1']),
        { ...entry('/bad', ['unix:uid:2']), spiffeId: { trustDomain: 'other.org', path: '/x' } },
      ],
    });
    expect(res.results.map((r) => r.status?.code)).toEqual([0, Code.InvalidArgument]);
    expect(await h.datastore.countEntries()).toBe(1);
  });
});

describe('Entry.ListEntries and CountEntries filters (D06, D08)', () => {
  beforeEach(async () => {
    await createOk(
      entry('/a', ['unix:uid:1000']),
      entry('/b', ['unix:uid:1000', 'unix:gid:1000']),
      entry('/c', ['unix:gid:1000'], { hint: 'web', downstream: true }),
    );
  });

  const bySelectors = (match: Match, ...s: string[]) => ({
    bySelectors: { selectors: s.map(sel), match },
  });
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['no filter', {}, ['/a', '/b', '/c']],
    ['superset', bySelectors(Match.MATCH_SUPERSET, 'unix:uid:1000'), ['/a', '/b']],
    ['exact', bySelectors(Match.MATCH_EXACT, 'unix:uid:1000'), ['/a']],
    [
      'subset',
      bySelectors(Match.MATCH_SUBSET, 'unix:uid:1000', 'unix:gid:1000'),
      ['/a', '/b', '/c'],
    ],
    ['any', bySelectors(Match.MATCH_ANY, 'unix:uid:1000', 'unix:gid:1000'), ['/a', '/b', '/c']],
    ['by_spiffe_id', { bySpiffeId: id('/b') }, ['/b']],
    ['by_parent_id', { byParentId: id('/myagent') }, ['/a', '/b', '/c']],
    ['by_hint', { byHint: 'web' }, ['/c']],
    ['by_downstream', { byDownstream: true }, ['/c']],
  ];
  for (const [name, filter, paths] of cases) {
    it(`filter ${name}`, async () => {
      const list = await h.local(Entry).listEntries({ filter });
      expect(list.entries.map((e) => e.spiffeId?.path).sort()).toEqual(paths);
      const count = await h.local(Entry).countEntries({ filter });
      expect(count.count).toBe(paths.length);
    });
  }

  it('pages through every entry exactly once', async () => {
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await h.local(Entry).listEntries({ pageSize: 2, pageToken });
      seen.push(...page.entries.map((e) => e.spiffeId?.path ?? ''));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen.sort()).toEqual(['/a', '/b', '/c']);
  });

  it('an empty selector filter is InvalidArgument', async () => {
    const err = await h
      .local(Entry)
      .listEntries({ filter: { bySelectors: { selectors: [] } } })
      .catch((e: unknown) => ConnectError.from(e));
    expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([
      Code.InvalidArgument,
      'failed to build filter: malformed selectors filter: empty selector set',
    ]);
  });
});

describe('Entry.GetEntry, BatchUpdateEntry, BatchDeleteEntry', () => {
  it('gets an entry by id; an unknown id is NotFound "entry not found"', async () => {
    const [eid = ''] = await createOk(entry('/x', ['unix:uid:1']));
    expect((await h.local(Entry).getEntry({ id: eid })).spiffeId?.path).toBe('/x');
    const err = ConnectError.from(
      await h
        .local(Entry)
        .getEntry({ id: 'nope' })
        .catch((e) => e),
    );
    expect([err.code, err.rawMessage]).toEqual([Code.NotFound, 'entry not found']);
  });

  it('an update with a mask changes only the masked fields and bumps the revision', async () => {
    const [eid = ''] = await createOk(entry('/x', ['unix:uid:1'], { dnsNames: ['a.example.org'] }));
    const res = await h.local(Entry).batchUpdateEntry({
      entries: [{ id: eid, dnsNames: ['b.example.org'] }],
      inputMask: { dnsNames: true },
    });
    expect(res.results[0]?.status?.code).toBe(0);
    const stored = await h.datastore.fetchEntry(eid);
    expect([stored?.dnsNames, stored?.revisionNumber, stored?.spiffeId]).toEqual([
      ['b.example.org'],
      1,
      'spiffe://example.org/x',
    ]);
    expect(h.ctx.entries.getEntry(eid)?.dnsNames).toEqual(['b.example.org']);
  });

  it('an update of an unknown entry is NotFound', async () => {
    const res = await h.local(Entry).batchUpdateEntry({
      entries: [{ id: 'nope', hint: 'x' }],
      inputMask: { hint: true },
    });
    expect(res.results[0]?.status).toMatchObject({
      code: Code.NotFound,
      message: 'entry not found',
    });
  });

  it('deletes per id with per-item status (D03)', async () => {
    const [eid = ''] = await createOk(entry('/x', ['unix:uid:1']));
    const res = await h.local(Entry).batchDeleteEntry({ ids: [eid, 'no-such-id'] });
    expect(res.results.map((r) => [r.id, r.status?.code, r.status?.message])).toEqual([
      [eid, 0, 'OK'],
      ['no-such-id', Code.NotFound, 'entry not found'],
    ]);
    expect(h.ctx.entries.getEntry(eid)).toBeUndefined();
  });
});

describe('Entry API authorization', () => {
  const calls: [string, (c: Client<typeof Entry>) => Promise<unknown>][] = [
    ['CountEntries', (c) => c.countEntries({})],
    ['ListEntries', (c) => c.listEntries({})],
    ['GetEntry', (c) => c.getEntry({ id: 'x' })],
    ['BatchCreateEntry', (c) => c.batchCreateEntry({})],
    ['BatchUpdateEntry', (c) => c.batchUpdateEntry({})],
    ['BatchDeleteEntry', (c) => c.batchDeleteEntry({})],
  ];
  for (const [method, call] of calls) {
    it(`${method} is PermissionDenied to an anonymous caller`, async () => {
      const err = ConnectError.from(await call(h.anonymous(Entry)).catch((e: unknown) => e));
      expect([err.code, err.rawMessage]).toEqual([
        Code.PermissionDenied,
        `authorization denied for method /spire.api.server.entry.v1.Entry/${method}`,
      ]);
    });
  }

  it('an admin SVID may list entries', async () => {
    await createOk(entry('/admin', ['unix:uid:0'], { admin: true }));
    const svid = await h.mintSvid('/admin');
    expect((await h.withSvid(Entry, svid).countEntries({})).count).toBe(1);
  });

  it('GetAuthorizedEntries answers Unimplemented until the agent module supplies it', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/join_token/x');
    const err = ConnectError.from(
      await h
        .withSvid(Entry, svid)
        .getAuthorizedEntries({})
        .catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.Unimplemented);
  });
});
