/**
 * The `spire.api.server.agent.v1.Agent` service. Each handler authorizes its caller against the
 * default policy, then runs the method's logic with a logger naming the method.
 */
import { create } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { LogField, type SpireLogger } from '../../../common/log/index.js';
import {
  Agent,
  PostStatusResponseSchema,
  RenewAgentResponseSchema,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import { serveAttestAgent } from '../attestation/stream.js';
import { authorize } from '../authorize.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { createJoinToken } from './join-token.js';
import { banAgent, deleteAgent, postStatus, renewAgent } from './lifecycle.js';
import { countAgents, getAgent, listAgents } from './query.js';

const SERVICE = Agent.typeName;

/** Implements the Agent service over `ctx`; the server mounts it on both listeners. */
export function createAgentService(ctx: ServerContext): ServiceImpl<typeof Agent> {
  const call = async (method: string, handler: HandlerContext) => {
    const who = await authorize(ctx, `/${SERVICE}/${method}`, handler);
    return { who, log: requestLog(ctx, method, who) };
  };
  const empty = {};

  return {
    async countAgents(req, h) {
      return countAgents(ctx, (await call('CountAgents', h)).log, req);
    },
    async listAgents(req, h) {
      return listAgents(ctx, (await call('ListAgents', h)).log, req);
    },
    async getAgent(req, h) {
      return getAgent(ctx, (await call('GetAgent', h)).log, req);
    },
    async deleteAgent(req, h) {
      await deleteAgent(ctx, (await call('DeleteAgent', h)).log, req);
      return empty;
    },
    async banAgent(req, h) {
      await banAgent(ctx, (await call('BanAgent', h)).log, req);
      return empty;
    },
    async *attestAgent(requests, h) {
      const { log } = await call('AttestAgent', h);
      yield* serveAttestAgent(ctx, log, requests);
    },
    async renewAgent(req, h) {
      const { who, log } = await call('RenewAgent', h);
      const svid = await renewAgent(ctx, log, who, req);
      return create(RenewAgentResponseSchema, { svid });
    },
    async createJoinToken(req, h) {
      return createJoinToken(ctx, (await call('CreateJoinToken', h)).log, req);
    },
    async postStatus(req, h) {
      const { who, log } = await call('PostStatus', h);
      await postStatus(ctx, log, who, req);
      return create(PostStatusResponseSchema);
    },
  };
}

/** A child logger naming the method and, for agents, the caller's ID. */
export function requestLog(ctx: ServerContext, method: string, who: AuthorizedCaller): SpireLogger {
  const fields: Record<string, string> = { [LogField.Method]: method };
  if (who.caller.kind === 'x509') fields[LogField.CallerId] = who.caller.id.toString();
  return ctx.log.child(fields);
}
