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
