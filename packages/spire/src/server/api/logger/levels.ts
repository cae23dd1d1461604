/** The API's `spire.api.types.LogLevel` and the level names SPIRE (logrus) prints and parses. */
import { LogLevel } from '../../../gen/spire/api/types/logger_pb.js';

/** logrus's level names, most severe first. */
export const LEVEL_NAMES = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** One of {@link LEVEL_NAMES}. */
export type LevelName = (typeof LEVEL_NAMES)[number];

const BY_NAME: Record<LevelName, LogLevel> = {
  panic: LogLevel.PANIC,
  fatal: LogLevel.FATAL,
  error: LogLevel.ERROR,
  warn: LogLevel.WARN,
  info: LogLevel.INFO,
  debug: LogLevel.DEBUG,
  trace: LogLevel.TRACE,
};

/** The API value of a level name. */
export function levelToApi(name: LevelName): LogLevel {
  return BY_NAME[name];
}

/** The level name of an API value; undefined for UNSPECIFIED and unknown values. */
export function levelFromApi(level: LogLevel): LevelName | undefined {
  return LEVEL_NAMES.find((n) => BY_NAME[n] === level);
}

/**
 * Reads a level as logrus's `ParseLevel` does: case-insensitive, `warning` for `warn`; undefined
 * for anything else.
 */
export function parseLevelName(text: string): LevelName | undefined {
  const lower = text.toLowerCase();
  if (lower === 'warning') return 'warn';
  return LEVEL_NAMES.find((n) => n === lower);
}
