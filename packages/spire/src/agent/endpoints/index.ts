export {
  type AttestedCaller,
  CallerAttestor,
  type CallerAttestorOptions,
} from './attestor/caller.js';
export { CallerAttestationError, CallerAttestationErrorCode } from './attestor/errors.js';
export {
  DEFAULT_WORKLOAD_SOCKET_PATH,
  MAX_CONCURRENT_STREAMS_PER_CONNECTION,
  MAX_REQUEST_MESSAGE_BYTES,
  startWorkloadEndpoint,
  type WorkloadEndpointOptions,
} from './endpoint.js';
export { healthService } from './health/health.js';
export {
  WorkloadApiHandler,
  type WorkloadApiHandlerOptions,
  type WorkloadCall,
} from './workload/handler.js';
export { X509SvidResponseCache } from './workload/response-cache.js';
export {
  SECURITY_HEADER,
  type WorkloadApiStreamsOptions,
  workloadApiStreams,
} from './workload/service.js';
export { WorkloadStatus } from './workload/status.js';
