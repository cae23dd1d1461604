/** `spire-server agent list|count|show|evict|ban` with SPIRE's flags and output (§3.4, D13). */

import { create } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import { SpiffeId } from '@spire-ts/spiffe';
import type { FlagSpec, FlagValues } from '../../../common/cli/flagset.js';
import {
  Agent,
  CountAgentsResponseSchema,
  ListAgentsResponseSchema,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import type { Agent as AgentType } from '../../../gen/spire/api/types/agent_pb.js';
import { AgentSchema } from '../../../gen/spire/api/types/agent_pb.js';
import { adminCommand, CliError, printJson } from '../client.js';
import { AGENT_FILTER_FLAGS, agentFilter } from './filter.js';
import { plural, printAgents } from './print.js';

// Comfortably under the 4 MB message limit, as SPIRE's CLI pages.
const PAGE_SIZE = 1000;

const idFlag = (what: string): FlagSpec => ({
  name: 'spiffeID',
  kind: 'string',
  usage: `The SPIFFE ID of the agent to ${what} (agent identity)`,
  default: '',
});

function agentId(flags: FlagValues) {
  const text = String(flags.spiffeID);
  if (text === '') throw new CliError('a SPIFFE ID is required');
  const id = SpiffeId.fromString(text);
  return { trustDomain: id.trustDomain.name, path: id.path };
}

/** `agent list`: every page of matching agents. */
export const agentListCommand = adminCommand(
  'agent list',
  'Lists attested agents and their SPIFFE IDs',
  AGENT_FILTER_FLAGS,
  async ({ flags, io, json, server }) => {
    const filter = agentFilter(flags);
    const agents: AgentType[] = [];
    let pageToken = '';
    do {
      const page = await server
        .client(Agent)
        .listAgents({ filter, pageSize: PAGE_SIZE, pageToken });
      agents.push(...page.agents);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    if (json)
      return printJson(io, ListAgentsResponseSchema, create(ListAgentsResponseSchema, { agents }));
    if (agents.length === 0) {
      io.stdout.write('No attested agents found\n');
      return;
    }
    io.stdout.write(
      `Found ${agents.length} attested ${plural(agents.length, 'agent', 'agents')}:\n\n`,
    );
    printAgents(io, agents);
  },
);

/** `agent count`. */
export const agentCountCommand = adminCommand(
  'agent count',
  'Count attested agents',
  AGENT_FILTER_FLAGS,
  async ({ flags, io, json, server }) => {
    const res = await server.client(Agent).countAgents({ filter: agentFilter(flags) });
    if (json) return printJson(io, CountAgentsResponseSchema, res);
    io.stdout.write(`${res.count} attested ${plural(res.count, 'agent', 'agents')}\n`);
  },
);

/** `agent show -spiffeID ID`: one agent with its selectors. */
export const agentShowCommand = adminCommand(
  'agent show',
  'Shows the details of an attested agent given its SPIFFE ID',
  [idFlag('show')],
  async ({ flags, io, json, server }) => {
    const agent = await server.client(Agent).getAgent({ id: agentId(flags) });
    if (json) return printJson(io, AgentSchema, agent);
    io.stdout.write('Found an attested agent given its SPIFFE ID\n\n');
    printAgents(io, [agent]);
    for (const s of agent.selectors) io.stdout.write(`Selectors         : ${s.type}:${s.value}\n`);
  },
);

/** `agent evict -spiffeID ID`: deletes the node; the agent must attest again. */
export const agentEvictCommand = adminCommand(
  'agent evict',
  'Evicts an attested agent given its SPIFFE ID',
  [idFlag('evict')],
  async ({ flags, io, json, server }) => {
    await server.client(Agent).deleteAgent({ id: agentId(flags) });
    if (json) return printJson(io, EmptySchema, create(EmptySchema));
    io.stdout.write('Agent evicted successfully\n');
  },
);

/** `agent ban -spiffeID ID`: refuses the agent until it is evicted. */
export const agentBanCommand = adminCommand(
  'agent ban',
  'Ban an attested agent given its SPIFFE ID',
  [idFlag('ban')],
  async ({ flags, io, json, server }) => {
    await server.client(Agent).banAgent({ id: agentId(flags) });
    if (json) return printJson(io, EmptySchema, create(EmptySchema));
    io.stdout.write('Agent banned successfully\n');
  },
);
