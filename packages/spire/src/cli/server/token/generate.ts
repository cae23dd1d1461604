import { SpiffeId } from '@spire-ts/spiffe';
import { Agent } from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import { JoinTokenSchema } from '../../../gen/spire/api/types/jointoken_pb.js';
import { adminCommand, printJson } from '../client.js';

/**
 * `spire-server token generate [-spiffeID ID] [-ttl 600]`: prints `Token: <token>`, and a warning
 * when no SPIFFE ID (alias entry) was asked for (reference §3.4).
 */
export const tokenGenerateCommand = adminCommand(
  'token generate',
  'Generates a join token',
  [
    {
      name: 'spiffeID',
      kind: 'string',
      usage: 'Additional SPIFFE ID to assign the token owner (optional)',
      default: '',
    },
    { name: 'ttl', kind: 'int', usage: 'Token TTL in seconds', default: 600 },
  ],
  async ({ flags, io, json, server }) => {
    const text = String(flags.spiffeID);
    const id = text === '' ? undefined : SpiffeId.fromString(text);
    const token = await server.client(Agent).createJoinToken({
      ttl: Number(flags.ttl),
      ...(id ? { agentId: { trustDomain: id.trustDomain.name, path: id.path } } : {}),
    });
    if (json) return printJson(io, JoinTokenSchema, token);
    io.stdout.write(`Token: ${token.value}\n`);
    if (!id) io.stdout.write('Warning: Missing SPIFFE ID.\n');
  },
);
