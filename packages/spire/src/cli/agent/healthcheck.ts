import { type Client, createClient } from '@connectrpc/connect';
import { DEFAULT_WORKLOAD_SOCKET_PATH } from '../../agent/endpoints/endpoint.js';
import type { Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../gen/grpc/health/v1/health_pb.js';
import { usage } from '../server/validate.js';
import { describeError, unixGrpcTransport } from './api/client.js';

// How long the check waits for the agent before calling it unhealthy.
const CHECK_TIMEOUT_MS = 5_000;

const FLAGS = new FlagSet('health', [
  { name: 'shallow', kind: 'bool', usage: 'Perform a less stringent health check' },
  {
    name: 'socketPath',
    kind: 'string',
    usage: 'Path to the Agent API socket',
    default: DEFAULT_WORKLOAD_SOCKET_PATH,
  },
  { name: 'verbose', kind: 'bool', usage: 'Print verbose information' },
]);

/**
 * `spire-agent healthcheck`: asks `grpc.health.v1.Health/Check` on the agent's public socket and
 * prints `Agent is healthy.` (exit 0), or `Agent is unhealthy: ...` on stderr (exit 1), with
 * SPIRE's wording; `-verbose` adds the progress line and the underlying error (bug-cases-2 D15).
 */
export const agentHealthcheckCommand: Command = {
  name: 'healthcheck',
  synopsis: 'Determines agent health status',
  run: async (args, io) => {
    const parsed = FLAGS.parse(args);
    if (!parsed.ok) return usage(parsed, io);
    const verbose = parsed.values['verbose'] === true;
    if (verbose) io.stdout.write('Checking agent health...\n');

    const { client, close } = healthClient(String(parsed.values['socketPath']));
    try {
      const resp = await client.check({}, { timeoutMs: CHECK_TIMEOUT_MS });
      if (resp.status !== ServingStatus.SERVING) {
        io.stderr.write(
          `Agent is unhealthy: agent returned status "${ServingStatus[resp.status]}"\n`,
        );
        return 1;
      }
    } catch (err) {
      if (verbose) io.stderr.write(`Failed to check health: ${describeError(err)}\n`);
      io.stderr.write('Agent is unhealthy: unable to determine health\n');
      return 1;
    } finally {
      close();
    }
    io.stdout.write('Agent is healthy.\n');
    return 0;
  },
};

function healthClient(socketPath: string): { client: Client<typeof Health>; close(): void } {
  const { transport, close } = unixGrpcTransport(socketPath);
  return { client: createClient(Health, transport), close };
}
