import type { Command } from '../../common/cli/command.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { healthcheckCommand } from '../health-check.js';
import { adminClients, errorText, SOCKET_PATH_FLAG } from './client.js';

/**
 * `spire-server healthcheck`: asks `grpc.health.v1.Health/Check` on the admin socket and prints
 * `Server is healthy.` (exit 0), or `Server is unhealthy: ...` on stderr (exit 1); `-verbose`
 * adds the progress line and the underlying error.
 */
export const serverHealthcheckCommand: Command = healthcheckCommand({
  role: 'Server',
  synopsis: 'Determines server health status',
  socketPathFlag: SOCKET_PATH_FLAG,
  connect: (socketPath) => {
    const server = adminClients(socketPath);
    return {
      check: (timeoutMs) => server.client(Health).check({}, { timeoutMs }),
      close: () => server.close(),
    };
  },
  describeError: errorText,
});
