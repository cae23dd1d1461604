import type { Command } from '../common/cli/command.js';
import { FlagSet, type FlagSpec } from '../common/cli/flagset.js';
import {
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Serving,
} from '../gen/grpc/health/v1/health_pb.js';
import { usage } from './server/validate.js';

// How long the check waits for the process before calling it unhealthy.
const CHECK_TIMEOUT_MS = 5_000;

/** What differs between `spire-server healthcheck` and `spire-agent healthcheck`. */
export interface HealthcheckOptions {
  /** `Server` or `Agent`, as SPIRE's messages name them. */
  readonly role: 'Server' | 'Agent';
  readonly synopsis: string;
  readonly socketPathFlag: FlagSpec;
  /** Opens the health client on the socket. */
  readonly connect: (socketPath: string) => {
    check(timeoutMs: number): Promise<HealthCheckResponse>;
    close(): void;
  };
  /** The underlying error as the role's other commands print it. */
  readonly describeError: (err: unknown) => string;
}

/**
 * `healthcheck`: asks `grpc.health.v1.Health/Check` on the socket and prints `<Role> is healthy.`
 * (exit 0), or `<Role> is unhealthy: ...` on stderr (exit 1), with SPIRE's wording; `-verbose`
 * adds the progress line and the underlying error (bug-cases-2 D15).
 */
export function healthcheckCommand(o: HealthcheckOptions): Command {
  const flags = new FlagSet('health', [
    { name: 'shallow', kind: 'bool', usage: 'Perform a less stringent health check' },
    o.socketPathFlag,
    { name: 'verbose', kind: 'bool', usage: 'Print verbose information' },
  ]);
  const lower = o.role.toLowerCase();
  return {
    name: 'healthcheck',
    synopsis: o.synopsis,
    run: async (args, io) => {
      const parsed = flags.parse(args);
      if (!parsed.ok) return usage(parsed, io);
      const verbose = parsed.values['verbose'] === true;
      if (verbose) io.stdout.write(`Checking ${lower} health...\n`);
      const health = o.connect(String(parsed.values[o.socketPathFlag.name]));
      try {
        const resp = await health.check(CHECK_TIMEOUT_MS);
        if (resp.status !== Serving.SERVING) {
          io.stderr.write(
            `${o.role} is unhealthy: ${lower} returned status "${Serving[resp.status]}"\n`,
          );
          return 1;
        }
      } catch (err) {
        if (verbose) io.stderr.write(`Failed to check health: ${o.describeError(err)}\n`);
        io.stderr.write(`${o.role} is unhealthy: unable to determine health\n`);
        return 1;
      } finally {
        health.close();
      }
      io.stdout.write(`${o.role} is healthy.\n`);
      return 0;
    },
  };
}
