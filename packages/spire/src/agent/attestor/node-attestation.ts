import { create } from '@bufbuild/protobuf';
import { createClient, type Transport } from '@connectrpc/connect';
import {
  Agent,
  type AttestAgentRequest,
  AttestAgentRequestSchema,
} from '../../gen/spire/api/server/agent/v1/agent_pb.js';
import { clientError } from '../client/errors.js';
import { Outbox } from '../client/outbox.js';
import { streamCall } from '../client/stream-deadline.js';
import { RPC_TIMEOUT_MS } from '../client/transport.js';
import type { AgentNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';
import { AgentAttestorError, AgentAttestorErrorCode } from './errors.js';

/** Most challenge rounds accepted from a server before the attestation is abandoned. */
const MAX_CHALLENGES = 16;

/** What `Agent.AttestAgent` returned. */
export interface AttestationResult {
  /** The agent SVID, leaf first (DER). */
  readonly chain: Uint8Array[];
  /** Whether the server lets this node attest again (renewals then re-attest). */
  readonly reattestable: boolean;
}

/**
 * Runs `Agent.AttestAgent` (reference §3.8): sends the plugin's attestation data with the CSR,
 * answers each challenge through the plugin, and returns the agent SVID from the result.
 */
export async function attestNode(
  transport: Transport,
  attestor: AgentNodeAttestor,
  csr: Uint8Array,
): Promise<AttestationResult> {
  const outbox = new Outbox<AttestAgentRequest>();
  const payload = await attestor.payload();
  outbox.push(
    create(AttestAgentRequestSchema, {
      step: {
        case: 'params',
        value: { data: { type: attestor.name, payload }, params: { csr } },
      },
    }),
  );
  const client = createClient(Agent, transport);
  const call = streamCall('attest agent', { timeoutMs: RPC_TIMEOUT_MS });
  try {
    let rounds = 0;
    for await (const resp of client.attestAgent(outbox, call.options)) {
      if (resp.step.case === 'result') {
        const svid = resp.step.value.svid;
        if (!svid || svid.certChain.length === 0) break;
        return { chain: svid.certChain, reattestable: resp.step.value.reattestable };
      }
      if (resp.step.case !== 'challenge' || ++rounds > MAX_CHALLENGES) break;
      const answer = await attestor.respond(resp.step.value);
      outbox.push(
        create(AttestAgentRequestSchema, { step: { case: 'challengeResponse', value: answer } }),
      );
    }
  } catch (err) {
    throw new AgentAttestorError(
      AgentAttestorErrorCode.Attestation,
      `failed to attest node with ${attestor.name}`,
      { cause: clientError('attest agent', err) },
    );
  } finally {
    outbox.close();
    call.done();
  }
  throw new AgentAttestorError(
    AgentAttestorErrorCode.Attestation,
    `failed to attest node with ${attestor.name}: the server ended the stream without an svid`,
  );
}
