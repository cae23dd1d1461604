import type { CliIo, Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import { ConfigError } from '../../common/config/errors.js';
import { loadServerConfig, SERVER_RUN_FLAGS } from '../../server/config/index.js';

/**
 * `spire-server validate`: loads the configuration exactly as `run` would, with the same flags
 * (bug-cases-2 D17), and prints SPIRE's verdict. Exit 0 when valid, 1 otherwise.
 */
export const serverValidateCommand: Command = {
  name: 'validate',
  synopsis: 'Validates a SPIRE server configuration file',
  run: async (args, io) => {
    const parsed = new FlagSet('validate', SERVER_RUN_FLAGS).parse(args);
    if (!parsed.ok) return usage(parsed, io);
    return verdict('server', io, () =>
      loadServerConfig(parsed.values, { cwd: io.cwd, env: io.env }),
    );
  },
};

/** Prints a flag error or help text; help exits 0, errors 1. */
export function usage(parsed: { help: boolean; output: string }, io: CliIo): number {
  io.stderr.write(`${parsed.output}`);
  return parsed.help ? 0 : 1;
}

/** Runs `load` and prints `SPIRE <who> configuration file is valid.` or the reasons it is not. */
export function verdict(who: 'server' | 'agent', io: CliIo, load: () => unknown): number {
  try {
    load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const [first, ...more] = err.issues;
    if (more.length === 0) {
      io.stderr.write(
        `SPIRE ${who} configuration file is invalid: ${first?.message ?? err.message}\n`,
      );
    } else {
      io.stderr.write(`SPIRE ${who} configuration file is invalid.\nValidation errors:\n`);
      for (const issue of err.issues) io.stderr.write(`  ${issue.message}\n`);
    }
    return 1;
  }
  io.stdout.write(`SPIRE ${who} configuration file is valid.\n`);
  return 0;
}
