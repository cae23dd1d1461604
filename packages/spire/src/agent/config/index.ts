export { AGENT_RUN_FLAGS, agentFlagOverrides, DEFAULT_AGENT_CONFIG_PATH } from './flags.js';
export { AGENT_DEFAULTS, buildAgentConfig, loadAgentConfig } from './load.js';
export { agentFileSchema } from './schema.js';
export type { AgentBootstrap, AgentConfig } from './types.js';
