/**
 * SyncAuthorizedEntries as SPIRE runs it (reference §3.3, spire PR #4648):
 *   1. The first request may carry an output mask (which must keep `revision_number`) and no ids.
 *   2. If the agent has at most {@link SYNC_PAGE_SIZE} entries, one response carries them all,
 *      and the stream ends.
 *   3. Otherwise the server streams every entry's (id, revision, created_at) in pages of that
 *      size, `more` set on all but the last.
 *   4. Then each request names ids (the new or changed ones); the server answers with those full
 *      entries in pages, `more` set on all but the last page of that answer. Unknown ids are
 *      skipped. The stream ends when the agent closes it.
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  EntryRevisionSchema,
  type SyncAuthorizedEntriesRequest,
  type SyncAuthorizedEntriesResponse,
  SyncAuthorizedEntriesResponseSchema,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { EntryMask } from '../../../gen/spire/api/types/entry_pb.js';
import type { RegistrationEntry } from '../../datastore/index.js';
import { entryProto } from './entry-proto.js';

/** Entries (or revisions) per response, as SPIRE's entry API pages them. */
export const SYNC_PAGE_SIZE = 500;

/** Serves one sync stream over a fixed snapshot of the agent's authorized entries. */
export async function* syncAuthorizedEntries(
  entries: readonly RegistrationEntry[],
  requests: AsyncIterable<SyncAuthorizedEntriesRequest>,
  pageSize = SYNC_PAGE_SIZE,
): AsyncGenerator<SyncAuthorizedEntriesResponse> {
  const inbox = requests[Symbol.asyncIterator]();
  const first = await inbox.next();
  if (first.done) return;
  const mask = checkFirst(first.value);

  if (entries.length <= pageSize) {
    yield response({ entries: entries.map((e) => entryProto(e, mask)) });
    return;
  }

  for (let i = 0; i < entries.length; i += pageSize) {
    const page = entries.slice(i, i + pageSize);
    const entryRevisions = page.map((e) =>
      create(EntryRevisionSchema, {
        id: e.id,
        revisionNumber: BigInt(e.revisionNumber),
        createdAt: BigInt(e.createdAt),
      }),
    );
    yield response({ entryRevisions, more: i + pageSize < entries.length });
  }

  const byId = new Map(entries.map((e) => [e.id, e]));
  for (let next = await inbox.next(); !next.done; next = await inbox.next()) {
    yield* answerIds(byId, next.value.ids, mask, pageSize);
  }
}

function checkFirst(req: SyncAuthorizedEntriesRequest): EntryMask | undefined {
  if (req.ids.length > 0) {
    throw new ConnectError(
      'specifying IDs on initial request is not supported',
      Code.InvalidArgument,
    );
  }
  if (req.outputMask && !req.outputMask.revisionNumber) {
    throw new ConnectError('revision number cannot be masked', Code.InvalidArgument);
  }
  return req.outputMask;
}

function* answerIds(
  byId: ReadonlyMap<string, RegistrationEntry>,
  ids: readonly string[],
  mask: EntryMask | undefined,
  pageSize: number,
): Generator<SyncAuthorizedEntriesResponse> {
  const found = [...new Set(ids)].sort().flatMap((id) => byId.get(id) ?? []);
  for (let i = pageSize; i < found.length; i += pageSize) {
    const page = found.slice(i - pageSize, i);
    yield response({ entries: page.map((e) => entryProto(e, mask)), more: true });
  }
  const last = found.slice(Math.max(0, Math.ceil(found.length / pageSize) - 1) * pageSize);
  yield response({ entries: last.map((e) => entryProto(e, mask)) });
}

function response(
  init: Partial<Pick<SyncAuthorizedEntriesResponse, 'entries' | 'entryRevisions' | 'more'>>,
): SyncAuthorizedEntriesResponse {
  return create(SyncAuthorizedEntriesResponseSchema, init);
}
