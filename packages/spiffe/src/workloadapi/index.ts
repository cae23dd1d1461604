export {
  formatWorkloadEndpoint,
  parseWorkloadEndpoint,
  SPIFFE_ENDPOINT_SOCKET,
  type WorkloadEndpoint,
  WorkloadEndpointError,
  WorkloadEndpointErrorCode,
  workloadEndpointFromEnv,
} from './address.js';
