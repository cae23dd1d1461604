import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  type Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../../gen/grpc/health/v1/health_pb.js';

/** Service names the agent reports on: the server as a whole (`""`) and the Workload API. */
const KNOWN_SERVICES = new Set(['', 'SpiffeWorkloadAPI']);

/**
 * `grpc.health.v1.Health` on the agent's public socket, which `spire-agent healthcheck` asks:
 * SERVING once the agent has attested and synced (it can answer workloads), NOT_SERVING before.
 * Health follows the Workload API's readiness, never files on disk (bug-cases-2 D16).
 */
export function healthService(ready: () => boolean): Partial<ServiceImpl<typeof Health>> {
  return {
    check(req: HealthCheckRequest): HealthCheckResponse {
      // grpc health protocol: an unknown service name is NOT_FOUND.
      if (!KNOWN_SERVICES.has(req.service)) {
        throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      }
      const status = ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      return create(HealthCheckResponseSchema, { status });
    },
  };
}
