/**
 * CreateJoinToken (reference §3.8): a single-use token with a required TTL, a UUIDv4 unless the
 * caller gives one, and, when an agent ID is given, the alias entry that names the agent the
 * token will make: parent `spiffe://<td>/spire/agent/join_token/<token>`, SPIFFE ID the given
 * one, one selector `spiffe_id:<parent>` (bug-cases-2 D11).
 */
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import type { CreateJoinTokenRequest } from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import { type JoinToken, JoinTokenSchema } from '../../../gen/spire/api/types/jointoken_pb.js';
import type { SPIFFEID } from '../../../gen/spire/api/types/spiffeid_pb.js';
import type { ServerContext } from '../context.js';
import { statusError, toStatus } from '../status.js';

// The characters the join_token attestor accepts in a token.
const TOKEN = /^[A-Za-z0-9._-]{1,256}$/;

/** The agent ID a join token attests as. */
export function joinTokenAgentId(ctx: ServerContext, token: string): string {
  return `${ctx.trustDomain.idString()}/spire/agent/join_token/${token}`;
}

/** Creates the token (and its alias entry when `agent_id` is set). */
export async function createJoinToken(
  ctx: ServerContext,
  log: SpireLogger,
  req: CreateJoinTokenRequest,
): Promise<JoinToken> {
  if (req.ttl < 1) {
    throw statusError(log, Code.InvalidArgument, 'ttl is required, you must provide one');
  }
  const aliasId = req.agentId ? workloadId(ctx, log, req.agentId) : undefined;
  const token = req.token === '' ? randomUUID() : req.token;
  if (!TOKEN.test(token)) {
    throw statusError(
      log,
      Code.InvalidArgument,
      'invalid token: use 1 to 256 letters, digits, ".", "_" or "-"',
    );
  }

  const expiresAt = Math.floor(ctx.clock.now() / 1000) + req.ttl;
  try {
    await ctx.datastore.createJoinToken({ token, expiresAt });
  } catch (err) {
    throw toStatus(log, 'failed to create token', err);
  }
  if (aliasId) await createAliasEntry(ctx, log, token, aliasId);
  return create(JoinTokenSchema, { value: token, expiresAt: BigInt(expiresAt) });
}

// SPIRE's TrustDomainWorkloadIDFromProto: our trust domain, a path, not under /spire/.
function workloadId(ctx: ServerContext, log: SpireLogger, id: SPIFFEID): string {
  let parsed: SpiffeId;
  try {
    parsed = SpiffeId.fromPath(id.trustDomain, id.path);
  } catch (err) {
    throw toStatus(log, 'invalid agent ID', err, Code.InvalidArgument);
  }
  const why = !parsed.memberOf(ctx.trustDomain)
    ? `"${parsed}" is not a member of trust domain "${ctx.trustDomain.name}"`
    : parsed.path === ''
      ? `"${parsed}" has no path; the trust domain ID names no workload`
      : parsed.path.startsWith('/spire/')
        ? `"${parsed}" is in the reserved /spire/ namespace`
        : undefined;
  if (why) throw statusError(log, Code.InvalidArgument, `invalid agent ID: ${why}`);
  return parsed.toString();
}

async function createAliasEntry(
  ctx: ServerContext,
  log: SpireLogger,
  token: string,
  spiffeId: string,
): Promise<void> {
  const parentId = joinTokenAgentId(ctx, token);
  try {
    const entry = await ctx.datastore.createEntry({
      parentId,
      spiffeId,
      selectors: [{ type: 'spiffe_id', value: parentId }],
    });
    await ctx.changed.entries([entry.id]);
  } catch (err) {
    throw toStatus(log, 'failed to create join token registration entry', err, Code.Internal);
  }
}

/** True for the entry `createJoinToken` makes for the join-token agent `agentId`. */
export function isJoinTokenAlias(
  entry: { parentId: string; selectors: readonly { type: string; value: string }[] },
  agentId: string,
): boolean {
  const [only, ...more] = entry.selectors;
  return (
    entry.parentId === agentId &&
    more.length === 0 &&
    only?.type === 'spiffe_id' &&
    only.value === agentId
  );
}
