import { create } from '@bufbuild/protobuf';
import type { CallOptions, Client } from '@connectrpc/connect';
import {
  type Entry as EntryService,
  type SyncAuthorizedEntriesRequest,
  SyncAuthorizedEntriesRequestSchema,
  type SyncAuthorizedEntriesResponse,
} from '../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { Entry } from '../../gen/spire/api/types/entry_pb.js';
import { AgentClientError, AgentClientErrorCode } from './errors.js';
import { Outbox } from './outbox.js';
import type { FetchedEntries, KnownEntry } from './server-api.js';
import { streamCall } from './stream-deadline.js';

/** The server's page size for authorized entries (reference §3.3). */
export const SYNC_PAGE_SIZE = 500;

/** True when the held copy is not the entry the revision describes (SPIRE's entryIsStale). */
function isStale(held: KnownEntry, revision: bigint, createdAt: bigint): boolean {
  if (held.revision !== revision) return true;
  // An entry deleted and created again under the same id restarts its revisions.
  return createdAt !== 0n && held.createdAt !== createdAt;
}

/**
 * `Entry.SyncAuthorizedEntries`: when the server sends the entries in full (at most one page) they
 * are the answer; otherwise it sends the revisions of every authorized entry, page by page, and
 * the agent asks for the full entries it lacks or holds stale, a page of ids at a time, and keeps
 * the rest. Entries not mentioned by the server are no longer authorized and are left out of the
 * result.
 */
export async function syncAuthorizedEntries(
  client: Client<typeof EntryService>,
  known: ReadonlyMap<string, KnownEntry>,
  options: CallOptions,
): Promise<FetchedEntries> {
  const outbox = new Outbox<SyncAuthorizedEntriesRequest>();
  outbox.push(create(SyncAuthorizedEntriesRequestSchema, {}));
  const call = streamCall('entry sync', options);
  const responses = client.syncAuthorizedEntries(outbox, call.options)[Symbol.asyncIterator]();
  try {
    return await runSync(responses, outbox, known);
  } finally {
    outbox.close();
    call.done();
    await responses.return?.().catch(() => undefined);
  }
}

async function runSync(
  responses: AsyncIterator<SyncAuthorizedEntriesResponse>,
  outbox: Outbox<SyncAuthorizedEntriesRequest>,
  known: ReadonlyMap<string, KnownEntry>,
): Promise<FetchedEntries> {
  const receive = async () => {
    const r = await responses.next();
    if (r.done) throw malformed('the server ended the entry sync stream early');
    return r.value;
  };
  let resp = await receive();
  if (resp.entryRevisions.length === 0) {
    return { kept: [], fetched: await collectFullPages(resp, receive) };
  }

  const pageSize = resp.entryRevisions.length;
  const kept = new Set<string>();
  const needed = new Set<string>();
  for (;;) {
    if (resp.entries.length > 0) throw malformed('the server mixed entries into revision pages');
    for (const rev of resp.entryRevisions) {
      const held = known.get(rev.id);
      if (held && !isStale(held, rev.revisionNumber, rev.createdAt)) kept.add(rev.id);
      else needed.add(rev.id);
    }
    if (!resp.more) break;
    resp = await receive();
  }

  const ids = [...needed].sort();
  const fetched = new Map<string, Entry>();
  for (let i = 0; i < ids.length; i += pageSize) {
    outbox.push(create(SyncAuthorizedEntriesRequestSchema, { ids: ids.slice(i, i + pageSize) }));
    for (;;) {
      const page = await receive();
      if (page.entryRevisions.length > 0)
        throw malformed('the server sent revisions for an id request');
      // Only what was asked for: an id the server did not list is not authorized to this agent.
      for (const entry of page.entries) if (needed.has(entry.id)) fetched.set(entry.id, entry);
      if (!page.more) break;
    }
  }
  return { kept: [...kept], fetched: [...fetched.values()] };
}

async function collectFullPages(
  first: SyncAuthorizedEntriesResponse,
  receive: () => Promise<SyncAuthorizedEntriesResponse>,
): Promise<Entry[]> {
  const entries = [...first.entries];
  for (let resp = first; resp.more; ) {
    resp = await receive();
    entries.push(...resp.entries);
  }
  return entries;
}

function malformed(message: string): AgentClientError {
  return new AgentClientError(AgentClientErrorCode.MalformedResponse, message);
}
