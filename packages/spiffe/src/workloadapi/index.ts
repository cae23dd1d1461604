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
export {
  type CallOptions,
  type JwtSvidParams,
  WorkloadApiClient,
  type WorkloadApiClientOptions,
} from './client.js';
export { WorkloadApiError, WorkloadApiErrorCode, type WorkloadApiErrorDetails } from './errors.js';
export type { X509Context } from './parse.js';
export { SECURITY_HEADER } from './transport.js';
export type { WatchOptions } from './watch.js';
