export { writeFileAtomic } from './atomic-file.js';
export {
  AGENT_DATA_FILE,
  type AgentData,
  AgentStorage,
  AgentStorageError,
  AgentStorageErrorCode,
  LEGACY_BUNDLE_FILE,
  LEGACY_SVID_FILE,
} from './storage.js';
