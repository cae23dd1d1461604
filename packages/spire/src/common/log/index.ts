export { LogField, type LogFieldName } from './fields.js';
export {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  parseLogFormat,
  parseLogLevel,
} from './level.js';
export {
  createLogger,
  type LoggerHandle,
  type LoggerOptions,
  type SpireLogger,
  setTreeLevel,
  subsystemLogger,
} from './logger.js';
export { jsonLine, rfc3339, textLine } from './text-format.js';
