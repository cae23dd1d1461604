/**
 * `spire.api.server.logger.v1.Logger` on the admin socket (reference §3.3): reads and changes the
 * server's log level at run time, and puts back the level it was started with.
 */
import { Code, type ServiceImpl } from '@connectrpc/connect';
import { LogField, type SpireLogger, setTreeLevel } from '../../../common/log/index.js';
import type { Logger } from '../../../gen/spire/api/server/logger/v1/logger_pb.js';
import { LogLevel } from '../../../gen/spire/api/types/logger_pb.js';
import { statusError } from '../status.js';
import { type LevelName, levelFromApi, levelToApi } from './levels.js';

/** Where the level lives: the service reads and sets it through this. */
export interface LogLevelControl {
  level(): LevelName;
  setLevel(level: LevelName): void;
}

/**
 * A control over pino loggers. pino has no `panic`: it maps to `fatal`, while the control keeps
 * reporting `panic`. pino children do not follow their parent, so each logger's whole tree (its
 * root and every live child, see `setTreeLevel`) is set.
 */
export function pinoLevelControl(
  loggers: readonly SpireLogger[],
  launch: LevelName,
): LogLevelControl {
  let current = launch;
  return {
    level: () => current,
    setLevel(level) {
      current = level;
      for (const l of loggers) setTreeLevel(l, level === 'panic' ? 'fatal' : level);
    },
  };
}

/** Builds the Logger service; `launch` is the level from the configuration. */
export function createLoggerService(
  log: SpireLogger,
  control: LogLevelControl,
  launch: LevelName,
): ServiceImpl<typeof Logger> {
  const slog = log.child({ [LogField.Service]: 'logger.v1.Logger' });
  const current = () => ({
    currentLevel: levelToApi(control.level()),
    launchLevel: levelToApi(launch),
  });
  return {
    getLogger() {
      slog.info('GetLogger Called');
      return current();
    },
    setLogLevel(req) {
      if (req.newLevel === LogLevel.UNSPECIFIED) {
        throw statusError(
          slog,
          Code.InvalidArgument,
          'newLevel value cannot be LogLevel_UNSPECIFIED',
        );
      }
      const level = levelFromApi(req.newLevel);
      if (!level) throw statusError(slog, Code.InvalidArgument, 'unsupported log level');
      slog.info({ new_log_level: level }, 'SetLogLevel Called');
      control.setLevel(level);
      return current();
    },
    resetLogLevel() {
      slog.info({ launch_log_level: launch }, 'ResetLogLevel Called');
      control.setLevel(launch);
      return current();
    },
  };
}
