/**
 * The Entry service's agent methods, GetAuthorizedEntries and SyncAuthorizedEntries. Both read
 * only the in-memory authorized-entries cache, never the datastore (DESIGN "Runtime shape").
 * server-runtime spreads {@link createAuthorizedEntriesMethods} into its Entry service.
 */
import { create } from '@bufbuild/protobuf';
import { Code, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { SpireLogger } from '../../../common/log/index.js';
import {
  Entry as EntryService,
  type GetAuthorizedEntriesRequest,
  type GetAuthorizedEntriesResponse,
  GetAuthorizedEntriesResponseSchema,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { RegistrationEntry } from '../../datastore/index.js';
import { requestLog } from '../agent/service.js';
import { authorize } from '../authorize.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { statusError } from '../status.js';
import { entryProto } from './entry-proto.js';
import { syncAuthorizedEntries } from './sync.js';

/** The two agent methods of the Entry service. */
export type AuthorizedEntriesMethods = Pick<
  ServiceImpl<typeof EntryService>,
  'getAuthorizedEntries' | 'syncAuthorizedEntries'
>;

/** Implements GetAuthorizedEntries and SyncAuthorizedEntries over `ctx`. */
export function createAuthorizedEntriesMethods(ctx: ServerContext): AuthorizedEntriesMethods {
  const call = async (method: string, handler: HandlerContext) => {
    const who = await authorize(ctx, `/${EntryService.typeName}/${method}`, handler);
    return { who, log: requestLog(ctx, method, who) };
  };
  return {
    async getAuthorizedEntries(req, h) {
      const { who, log } = await call('GetAuthorizedEntries', h);
      return getAuthorizedEntries(ctx, log, who, req);
    },
    async *syncAuthorizedEntries(requests, h) {
      const { who, log } = await call('SyncAuthorizedEntries', h);
      yield* syncAuthorizedEntries(authorizedEntriesOf(ctx, log, who), requests);
    },
  };
}

/** GetAuthorizedEntries: every entry the calling agent may mint, with the output mask. */
export function getAuthorizedEntries(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: GetAuthorizedEntriesRequest,
): GetAuthorizedEntriesResponse {
  const entries = authorizedEntriesOf(ctx, log, who);
  return create(GetAuthorizedEntriesResponseSchema, {
    entries: entries.map((e) => entryProto(e, req.outputMask)),
  });
}

/** The cache's answer for the calling agent. */
export function authorizedEntriesOf(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
): readonly RegistrationEntry[] {
  if (!who.agentId) throw statusError(log, Code.Internal, 'caller ID missing from request context');
  return ctx.entries.authorizedEntries(who.agentId);
}
