/**
 * The write side of the Agent API: evict (DeleteAgent), BanAgent, RenewAgent and PostStatus
 * (reference §3.8). Every change is pushed to the authorized-entries cache at once.
 */
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import { LogField } from '../../../common/log/index.js';
import type {
  BanAgentRequest,
  DeleteAgentRequest,
  PostStatusRequest,
  RenewAgentRequest,
  RenewAgentResponse,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import { PermissionDeniedDetails_Reason } from '../../../gen/spire/api/types/status_pb.js';
import { DataStoreError, DataStoreErrorCode } from '../../datastore/index.js';
import { signAgentSvid } from '../attestation/agent-svid.js';
import { permissionDenied } from '../attestation/status.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { statusError, toStatus } from '../status.js';
import { agentIdFromProto } from './convert.js';
import { isJoinTokenAlias } from './join-token.js';
import { parseFilter } from './query.js';

const MAX_AGENT_VERSION = 255;

/**
 * DeleteAgent (evict): removes the node and its selectors, so the agent must attest again; this
 * also lifts a ban. A join-token agent's alias entry goes with it (bug-cases-2 D11).
 */
export async function deleteAgent(
  ctx: ServerContext,
  log: SpireLogger,
  req: DeleteAgentRequest,
): Promise<void> {
  const id = parseFilter(log, () => agentIdFromProto(ctx, req.id), 'invalid agent ID').toString();
  try {
    await ctx.datastore.deleteAttestedNode(id);
  } catch (err) {
    throw nodeError(log, err, 'failed to remove agent');
  }
  await removeJoinTokenAliases(ctx, log, id);
  await ctx.changed.nodes([id]);
  log.info({ [LogField.SpiffeId]: id }, 'Agent deleted');
}

async function removeJoinTokenAliases(ctx: ServerContext, log: SpireLogger, agentId: string) {
  if (!agentId.startsWith(`${ctx.trustDomain.idString()}/spire/agent/join_token/`)) return;
  try {
    const { items } = await ctx.datastore.listEntries({ byParentId: agentId });
    const aliases = items.filter((e) => isJoinTokenAlias(e, agentId));
    for (const entry of aliases) await ctx.datastore.deleteEntry(entry.id);
    if (aliases.length > 0) await ctx.changed.entries(aliases.map((e) => e.id));
  } catch (err) {
    throw toStatus(log, 'failed to remove join token registration entry', err, Code.Internal);
  }
}

/** BanAgent: empties both serial numbers, which refuses the agent until it is evicted. */
export async function banAgent(
  ctx: ServerContext,
  log: SpireLogger,
  req: BanAgentRequest,
): Promise<void> {
  const id = parseFilter(log, () => agentIdFromProto(ctx, req.id), 'invalid agent ID').toString();
  const banned = {
    spiffeId: id,
    attestationDataType: '',
    certSerialNumber: '',
    certNotAfter: 0,
    newCertSerialNumber: '',
  };
  try {
    await ctx.datastore.updateAttestedNode(banned, {
      certSerialNumber: true,
      newCertSerialNumber: true,
    });
  } catch (err) {
    throw nodeError(log, err, 'failed to ban agent');
  }
  await ctx.changed.nodes([id]);
  log.warn({ [LogField.SpiffeId]: id }, 'Agent banned');
}

/**
 * RenewAgent: signs a new SVID for the calling agent and records it as the node's new serial;
 * the authorization check makes it current on its first use. An agent that can re-attest must
 * re-attest instead (AGENT_MUST_REATTEST).
 */
export async function renewAgent(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: RenewAgentRequest,
): Promise<RenewAgentResponse['svid']> {
  const agentId = callerAgentId(log, who);
  const node = await ctx.datastore.fetchAttestedNode(agentId).catch((err: unknown) => {
    throw toStatus(log, 'failed to fetch agent', err, Code.Internal);
  });
  if (!node) throw toStatus(log, 'agent not found', undefined, Code.NotFound);
  if (node.canReattest) {
    throw permissionDenied(
      log,
      PermissionDeniedDetails_Reason.AGENT_MUST_REATTEST,
      'agent must reattest instead of renew',
    );
  }
  if (!req.params) throw statusError(log, Code.InvalidArgument, 'params cannot be nil');
  if (req.params.csr.length === 0) throw statusError(log, Code.InvalidArgument, 'missing CSR');

  const svid = await signAgentSvid(ctx, log, SpiffeId.fromString(agentId), req.params.csr);
  try {
    await ctx.datastore.updateAttestedNode(
      { ...node, newCertSerialNumber: svid.serial, newCertNotAfter: svid.expiresAt },
      { newCertSerialNumber: true, newCertNotAfter: true },
    );
  } catch (err) {
    throw nodeError(log, err, 'failed to update agent');
  }
  await ctx.changed.nodes([agentId]);
  log.info({ [LogField.SpiffeId]: agentId }, 'Renewed agent SVID');
  return svid.proto;
}

/** PostStatus: records the agent's version (at most 255 characters). */
export async function postStatus(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: PostStatusRequest,
): Promise<void> {
  const agentId = callerAgentId(log, who);
  if (req.agentVersion === '') return;
  if (req.agentVersion.length > MAX_AGENT_VERSION) {
    throw statusError(log, Code.InvalidArgument, 'agent version is too long (max 255 characters)');
  }
  const update = {
    spiffeId: agentId,
    attestationDataType: '',
    certSerialNumber: '',
    certNotAfter: 0,
    agentVersion: req.agentVersion,
  };
  try {
    await ctx.datastore.updateAttestedNode(update, { agentVersion: true });
  } catch (err) {
    throw nodeError(log, err, 'failed to update agent');
  }
  await ctx.changed.nodes([agentId]);
}

function callerAgentId(log: SpireLogger, who: AuthorizedCaller): string {
  if (!who.agentId) throw statusError(log, Code.Internal, 'caller ID missing from request context');
  return who.agentId;
}

function nodeError(log: SpireLogger, err: unknown, what: string) {
  if (err instanceof DataStoreError && err.code === DataStoreErrorCode.NotFound) {
    return toStatus(log, 'agent not found', err, Code.NotFound);
  }
  return toStatus(log, what, err, Code.Internal);
}
