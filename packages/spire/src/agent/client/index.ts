export { bundleFromProto } from './bundle.js';
export { ServerClient, type ServerClientOptions } from './client.js';
export {
  AgentClientError,
  AgentClientErrorCode,
  clientError,
  type DeniedReason,
  isBanned,
  mustReattest,
  REATTEST_REASONS,
} from './errors.js';
export { Outbox } from './outbox.js';
export type { FetchedEntries, KnownEntry, ServerApi, X509SvidRequest } from './server-api.js';
export {
  type AgentTlsIdentity,
  checkServer,
  type ServerTlsOptions,
  serverIdOf,
  serverTlsOptions,
} from './server-tls.js';
export { SYNC_PAGE_SIZE, syncAuthorizedEntries } from './sync-entries.js';
export {
  connectServer,
  RPC_TIMEOUT_MS,
  type ServerAddress,
  type ServerConnection,
} from './transport.js';
