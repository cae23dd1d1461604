export {
  DISK_KEYS_FILE,
  DiskKeyManager,
  type DiskKeyManagerConfig,
  parseDiskKeyManagerConfig,
} from './disk/disk.js';
export {
  AGENT_KEY_TYPES,
  type AgentKeyManager,
  AgentKeyManagerError,
  AgentKeyManagerErrorCode,
  type AgentKeyType,
  newPrivateKey,
  newWorkloadKey,
  type WorkloadKey,
} from './key-manager.js';
export { MemoryKeyManager } from './memory/memory.js';
