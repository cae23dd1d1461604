export {
  formatWorkloadEndpoint,
  parseWorkloadEndpoint,
  resolveWorkloadEndpoint,
  SPIFFE_ENDPOINT_SOCKET,
  type WorkloadEndpoint,
  WorkloadEndpointError,
  WorkloadEndpointErrorCode,
  workloadEndpointFromEnv,
} from './address.js';
export { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
export { BundleSource } from './bundle-source.js';
export {
  type CallOptions,
  type JwtSvidParams,
  WorkloadApiClient,
  type WorkloadApiClientOptions,
} from './client.js';
export { WorkloadApiError, WorkloadApiErrorCode, type WorkloadApiErrorDetails } from './errors.js';
export { JwtSource, type JwtSourceOptions } from './jwt-source.js';
export type { X509Context } from './parse.js';
export { DEFAULT_SOURCE_TIMEOUT_MS, type SourceOptions } from './source-core.js';
export { SECURITY_HEADER } from './transport.js';
export type { WatchOptions } from './watch.js';
export { X509Source, type X509SourceOptions, type X509SvidPicker } from './x509-source.js';
