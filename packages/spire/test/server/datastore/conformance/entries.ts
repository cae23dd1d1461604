import { describe, expect, it } from 'vitest';
import type {
  EntryFilter,
  NewRegistrationEntry,
  RegistrationEntry,
} from '../../../../src/server/datastore/index.js';
import type { Backend } from '../support/backends.js';
import { T0, useStore } from '../support/harness.js';

const TD = 'spiffe://example.org';
const uid = { type: 'unix', value: 'uid:1000' };
const gid = { type: 'unix', value: 'gid:1000' };

function entry(over: Partial<NewRegistrationEntry> = {}): NewRegistrationEntry {
  return { spiffeId: `${TD}/svc`, parentId: `${TD}/agent`, selectors: [uid], ...over };
}

function bundle(trustDomain: string) {
  return {
    trustDomain,
    x509Authorities: [],
    jwtAuthorities: [],
    refreshHint: 0,
    sequenceNumber: 0,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Registration-entry behaviour every backend must show. */
export function entryConformance(backend: Backend): void {
  describe(`entries (${backend.name})`, () => {
    const fx = useStore(backend);

    it('stores an entry and fetches it back with sorted selectors and store-set fields', async () => {
      const created = await fx.store.createEntry(
        entry({
          id: 'entry-1',
          selectors: [uid, gid, uid],
          x509SvidTtl: 600,
          jwtSvidTtl: 60,
          dnsNames: ['b.example.org', 'a.example.org'],
          admin: true,
          downstream: true,
          expiresAt: T0 + 100,
          hint: 'web',
          storeSvid: true,
        }),
      );
      const expected: RegistrationEntry = {
        id: 'entry-1',
        spiffeId: `${TD}/svc`,
        parentId: `${TD}/agent`,
        selectors: [gid, uid],
        x509SvidTtl: 600,
        jwtSvidTtl: 60,
        dnsNames: ['b.example.org', 'a.example.org'],
        federatesWith: [],
        admin: true,
        downstream: true,
        expiresAt: T0 + 100,
        hint: 'web',
        storeSvid: true,
        revisionNumber: 0,
        createdAt: T0,
      };
      expect(created).toEqual(expected);
      expect(await fx.store.fetchEntry('entry-1')).toEqual(expected);
      expect(await fx.store.fetchEntry('missing')).toBeUndefined();
    });

    it('generates a UUIDv4 entry id when none is given', async () => {
      const e = await fx.store.createEntry(entry());
      expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('refuses a similar entry (same spiffe id, parent, selector set in any order)', async () => {
      const first = await fx.store.createEntry(entry({ selectors: [uid, gid] }));
      expect(await codeOf(fx.store.createEntry(entry({ selectors: [gid, uid], hint: 'x' })))).toBe(
        'ERR_DATASTORE_ALREADY_EXISTS',
      );
      const again = await fx.store.createOrReturnEntry(entry({ selectors: [gid, uid] }));
      expect(again).toEqual({ entry: first, existed: true });
      expect(await fx.store.countEntries()).toBe(1);
    });

    it.each([
      ['another parent', { parentId: `${TD}/other-agent` }],
      ['another spiffe id', { spiffeId: `${TD}/other` }],
      ['another selector set', { selectors: [uid, gid] }],
      ['a spiffe id differing only in case', { spiffeId: `${TD}/SVC` }],
    ])('accepts an entry with %s as distinct', async (_name, over) => {
      await fx.store.createEntry(entry());
      await fx.store.createEntry(entry(over));
      expect(await fx.store.countEntries()).toBe(2);
    });

    it('refuses an entry id already in use', async () => {
      await fx.store.createEntry(entry({ id: 'same' }));
      expect(await codeOf(fx.store.createEntry(entry({ id: 'same', spiffeId: `${TD}/b` })))).toBe(
        'ERR_DATASTORE_ALREADY_EXISTS',
      );
    });

    it.each([
      ['no selectors', { selectors: [] }],
      ['an empty selector value', { selectors: [{ type: 'unix', value: '' }] }],
      ['an empty spiffe id', { spiffeId: '' }],
      ['an empty parent id', { parentId: '' }],
      ['a negative x509 ttl', { x509SvidTtl: -1 }],
      ['a fractional jwt ttl', { jwtSvidTtl: 1.5 }],
      ['a hint over 1024 characters', { hint: 'h'.repeat(1025) }],
      ['an empty id', { id: '' }],
    ])('rejects an entry with %s as an invalid argument', async (_name, over) => {
      expect(await codeOf(fx.store.createEntry(entry(over)))).toBe(
        'ERR_DATASTORE_INVALID_ARGUMENT',
      );
      expect(await fx.store.countEntries()).toBe(0);
    });

    it('refuses federates_with a trust domain without a bundle and stores nothing', async () => {
      const p = fx.store.createEntry(entry({ federatesWith: ['other.org'] }));
      await expect(p).rejects.toMatchObject({
        code: 'ERR_DATASTORE_FEDERATED_BUNDLE_NOT_FOUND',
        message: 'unable to find federated bundle "spiffe://other.org"',
      });
      expect(await fx.store.countEntries()).toBe(0);
      await fx.store.createBundle(bundle('other.org'));
      const e = await fx.store.createEntry(entry({ federatesWith: ['other.org'] }));
      expect(e.federatesWith).toEqual(['other.org']);
    });

    it('updates only the masked fields and bumps the revision', async () => {
      const e = await fx.store.createEntry(entry({ hint: 'old', x509SvidTtl: 10 }));
      fx.clock.now = T0 + 50;
      const changed = { ...e, hint: 'new', x509SvidTtl: 99, spiffeId: `${TD}/ignored` };
      const u = await fx.store.updateEntry(changed, { hint: true });
      expect(u).toEqual({ ...e, hint: 'new', revisionNumber: 1 });
      expect(await fx.store.fetchEntry(e.id)).toEqual(u);
      const all = await fx.store.updateEntry({ ...changed, selectors: [gid] });
      expect(all).toEqual({ ...changed, selectors: [gid], revisionNumber: 2, createdAt: T0 });
    });

    it('refuses an update that makes the entry similar to another', async () => {
      await fx.store.createEntry(entry({ selectors: [gid] }));
      const b = await fx.store.createEntry(entry());
      const p = fx.store.updateEntry({ ...b, selectors: [gid] }, { selectors: true });
      expect(await codeOf(p)).toBe('ERR_DATASTORE_ALREADY_EXISTS');
      expect(await fx.store.fetchEntry(b.id)).toEqual(b);
    });

    it('rolls the whole update back when one step fails', async () => {
      const e = await fx.store.createEntry(entry({ hint: 'before', dnsNames: ['a.example.org'] }));
      const events = await fx.store.listEntryEvents(0);
      const bad = { ...e, hint: 'after', dnsNames: [], federatesWith: ['missing.org'] };
      expect(await codeOf(fx.store.updateEntry(bad))).toBe(
        'ERR_DATASTORE_FEDERATED_BUNDLE_NOT_FOUND',
      );
      expect(await fx.store.fetchEntry(e.id)).toEqual(e);
      expect(await fx.store.listEntryEvents(0)).toEqual(events);
    });

    it('reports updating or deleting a missing entry as not found', async () => {
      const ghost = { ...(await fx.store.createEntry(entry())), id: 'ghost' };
      expect(await codeOf(fx.store.updateEntry(ghost))).toBe('ERR_DATASTORE_NOT_FOUND');
      expect(await codeOf(fx.store.deleteEntry('ghost'))).toBe('ERR_DATASTORE_NOT_FOUND');
    });

    it('deletes an entry with its selectors, dns names and federated trust domains', async () => {
      await fx.store.createBundle(bundle('other.org'));
      const e = await fx.store.createEntry(
        entry({ dnsNames: ['a'], federatesWith: ['other.org'] }),
      );
      expect(await fx.store.deleteEntry(e.id)).toEqual(e);
      expect(await fx.store.fetchEntry(e.id)).toBeUndefined();
      // The same triple can be created again: nothing of the old entry is left.
      const again = await fx.store.createEntry(entry());
      expect(again.dnsNames).toEqual([]);
      await fx.store.deleteBundle('other.org', 'restrict');
    });

    it('creates a batch item by item in one call', async () => {
      const existing = await fx.store.createEntry(entry({ id: 'existing' }));
      const results = await fx.store.createEntries([
        entry({ id: 'new-1', spiffeId: `${TD}/one` }),
        entry({ id: 'dup-of-existing' }),
        entry({ id: 'bad', selectors: [] }),
        entry({ id: 'new-2', spiffeId: `${TD}/two` }),
        entry({ id: 'dup-in-batch', spiffeId: `${TD}/two` }),
      ]);
      const summary = results.map((r) =>
        r.ok ? `${r.entry.id}:${r.existed}` : (r.error as unknown as { code: string }).code,
      );
      expect(summary).toEqual([
        'new-1:false',
        `${existing.id}:true`,
        'ERR_DATASTORE_INVALID_ARGUMENT',
        'new-2:false',
        'new-2:true',
      ]);
      expect(await fx.store.countEntries()).toBe(3);
    });

    it('prunes entries whose expiry passed, keeping those without expiry', async () => {
      await fx.store.createEntry(entry({ id: 'never', spiffeId: `${TD}/a` }));
      await fx.store.createEntry(entry({ id: 'old', spiffeId: `${TD}/b`, expiresAt: T0 - 1 }));
      await fx.store.createEntry(entry({ id: 'edge', spiffeId: `${TD}/c`, expiresAt: T0 }));
      expect(await fx.store.pruneEntries(T0)).toEqual(['old']);
      const left = (await fx.store.listEntries()).items.map((e) => e.id);
      expect(left).toEqual(['never', 'edge']);
    });

    it('records a change event with a growing id for each write', async () => {
      const e = await fx.store.createEntry(entry({ id: 'ev' }));
      await fx.store.updateEntry({ ...e, hint: 'x' });
      await fx.store.deleteEntry('ev');
      const events = await fx.store.listEntryEvents(0);
      expect(events.map((x) => x.key)).toEqual(['ev', 'ev', 'ev']);
      const ids = events.map((x) => x.eventId);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
      expect(await fx.store.listEntryEvents(ids[0]!)).toEqual(events.slice(1));
      expect(await fx.store.listEntryEvents(0, 1)).toEqual(events.slice(0, 1));
      fx.clock.now = T0 + 10;
      await fx.store.createEntry(entry({ id: 'later' }));
      expect(await fx.store.pruneEvents(T0 + 1)).toBe(3);
      expect((await fx.store.listEntryEvents(0)).map((x) => x.key)).toEqual(['later']);
    });

    listConformance(fx);
  });
}

function listConformance(fx: ReturnType<typeof useStore>): void {
  // D06 (bug-cases-2): A {uid}, B {uid, gid}, C {gid}; plus D for the other filters.
  async function seed() {
    await fx.store.createBundle(bundle('a.org'));
    await fx.store.createBundle(bundle('b.org'));
    await fx.store.createEntry(
      entry({ id: 'A', spiffeId: `${TD}/a`, selectors: [uid], hint: 'h1' }),
    );
    await fx.store.createEntry(
      entry({ id: 'B', spiffeId: `${TD}/b`, selectors: [uid, gid], federatesWith: ['a.org'] }),
    );
    await fx.store.createEntry(
      entry({ id: 'C', spiffeId: `${TD}/c`, selectors: [gid], federatesWith: ['a.org', 'b.org'] }),
    );
    await fx.store.createEntry(
      entry({
        id: 'D',
        spiffeId: `${TD}/a`,
        parentId: `${TD}/spire/server`,
        selectors: [{ type: 'k8s', value: 'ns:x' }],
        downstream: true,
        hint: 'h1',
      }),
    );
  }

  const cases: [string, EntryFilter, string[]][] = [
    ['no filter', {}, ['A', 'B', 'C', 'D']],
    ['superset {uid}', { bySelectors: { selectors: [uid], match: 'superset' } }, ['A', 'B']],
    ['exact {uid}', { bySelectors: { selectors: [uid], match: 'exact' } }, ['A']],
    ['exact {uid,gid}', { bySelectors: { selectors: [gid, uid], match: 'exact' } }, ['B']],
    [
      'subset {uid,gid}',
      { bySelectors: { selectors: [uid, gid], match: 'subset' } },
      ['A', 'B', 'C'],
    ],
    ['subset {uid}', { bySelectors: { selectors: [uid], match: 'subset' } }, ['A']],
    ['any {uid,gid}', { bySelectors: { selectors: [uid, gid], match: 'any' } }, ['A', 'B', 'C']],
    ['any {gid}', { bySelectors: { selectors: [gid], match: 'any' } }, ['B', 'C']],
    ['superset {uid,gid}', { bySelectors: { selectors: [uid, gid], match: 'superset' } }, ['B']],
    ['parent id', { byParentId: `${TD}/spire/server` }, ['D']],
    ['spiffe id', { bySpiffeId: `${TD}/a` }, ['A', 'D']],
    ['spiffe id is case-sensitive', { bySpiffeId: `${TD}/A` }, []],
    ['hint', { byHint: 'h1' }, ['A', 'D']],
    ['downstream true', { byDownstream: true }, ['D']],
    ['downstream false', { byDownstream: false }, ['A', 'B', 'C']],
    [
      'federates exact {a}',
      { byFederatesWith: { trustDomains: ['a.org'], match: 'exact' } },
      ['B'],
    ],
    [
      'federates superset {a}',
      { byFederatesWith: { trustDomains: ['a.org'], match: 'superset' } },
      ['B', 'C'],
    ],
    [
      'federates subset {a}',
      { byFederatesWith: { trustDomains: ['a.org'], match: 'subset' } },
      ['B'],
    ],
    ['federates any {b}', { byFederatesWith: { trustDomains: ['b.org'], match: 'any' } }, ['C']],
    ['spiffe id and hint', { bySpiffeId: `${TD}/a`, byHint: 'h1', byDownstream: false }, ['A']],
  ];

  it.each(cases)('lists and counts entries filtered by %s', async (_name, filter, ids) => {
    await seed();
    const page = await fx.store.listEntries(filter);
    expect(page).toEqual({ items: expect.any(Array), nextPageToken: '' });
    expect(page.items.map((e) => e.id)).toEqual(ids);
    expect(await fx.store.countEntries(filter)).toBe(ids.length);
  });

  it('rejects a selector filter with no selectors', async () => {
    const p = fx.store.listEntries({ bySelectors: { selectors: [], match: 'any' } });
    expect(await codeOf(p)).toBe('ERR_DATASTORE_INVALID_ARGUMENT');
  });

  it('pages through entries with no loss or repeat at page boundaries', async () => {
    const made = await fx.store.createEntries(
      Array.from({ length: 25 }, (_, i) =>
        entry({ id: `e${String(i).padStart(2, '0')}`, spiffeId: `${TD}/${i}` }),
      ),
    );
    expect(made.every((r) => r.ok)).toBe(true);
    const seen: string[] = [];
    const sizes: number[] = [];
    let token = '';
    do {
      const page = await fx.store.listEntries({}, { pageSize: 10, pageToken: token });
      seen.push(...page.items.map((e) => e.id));
      sizes.push(page.items.length);
      token = page.nextPageToken;
    } while (token !== '');
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `e${String(i).padStart(2, '0')}`));
    const exact = await fx.store.listEntries({}, { pageSize: 25 });
    expect([exact.items.length, exact.nextPageToken]).toEqual([25, '']);
    const filtered = await fx.store.listEntries({ bySpiffeId: `${TD}/3` }, { pageSize: 1 });
    expect([filtered.items.map((e) => e.id), filtered.nextPageToken]).toEqual([['e03'], '']);
  });

  it.each([
    ['a non-numeric page token', { pageSize: 10, pageToken: 'abc' }],
    ['a zero page size', { pageSize: 0 }],
  ])('rejects %s', async (_name, page) => {
    expect(await codeOf(fx.store.listEntries({}, page))).toBe('ERR_DATASTORE_INVALID_ARGUMENT');
  });
}
