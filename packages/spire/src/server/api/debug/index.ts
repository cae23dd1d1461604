export { createDebugService, type DebugSources } from './service.js';
