/** `spire-server logger get|set|reset` (reference §3.4). */
import { Logger } from '../../../gen/spire/api/server/logger/v1/logger_pb.js';
import { type Logger as ApiLogger, LoggerSchema } from '../../../gen/spire/api/types/logger_pb.js';
import { levelFromApi, levelToApi, parseLevelName } from '../../../server/api/logger/levels.js';
import { adminCommand, CliError, errorText, printJson, type VerbContext } from '../client.js';

/** SPIRE's `PrettyPrintLogger`: both levels by name, then a blank line. */
function printLogger({ io, json }: VerbContext, logger: ApiLogger): void {
  if (json) {
    printJson(io, LoggerSchema, logger);
    return;
  }
  const current = levelFromApi(logger.currentLevel);
  const launch = levelFromApi(logger.launchLevel);
  if (!current)
    throw new CliError(
      'internal error: returned current log level is undefined; please report this as a bug',
    );
  if (!launch)
    throw new CliError(
      'internal error: returned launch log level is undefined; please report this as a bug',
    );
  io.stdout.write(`Logger Level : ${current}\nLaunch Level : ${launch}\n\n`);
}

/** `logger get`. */
export const loggerGetCommand = adminCommand(
  'logger get',
  'Gets the logger details',
  [],
  async (v) => {
    const logger = await v.server
      .client(Logger)
      .getLogger({})
      .catch((err: unknown) => {
        throw new CliError(`error fetching logger: ${errorText(err)}`);
      });
    printLogger(v, logger);
  },
);

/** `logger set -level LEVEL`. */
export const loggerSetCommand = adminCommand(
  'logger set',
  'Sets the logger details',
  [
    {
      name: 'level',
      kind: 'string',
      usage: 'The new log level, one of (panic, fatal, error, warn, info, debug, trace)',
      default: '',
    },
  ],
  async (v) => {
    const text = String(v.flags.level);
    if (text === '') throw new CliError('a value (-level) must be set');
    const level = parseLevelName(text);
    if (!level) throw new CliError(`the value "${text}" is not a valid setting`);
    const logger = await v.server
      .client(Logger)
      .setLogLevel({ newLevel: levelToApi(level) })
      .catch((err: unknown) => {
        throw new CliError(`failed to set log level: ${errorText(err)}`);
      });
    printLogger(v, logger);
  },
);

/** `logger reset`: back to the level the server was started with. */
export const loggerResetCommand = adminCommand(
  'logger reset',
  'Reset the logger details to launch level',
  [],
  async (v) => {
    const logger = await v.server
      .client(Logger)
      .resetLogLevel({})
      .catch((err: unknown) => {
        throw new CliError(`failed to reset logger: ${errorText(err)}`);
      });
    printLogger(v, logger);
  },
);
