export { buildCsr, buildWorkloadCsr, keyTypeOf } from './csr.js';
export { AGENT_SVID_KEY_IDS, type AgentSvidKey, AgentSvidKeys } from './svid-keys.js';
