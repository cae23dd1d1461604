import { type CallOptions, type Client, Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import type { KnownEntry } from '../../../src/agent/client/server-api.js';
import { syncAuthorizedEntries } from '../../../src/agent/client/sync-entries.js';
import type {
  Entry as EntryService,
  SyncAuthorizedEntriesRequest,
} from '../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { Entry } from '../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createAuthorizedEntriesMethods } from '../../../src/server/api/entry-authorized/methods.js';
import { syncAuthorizedEntries as serveSync } from '../../../src/server/api/entry-authorized/sync.js';
import type { RegistrationEntry } from '../../../src/server/datastore/index.js';
import { startServerHarness } from '../../support/server-harness.js';

function serverEntry(id: string, revisionNumber: number, createdAt = 1_900_000_000) {
  const entry: RegistrationEntry = {
    id,
    spiffeId: `spiffe://example.org/${id}`,
    parentId: 'spiffe://example.org/spire/agent/test',
    selectors: [{ type: 'unix', value: 'uid:1000' }],
    x509SvidTtl: 0,
    jwtSvidTtl: 0,
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    expiresAt: 0,
    hint: '',
    storeSvid: false,
    revisionNumber,
    createdAt,
  };
  return entry;
}

/**
 * The Entry client over the server's own SyncAuthorizedEntries handler, with a small page size so
 * a few entries take several pages. Records the ids of each id request the agent sends.
 */
function entryClient(entries: readonly RegistrationEntry[], pageSize: number) {
  const idRequests: string[][] = [];
  async function* record(requests: AsyncIterable<SyncAuthorizedEntriesRequest>) {
    for await (const req of requests) {
      if (req.ids.length > 0) idRequests.push([...req.ids]);
      yield req;
    }
  }
  const client = {
    syncAuthorizedEntries: (requests: AsyncIterable<SyncAuthorizedEntriesRequest>) =>
      serveSync(entries, record(requests), pageSize),
  } as unknown as Client<typeof EntryService>;
  return { client, idRequests };
}

const known = (revision: bigint, createdAt = 1_900_000_000n): KnownEntry => ({
  revision,
  createdAt,
});

describe('agent SyncAuthorizedEntries (reference §3.3)', () => {
  it('over one page: the revision list keeps unchanged entries and fetches the rest by id', async () => {
    const entries = [
      serverEntry('e1', 1),
      serverEntry('e2', 2),
      serverEntry('e3', 1, 1_900_000_500),
      serverEntry('e4', 0),
      serverEntry('e5', 0),
    ];
    const { client, idRequests } = entryClient(entries, 2);
    const held = new Map([
      ['e1', known(1n)], // unchanged
      ['e2', known(1n)], // changed on the server: revision 2
      ['e3', known(1n)], // deleted and created again under its id: same revision, new created_at
      ['e9', known(4n)], // no longer authorized
    ]);

    const result = await syncAuthorizedEntries(client, held, {});

    expect(result.kept).toEqual(['e1']);
    expect(result.fetched.map((e) => [e.id, e.revisionNumber, e.createdAt])).toEqual([
      ['e2', 2n, 1_900_000_000n],
      ['e3', 1n, 1_900_000_500n],
      ['e4', 0n, 1_900_000_000n],
      ['e5', 0n, 1_900_000_000n],
    ]);
    // Asked a page of ids at a time, sorted.
    expect(idRequests).toEqual([
      ['e2', 'e3'],
      ['e4', 'e5'],
    ]);
  });

  it('asks for nothing when every held entry is current', async () => {
    const entries = [serverEntry('e1', 3), serverEntry('e2', 7), serverEntry('e3', 1)];
    const { client, idRequests } = entryClient(entries, 2);
    const held = new Map([
      ['e1', known(3n)],
      ['e2', known(7n)],
      ['e3', known(1n)],
    ]);

    const result = await syncAuthorizedEntries(client, held, {});

    expect(result.kept).toEqual(['e1', 'e2', 'e3']);
    expect(result.fetched).toEqual([]);
    expect(idRequests).toEqual([]);
  });

  it('within one page the server sends every entry in full: all are fetched', async () => {
    const entries = [serverEntry('e1', 1), serverEntry('e2', 1)];
    const { client, idRequests } = entryClient(entries, 500);

    const result = await syncAuthorizedEntries(client, new Map([['e1', known(1n)]]), {});

    expect(result.kept).toEqual([]);
    expect(result.fetched.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(idRequests).toEqual([]);
  });

  it('leaves no deadline timer behind once a real sync is over (a stopping agent exits at once)', async () => {
    const h = await startServerHarness({
      services: (ctx) => [[Entry, createAuthorizedEntriesMethods(ctx)]],
    });
    try {
      const agent = await h.attestedAgent('/spire/agent/join_token/sync-timer');
      const created = await h.datastore.createEntries([
        {
          parentId: agent.svid.id,
          spiffeId: 'spiffe://example.org/w',
          selectors: [{ type: 'unix', value: 'uid:1' }],
        },
      ]);
      await h.ctx.changed.entries(created.map((r) => (r.ok ? r.entry.id : '')));
      const client = h.withSvid(Entry, agent.svid);
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await syncAuthorizedEntries(client, new Map(), { timeoutMs: 30_000 }); // warm the connection
      const before = timers();

      const result = await syncAuthorizedEntries(client, new Map(), { timeoutMs: 30_000 });

      expect([result.fetched.map((e) => e.spiffeId?.path), timers()]).toEqual([['/w'], before]);
    } finally {
      await h.close();
    }
  });

  it('a server that never answers is cut off at the deadline with DeadlineExceeded', async () => {
    let sawAbort = false;
    const client = {
      syncAuthorizedEntries: (_requests: unknown, options: CallOptions) => ({
        async *[Symbol.asyncIterator]() {
          const signal = options.signal as AbortSignal;
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          sawAbort = true;
          throw ConnectError.from(signal.reason);
        },
      }),
    } as unknown as Client<typeof EntryService>;

    const err = await syncAuthorizedEntries(client, new Map(), { timeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );

    expect([sawAbort, err?.code, err?.rawMessage]).toEqual([
      true,
      Code.DeadlineExceeded,
      'entry sync timed out',
    ]);
  });
});
