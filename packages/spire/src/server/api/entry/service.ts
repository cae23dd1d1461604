/**
 * `spire.api.server.entry.v1.Entry`: count, list, get, and batch create/update/delete of
 * registration entries (reference §3.3, §3.9). GetAuthorizedEntries and SyncAuthorizedEntries
 * (agent calls) come from the agent-side module and are spread in by the caller; without them
 * they answer Unimplemented.
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { LogField } from '../../../common/log/index.js';
import {
  BatchCreateEntryResponse_ResultSchema,
  BatchDeleteEntryResponse_ResultSchema,
  BatchUpdateEntryResponse_ResultSchema,
  type Entry as EntryService,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { Entry, EntryMask } from '../../../gen/spire/api/types/entry_pb.js';
import { DataStoreError, DataStoreErrorCode } from '../../datastore/index.js';
import type { ServerContext } from '../context.js';
import { entryFromProto, entryMaskFromProto, entryToProto } from '../convert/entry.js';
import { itemStatus, OK_STATUS, statusError, toStatus } from '../status.js';
import { entryIdProblem } from './entry-id.js';
import { entryFilterFromProto } from './filter.js';

type EntryImpl = ServiceImpl<typeof EntryService>;

/** The agent-facing methods supplied by the agent API module. */
export type AuthorizedEntriesMethods = Pick<
  EntryImpl,
  'getAuthorizedEntries' | 'syncAuthorizedEntries'
>;

const UNIMPLEMENTED: AuthorizedEntriesMethods = {
  getAuthorizedEntries() {
    throw new ConnectError('method GetAuthorizedEntries not implemented', Code.Unimplemented);
  },
  // biome-ignore lint/correctness/useYield: refuses before streaming anything
  async *syncAuthorizedEntries() {
    throw new ConnectError('method SyncAuthorizedEntries not implemented', Code.Unimplemented);
  },
};

/** Builds the Entry service; authorization is done by the server's interceptor. */
export function createEntryService(
  ctx: ServerContext,
  authorized: AuthorizedEntriesMethods = UNIMPLEMENTED,
): EntryImpl {
  const log = ctx.log.child({ [LogField.Service]: 'entry.v1.Entry' });
  return {
    async countEntries(req) {
      const filter = inputOrThrow(log, 'failed to build filter', () =>
        entryFilterFromProto(req.filter),
      );
      try {
        return { count: await ctx.datastore.countEntries(filter) };
      } catch (err) {
        throw toStatus(log, 'failed to count entries', err);
      }
    },

    async listEntries(req) {
      const filter = inputOrThrow(log, 'failed to build filter', () =>
        entryFilterFromProto(req.filter),
      );
      if (req.pageSize < 0)
        throw statusError(log, Code.InvalidArgument, 'page size cannot be negative');
      try {
        const page = await ctx.datastore.listEntries(
          filter,
          req.pageSize > 0 ? { pageSize: req.pageSize, pageToken: req.pageToken } : undefined,
        );
        return {
          entries: page.items.map((e) => entryToProto(e, req.outputMask)),
          nextPageToken: page.nextPageToken,
        };
      } catch (err) {
        throw toStatus(log, 'failed to list entries', err);
      }
    },

    async getEntry(req) {
      if (req.id === '') throw statusError(log, Code.InvalidArgument, 'missing ID');
      let entry: Awaited<ReturnType<typeof ctx.datastore.fetchEntry>>;
      try {
        entry = await ctx.datastore.fetchEntry(req.id);
      } catch (err) {
        throw toStatus(log, 'failed to fetch entry', err);
      }
      if (!entry) throw statusError(log, Code.NotFound, 'entry not found');
      return entryToProto(entry, req.outputMask);
    },

    async batchCreateEntry(req) {
      const results = [];
      const created: string[] = [];
      for (const proto of req.entries) {
        const r = await createOne(ctx, log, proto, req.outputMask);
        if (r.status.code === 0 && r.entry && !r.existed) created.push(r.entry.id);
        results.push(create(BatchCreateEntryResponse_ResultSchema, r));
      }
      await ctx.changed.entries(created);
      return { results };
    },

    async batchUpdateEntry(req) {
      const results = [];
      const updated: string[] = [];
      for (const proto of req.entries) {
        const r = await updateOne(ctx, log, proto, req.inputMask, req.outputMask);
        if (r.status.code === 0 && r.entry) updated.push(r.entry.id);
        results.push(create(BatchUpdateEntryResponse_ResultSchema, r));
      }
      await ctx.changed.entries(updated);
      return { results };
    },

    async batchDeleteEntry(req) {
      const results = [];
      const deleted: string[] = [];
      for (const id of req.ids) {
        const status = await deleteOne(ctx, log, id);
        if (status.code === 0) deleted.push(id);
        results.push(create(BatchDeleteEntryResponse_ResultSchema, { status, id }));
      }
      await ctx.changed.entries(deleted);
      return { results };
    },

    ...authorized,
  };
}

type Log = ServerContext['log'];

function inputOrThrow<T>(log: Log, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStatus(log, what, err, Code.InvalidArgument);
  }
}

async function createOne(ctx: ServerContext, log: Log, proto: Entry, mask: EntryMask | undefined) {
  const badId = entryIdProblem(proto.id);
  if (badId) {
    return {
      status: itemStatus(log, `failed to convert entry: ${badId}`, undefined, Code.InvalidArgument),
    };
  }
  let draft: ReturnType<typeof entryFromProto>;
  try {
    draft = entryFromProto(ctx.trustDomain, proto);
  } catch (err) {
    return { status: itemStatus(log, 'failed to convert entry', err, Code.InvalidArgument) };
  }
  try {
    const { entry, existed } = await ctx.datastore.createOrReturnEntry(draft);
    if (existed) {
      // Reference §3.9: a similar entry is AlreadyExists, and the existing one is returned.
      const status = itemStatus(log, 'similar entry already exists', undefined, Code.AlreadyExists);
      return { status, entry: entryToProto(entry, mask), existed };
    }
    return { status: OK_STATUS, entry: entryToProto(entry, mask), existed };
  } catch (err) {
    if (err instanceof DataStoreError && err.code === DataStoreErrorCode.AlreadyExists) {
      return { status: itemStatus(log, err.message, undefined, Code.AlreadyExists) };
    }
    return { status: itemStatus(log, 'failed to create entry', err) };
  }
}

async function updateOne(
  ctx: ServerContext,
  log: Log,
  proto: Entry,
  inputMask: EntryMask | undefined,
  outputMask: EntryMask | undefined,
) {
  if (proto.id === '') {
    return {
      status: itemStatus(
        log,
        'failed to convert entry: missing entry ID',
        undefined,
        Code.InvalidArgument,
      ),
    };
  }
  let draft: ReturnType<typeof entryFromProto>;
  try {
    draft = entryFromProto(ctx.trustDomain, proto, inputMask);
  } catch (err) {
    return { status: itemStatus(log, 'failed to convert entry', err, Code.InvalidArgument) };
  }
  try {
    const current = await ctx.datastore.fetchEntry(proto.id);
    if (!current) return { status: itemStatus(log, 'entry not found', undefined, Code.NotFound) };
    const entry = await ctx.datastore.updateEntry(
      { ...current, ...definedFields(draft), id: proto.id },
      entryMaskFromProto(inputMask),
    );
    return { status: OK_STATUS, entry: entryToProto(entry, outputMask) };
  } catch (err) {
    if (err instanceof DataStoreError && err.code === DataStoreErrorCode.NotFound) {
      return { status: itemStatus(log, 'entry not found', undefined, Code.NotFound) };
    }
    return { status: itemStatus(log, 'failed to update entry', err) };
  }
}

/** The draft with the optional fields filled, as a full stored entry's fields. */
function definedFields(d: ReturnType<typeof entryFromProto>) {
  return {
    spiffeId: d.spiffeId,
    parentId: d.parentId,
    selectors: d.selectors,
    x509SvidTtl: d.x509SvidTtl ?? 0,
    jwtSvidTtl: d.jwtSvidTtl ?? 0,
    dnsNames: d.dnsNames ?? [],
    federatesWith: d.federatesWith ?? [],
    admin: d.admin ?? false,
    downstream: d.downstream ?? false,
    expiresAt: d.expiresAt ?? 0,
    hint: d.hint ?? '',
    storeSvid: d.storeSvid ?? false,
  };
}

async function deleteOne(ctx: ServerContext, log: Log, id: string) {
  if (id === '') return itemStatus(log, 'missing entry ID', undefined, Code.InvalidArgument);
  try {
    await ctx.datastore.deleteEntry(id);
    return OK_STATUS;
  } catch (err) {
    if (err instanceof DataStoreError && err.code === DataStoreErrorCode.NotFound) {
      return itemStatus(log, 'entry not found', undefined, Code.NotFound);
    }
    return itemStatus(log, 'failed to delete entry', err);
  }
}
