import type { CliIo, Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import { ConfigError } from '../../common/config/errors.js';
import { loadServerConfig, SERVER_RUN_FLAGS } from '../../server/config/index.js';
import { type RunningServer, startServer } from '../../server/server.js';
import { usage } from './validate.js';

/** Resolves when the process receives SIGINT or SIGTERM. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * `spire-server run`: loads the configuration (`-config`, `-expandEnv` and the override flags),
 * starts the server, and runs until SIGINT or SIGTERM, then shuts down cleanly (listeners closed,
 * socket removed, datastore closed) and exits 0. Start-up failures print the reason, exit 1.
 */
export function serverRunCommand(waitForStop: () => Promise<unknown> = shutdownSignal): Command {
  return {
    name: 'run',
    synopsis: 'Runs the server',
    run: async (args, io) => {
      const parsed = new FlagSet('run', SERVER_RUN_FLAGS).parse(args);
      if (!parsed.ok) return usage(parsed, io);
      let server: RunningServer;
      try {
        const config = loadServerConfig(parsed.values, { cwd: io.cwd, env: io.env });
        server = await startServer(config);
      } catch (err) {
        return startFailure(io, err);
      }
      await waitForStop();
      await server.close();
      return 0;
    },
  };
}

function startFailure(io: CliIo, err: unknown): number {
  const message =
    err instanceof ConfigError
      ? err.issues.map((i) => i.message).join('; ')
      : err instanceof Error
        ? err.message
        : String(err);
  io.stderr.write(`Error: ${message}\n`);
  return 1;
}
