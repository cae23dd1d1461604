import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Entry,
  type SyncAuthorizedEntriesRequest,
  SyncAuthorizedEntriesRequestSchema,
  type SyncAuthorizedEntriesResponse,
} from '../../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createAuthorizedEntriesMethods } from '../../../../src/server/api/entry-authorized/methods.js';
import { type ServerHarness, startServerHarness } from '../../../support/server-harness.js';
import { expectRpcError, RequestQueue } from '../attestation/support.js';

const AGENT = 'spiffe://example.org/spire/agent/join_token/a';
let h: ServerHarness;
let svid: Awaited<ReturnType<ServerHarness['attestedAgent']>>['svid'];

beforeEach(async () => {
  h = await startServerHarness({
    services: (ctx) => [[Entry, createAuthorizedEntriesMethods(ctx)]],
  });
  svid = (await h.attestedAgent('/spire/agent/join_token/a')).svid;
});
afterEach(() => h.close());

async function addEntries(n: number, parentId = AGENT): Promise<string[]> {
  const results = await h.datastore.createEntries(
    Array.from({ length: n }, (_, i) => ({
      parentId,
      spiffeId: `spiffe://example.org/w/${i}`,
      selectors: [{ type: 'unix', value: `uid:${i}` }],
    })),
  );
  const ids = results.map((r) => (r.ok ? r.entry.id : ''));
  await h.ctx.changed.entries(ids);
  return ids;
}

const request = (init: Partial<Pick<SyncAuthorizedEntriesRequest, 'ids' | 'outputMask'>> = {}) =>
  create(SyncAuthorizedEntriesRequestSchema, init);

/** Reads responses until one arrives with `more` false. */
async function readUntilDone(it: AsyncIterator<SyncAuthorizedEntriesResponse>) {
  const got: SyncAuthorizedEntriesResponse[] = [];
  for (;;) {
    const next = await it.next();
    if (next.done) return got;
    got.push(next.value);
    if (!next.value.more) return got;
  }
}

describe('GetAuthorizedEntries', () => {
  it('returns only the calling agent entries, with the output mask applied', async () => {
    const ids = await addEntries(3);
    await addEntries(1, 'spiffe://example.org/spire/agent/join_token/other');
    const res = await h
      .withSvid(Entry, svid)
      .getAuthorizedEntries({ outputMask: { spiffeId: true } });
    expect(res.entries.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(res.entries[0]?.selectors).toEqual([]);
    expect(res.entries[0]?.spiffeId?.trustDomain).toBe('example.org');
  });

  it('is refused to local callers', async () => {
    await expectRpcError(
      h.local(Entry).getAuthorizedEntries({}),
      Code.PermissionDenied,
      'authorization denied for method /spire.api.server.entry.v1.Entry/GetAuthorizedEntries',
    );
  });
});

describe('SyncAuthorizedEntries (reference §3.3, page size 500)', () => {
  it('sends all entries in the first response when there are at most 500', async () => {
    const ids = await addEntries(500);
    const requests = new RequestQueue<SyncAuthorizedEntriesRequest>();
    requests.push(request());
    requests.end();
    const responses: SyncAuthorizedEntriesResponse[] = [];
    for await (const r of h.withSvid(Entry, svid).syncAuthorizedEntries(requests))
      responses.push(r);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.entryRevisions).toEqual([]);
    expect(responses[0]?.entries.map((e) => e.id).sort()).toEqual([...ids].sort());
  });

  it('above 500 streams revisions in pages, then full entries for the ids asked, in pages', async () => {
    const ids = await addEntries(1203);
    const requests = new RequestQueue<SyncAuthorizedEntriesRequest>();
    requests.push(request());
    const it = h.withSvid(Entry, svid).syncAuthorizedEntries(requests)[Symbol.asyncIterator]();

    const revisions = await readUntilDone(it);
    expect(revisions.map((r) => [r.entryRevisions.length, r.more, r.entries.length])).toEqual([
      [500, true, 0],
      [500, true, 0],
      [203, false, 0],
    ]);
    const revIds = revisions.flatMap((r) => r.entryRevisions.map((e) => e.id));
    expect(new Set(revIds)).toEqual(new Set(ids));
    expect(revisions[0]?.entryRevisions[0]?.revisionNumber).toBe(0n);

    const wanted = [...ids.slice(0, 700), 'unknown-id'];
    requests.push(request({ ids: wanted }));
    const full = await readUntilDone(it);
    expect(full.map((r) => [r.entries.length, r.more])).toEqual([
      [500, true],
      [200, false],
    ]);
    const fullIds = full.flatMap((r) => r.entries.map((e) => e.id));
    expect(fullIds).toEqual([...ids.slice(0, 700)].sort());
    expect(full[0]?.entries[0]?.selectors).toHaveLength(1);

    requests.push(request({ ids: ['unknown-id'] }));
    expect((await readUntilDone(it)).map((r) => [r.entries.length, r.more])).toEqual([[0, false]]);
    requests.end();
    expect((await it.next()).done).toBe(true);
  });

  const refusals: [string, SyncAuthorizedEntriesRequest, string][] = [
    [
      'ids on the first request',
      request({ ids: ['x'] }),
      'specifying IDs on initial request is not supported',
    ],
    [
      'a mask without revision_number',
      request({ outputMask: { spiffeId: true } as never }),
      'revision number cannot be masked',
    ],
  ];
  it.each(refusals)('refuses %s', async (_n, first, message) => {
    const requests = new RequestQueue<SyncAuthorizedEntriesRequest>();
    requests.push(first);
    requests.end();
    await expectRpcError(
      async () => {
        for await (const _ of h.withSvid(Entry, svid).syncAuthorizedEntries(requests)) {
          // drain
        }
      },
      Code.InvalidArgument,
      message,
    );
  });
});
