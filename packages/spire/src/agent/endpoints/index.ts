export {
  type AttestedCaller,
  CallerAttestor,
  type CallerAttestorOptions,
} from './attestor/caller.js';
export { CallerAttestationError, CallerAttestationErrorCode } from './attestor/errors.js';
export {
  DEFAULT_WORKLOAD_SOCKET_PATH,
  startWorkloadEndpoint,
  type WorkloadEndpointOptions,
} from './endpoint.js';
export { healthService } from './health/health.js';
export { WorkloadApiHandler, type WorkloadApiHandlerOptions } from './workload/handler.js';
export { SECURITY_HEADER, securityHeaderInterceptor } from './workload/security-header.js';
export { WorkloadStatus } from './workload/status.js';
