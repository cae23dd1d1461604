export { DEFAULT_SERVER_CONFIG_PATH, SERVER_RUN_FLAGS, serverFlagOverrides } from './flags.js';
export { buildServerConfig, loadServerConfig, SERVER_DEFAULTS } from './load.js';
export { SERVER_KEY_TYPES, serverFileSchema } from './schema.js';
export type { FederatesWithConfig, ServerConfig, ServerKeyType } from './types.js';
