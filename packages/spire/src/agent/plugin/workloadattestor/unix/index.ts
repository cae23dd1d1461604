export { cachedNameTables, loadNameTables, type NameTables, parseIdFile } from './names.js';
export { type ProcStatus, parseProcStatus } from './proc-status.js';
export {
  parseUnixAttestorConfig,
  type UnixAttestorConfig,
  UnixWorkloadAttestor,
  type UnixWorkloadAttestorOptions,
} from './unix.js';
