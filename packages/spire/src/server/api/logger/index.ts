export { type LevelName, levelFromApi, levelToApi, parseLevelName } from './levels.js';
export { createLoggerService, type LogLevelControl, pinoLevelControl } from './service.js';
