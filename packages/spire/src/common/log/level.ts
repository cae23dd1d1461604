/** Log levels spire-ts emits, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The two `log_format` values SPIRE supports. */
export const LOG_FORMATS = ['text', 'json'] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Reads a `log_level` value as SPIRE (logrus) does: case-insensitive `trace`, `debug`, `info`,
 * `warn` or `warning`, `error`. Returns undefined for anything else.
 */
export function parseLogLevel(text: string): LogLevel | undefined {
  const lower = text.toLowerCase();
  if (lower === 'warning') return 'warn';
  return LOG_LEVELS.find((l) => l === lower);
}

/** Reads a `log_format` value, case-insensitive; undefined when it is neither text nor json. */
export function parseLogFormat(text: string): LogFormat | undefined {
  const lower = text.toLowerCase();
  return LOG_FORMATS.find((f) => f === lower);
}
