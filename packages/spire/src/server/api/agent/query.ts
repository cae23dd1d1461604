/** The read side of the Agent API: CountAgents, ListAgents, GetAgent. */
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import type { SpireLogger } from '../../../common/log/index.js';
import {
  type CountAgentsRequest,
  type CountAgentsResponse,
  CountAgentsResponseSchema,
  type GetAgentRequest,
  type ListAgentsRequest,
  type ListAgentsResponse,
  ListAgentsResponseSchema,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import type { Agent } from '../../../gen/spire/api/types/agent_pb.js';
import type { NodeFilter } from '../../datastore/index.js';
import type { ServerContext } from '../context.js';
import { toStatus } from '../status.js';
import { AgentFilterError, agentIdFromProto, agentProto, nodeFilter } from './convert.js';

/** CountAgents: how many attested nodes match the filter. */
export async function countAgents(
  ctx: ServerContext,
  log: SpireLogger,
  req: CountAgentsRequest,
): Promise<CountAgentsResponse> {
  const filter = parseFilter(log, () => nodeFilter(req.filter));
  try {
    const count = await ctx.datastore.countAttestedNodes(filter);
    return create(CountAgentsResponseSchema, { count });
  } catch (err) {
    throw toStatus(log, 'failed to count agents', err, Code.Internal);
  }
}

/** ListAgents: one page of matching nodes (every node when `page_size` is 0). */
export async function listAgents(
  ctx: ServerContext,
  log: SpireLogger,
  req: ListAgentsRequest,
): Promise<ListAgentsResponse> {
  const filter = parseFilter(log, () => nodeFilter(req.filter));
  if (req.pageSize < 0) {
    throw toStatus(
      log,
      'invalid page size',
      'page_size must not be negative',
      Code.InvalidArgument,
    );
  }
  const fetchSelectors = !req.outputMask || req.outputMask.selectors;
  const page = req.pageSize > 0 ? { pageSize: req.pageSize, pageToken: req.pageToken } : undefined;
  try {
    const result = await ctx.datastore.listAttestedNodes({ ...filter, fetchSelectors }, page);
    return create(ListAgentsResponseSchema, {
      agents: result.items.map((n) => agentProto(n, req.outputMask)),
      nextPageToken: result.nextPageToken,
    });
  } catch (err) {
    throw toStatus(log, 'failed to list agents', err);
  }
}

/** GetAgent: one node, with its selectors. */
export async function getAgent(
  ctx: ServerContext,
  log: SpireLogger,
  req: GetAgentRequest,
): Promise<Agent> {
  const id = parseFilter(log, () => agentIdFromProto(ctx, req.id), 'invalid agent ID');
  let node: Awaited<ReturnType<ServerContext['datastore']['fetchAttestedNode']>>;
  try {
    node = await ctx.datastore.fetchAttestedNode(id.toString());
  } catch (err) {
    throw toStatus(log, 'failed to fetch agent', err, Code.Internal);
  }
  if (!node) throw toStatus(log, 'agent not found', undefined, Code.NotFound);
  const selectors = await ctx.datastore.getNodeSelectors(node.spiffeId);
  return agentProto({ ...node, selectors }, req.outputMask);
}

/** Runs a request-parsing step, turning an {@link AgentFilterError} into InvalidArgument. */
export function parseFilter<T = NodeFilter>(
  log: SpireLogger,
  parse: () => T,
  what = 'failed to parse filter',
): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AgentFilterError) throw toStatus(log, what, err, Code.InvalidArgument);
    throw err;
  }
}
