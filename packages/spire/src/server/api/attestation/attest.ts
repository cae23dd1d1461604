/**
 * Node attestation as the Agent API's AttestAgent runs it (reference §3.8): check the request,
 * run the named node attestor (with its challenge exchange), refuse banned agents and reused
 * evidence, sign the agent SVID from the CSR, and record the node with its selectors.
 */
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import { LogField, type SpireLogger } from '../../../common/log/index.js';
import {
  type AttestAgentRequest_Params,
  type AttestAgentResponse_Result,
  AttestAgentResponse_ResultSchema,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import type { AttestedNode, Selector } from '../../datastore/index.js';
import {
  type ChallengeExchange,
  NodeAttestationError,
  type NodeAttestationResult,
} from '../../plugin/nodeattestor/node-attestor.js';
import type { ServerContext } from '../context.js';
import { codeOf, statusError, toStatus } from '../status.js';
import { type AgentSvid, signAgentSvid } from './agent-svid.js';
import { parseCsr } from './csr.js';

const AGENT_PATH_PREFIX = '/spire/agent/';

/**
 * Runs one attestation from the stream's first message. `exchange` sends a challenge to the
 * agent and resolves with its response. Resolves with the result to send; rejects with the
 * ConnectError to end the stream with.
 */
export async function attestAgent(
  ctx: ServerContext,
  log: SpireLogger,
  params: AttestAgentRequest_Params | undefined,
  exchange: ChallengeExchange,
): Promise<AttestAgentResponse_Result> {
  const { type, payload, csr } = checkParams(log, params);
  const attestorLog = log.child({ [LogField.NodeAttestorType]: type });
  checkCsr(attestorLog, csr);

  const result = await runAttestor(ctx, attestorLog, type, payload, exchange);
  const agentId = checkAgentId(ctx, attestorLog, result.agentId);
  const agentLog = attestorLog.child({ [LogField.AgentId]: agentId.toString() });

  const existing = await fetchNode(ctx, agentLog, agentId.toString());
  checkMayAttest(agentLog, existing, result);

  const svid = await signAgentSvid(ctx, agentLog, agentId, csr);
  await recordNode(ctx, agentLog, { agentId, type, result, existing, svid });
  await ctx.changed.nodes([agentId.toString()]);
  agentLog.info('Agent attestation request completed');

  return create(AttestAgentResponse_ResultSchema, {
    svid: svid.proto,
    reattestable: result.canReattest,
  });
}

function checkParams(log: SpireLogger, params: AttestAgentRequest_Params | undefined) {
  const why = !params
    ? 'missing params'
    : !params.data
      ? 'missing attestation data'
      : !params.params
        ? 'missing X509-SVID parameters'
        : params.params.csr.length === 0
          ? 'missing CSR'
          : params.data.type === ''
            ? 'missing attestation data type'
            : params.data.payload.length === 0
              ? 'missing attestation data payload'
              : undefined;
  if (why !== undefined || !params?.data || !params.params) {
    throw statusError(log, Code.InvalidArgument, `malformed param: ${why}`);
  }
  return { type: params.data.type, payload: params.data.payload, csr: params.params.csr };
}

// Checked before the attestor runs, so that a bad CSR does not spend a single-use join token.
function checkCsr(log: SpireLogger, csr: Uint8Array): void {
  try {
    parseCsr(csr);
  } catch (err) {
    throw toStatus(log, 'failed to parse CSR', err, Code.InvalidArgument);
  }
}

async function runAttestor(
  ctx: ServerContext,
  log: SpireLogger,
  type: string,
  payload: Uint8Array,
  exchange: ChallengeExchange,
): Promise<NodeAttestationResult> {
  const attestor = ctx.nodeAttestors.get(type);
  if (!attestor) {
    const configured = [...ctx.nodeAttestors.keys()].sort().join(', ');
    throw statusError(
      log,
      Code.InvalidArgument,
      `failed to attest: no node attestor named "${type}"; configured node attestors: ${configured}`,
    );
  }
  try {
    return await attestor.attest(payload, exchange);
  } catch (err) {
    // SPIRE passes the attestor's own status through: its message already says what failed.
    if (err instanceof NodeAttestationError) throw statusError(log, codeOf(err), err.message);
    throw toStatus(log, 'failed to attest', err);
  }
}

// Reference §3.8: agent IDs live under spiffe://<td>/spire/agent/ and never name the server.
function checkAgentId(ctx: ServerContext, log: SpireLogger, id: string): SpiffeId {
  let agentId: SpiffeId;
  try {
    agentId = SpiffeId.fromString(id);
  } catch (err) {
    throw toStatus(log, 'node attestor produced an invalid agent ID', err, Code.Internal);
  }
  if (!agentId.memberOf(ctx.trustDomain)) {
    throw statusError(
      log,
      Code.Internal,
      `node attestor produced agent ID "${id}" outside trust domain "${ctx.trustDomain.name}"`,
    );
  }
  if (!agentId.path.startsWith(AGENT_PATH_PREFIX)) {
    throw statusError(
      log,
      Code.Internal,
      `node attestor produced agent ID "${id}" whose path is not under ${AGENT_PATH_PREFIX}`,
    );
  }
  return agentId;
}

async function fetchNode(ctx: ServerContext, log: SpireLogger, id: string) {
  try {
    return await ctx.datastore.fetchAttestedNode(id);
  } catch (err) {
    throw toStatus(log, 'failed to fetch agent', err, Code.Internal);
  }
}

function checkMayAttest(
  log: SpireLogger,
  existing: AttestedNode | undefined,
  result: NodeAttestationResult,
): void {
  if (!existing) return;
  // Reference §3.8: a ban stands until the node is deleted (evicted).
  if (existing.banned) {
    throw statusError(log, Code.PermissionDenied, 'failed to attest: agent is banned');
  }
  // As SPIRE's attestors refuse evidence of a non-reattestable kind that already made an agent.
  if (!result.canReattest) {
    throw statusError(
      log,
      Code.PermissionDenied,
      'failed to attest: attestation data has already been used to attest an agent',
    );
  }
}

interface NodeRecord {
  readonly agentId: SpiffeId;
  readonly type: string;
  readonly result: NodeAttestationResult;
  readonly existing: AttestedNode | undefined;
  readonly svid: AgentSvid;
}

async function recordNode(ctx: ServerContext, log: SpireLogger, rec: NodeRecord): Promise<void> {
  const spiffeId = rec.agentId.toString();
  const node = {
    spiffeId,
    attestationDataType: rec.type,
    certSerialNumber: rec.svid.serial,
    certNotAfter: rec.svid.expiresAt,
    newCertSerialNumber: '',
    newCertNotAfter: 0,
    canReattest: rec.result.canReattest,
  };
  try {
    await ctx.datastore.setNodeSelectors(spiffeId, nodeSelectors(ctx, rec));
    if (rec.existing) {
      await ctx.datastore.updateAttestedNode(node, CERTIFICATE_MASK);
    } else {
      await ctx.datastore.createAttestedNode(node);
    }
  } catch (err) {
    const what = rec.existing
      ? 'failed to update attested agent'
      : 'failed to create attested agent';
    throw toStatus(log, what, err, Code.Internal);
  }
}

const CERTIFICATE_MASK = {
  certSerialNumber: true,
  certNotAfter: true,
  newCertSerialNumber: true,
  newCertNotAfter: true,
  canReattest: true,
} as const;

/** The attestor's selectors, without duplicates, plus `spiffe_id:<agent ID>` when configured. */
function nodeSelectors(ctx: ServerContext, rec: NodeRecord): Selector[] {
  const all: Selector[] = [...rec.result.selectors];
  if (ctx.config.experimental.agent_spiffe_id_as_selector) {
    all.push({ type: 'spiffe_id', value: rec.agentId.toString() });
  }
  const seen = new Set<string>();
  return all.filter((s) => {
    const key = `${s.type}\u0000${s.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
