import { createClient } from '@connectrpc/connect';
import { DEFAULT_WORKLOAD_SOCKET_PATH } from '../../agent/endpoints/endpoint.js';
import type { Command } from '../../common/cli/command.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { healthcheckCommand } from '../health-check.js';
import { describeError, unixGrpcTransport } from './api/client.js';

/**
 * `spire-agent healthcheck`: asks `grpc.health.v1.Health/Check` on the agent's public socket and
 * prints `Agent is healthy.` (exit 0), or `Agent is unhealthy: ...` on stderr (exit 1), with
 * SPIRE's wording; `-verbose` adds the progress line and the underlying error (bug-cases-2 D15).
 */
export const agentHealthcheckCommand: Command = healthcheckCommand({
  role: 'Agent',
  synopsis: 'Determines agent health status',
  socketPathFlag: {
    name: 'socketPath',
    kind: 'string',
    usage: 'Path to the Agent API socket',
    default: DEFAULT_WORKLOAD_SOCKET_PATH,
  },
  connect: (socketPath) => {
    const { transport, close } = unixGrpcTransport(socketPath);
    const client = createClient(Health, transport);
    return { check: (timeoutMs) => client.check({}, { timeoutMs }), close };
  },
  describeError,
});
