import type { Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import {
  Health,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../gen/grpc/health/v1/health_pb.js';
import { adminClients, errorText, SOCKET_PATH_FLAG } from './client.js';
import { usage } from './validate.js';

// How long the check waits for the server before calling it unhealthy.
const CHECK_TIMEOUT_MS = 5_000;

const FLAGS = new FlagSet('health', [
  { name: 'shallow', kind: 'bool', usage: 'Perform a less stringent health check' },
  SOCKET_PATH_FLAG,
  { name: 'verbose', kind: 'bool', usage: 'Print verbose information' },
]);

/**
 * `spire-server healthcheck`: asks `grpc.health.v1.Health/Check` on the admin socket and prints
 * `Server is healthy.` (exit 0), or `Server is unhealthy: ...` on stderr (exit 1); `-verbose`
 * adds the progress line and the underlying error.
 */
export const serverHealthcheckCommand: Command = {
  name: 'healthcheck',
  synopsis: 'Determines server health status',
  run: async (args, io) => {
    const parsed = FLAGS.parse(args);
    if (!parsed.ok) return usage(parsed, io);
    const verbose = parsed.values.verbose === true;
    if (verbose) io.stdout.write('Checking server health...\n');
    const server = adminClients(String(parsed.values.socketPath));
    try {
      const resp = await server.client(Health).check({}, { timeoutMs: CHECK_TIMEOUT_MS });
      if (resp.status !== Serving.SERVING) {
        io.stderr.write(`Server is unhealthy: server returned status "${Serving[resp.status]}"\n`);
        return 1;
      }
    } catch (err) {
      if (verbose) io.stderr.write(`Failed to check health: ${errorText(err)}\n`);
      io.stderr.write('Server is unhealthy: unable to determine health\n');
      return 1;
    } finally {
      server.close();
    }
    io.stdout.write('Server is healthy.\n');
    return 0;
  },
};
