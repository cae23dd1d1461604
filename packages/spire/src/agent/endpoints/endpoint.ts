import { type GrpcServer, serveGrpc } from '../../common/grpc/index.js';
import { LogField, type SpireLogger, subsystemLogger } from '../../common/log/index.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import type { WorkloadCacheView } from '../manager/workload-view.js';
import type { WorkloadAttestor } from '../plugin/workloadattestor/workload-attestor.js';
import { CallerAttestor } from './attestor/caller.js';
import { healthService } from './health/health.js';
import { WorkloadApiHandler } from './workload/handler.js';
import { workloadApiStreams } from './workload/service.js';

/** SPIRE's default `socket_path` of the agent's public socket. */
export const DEFAULT_WORKLOAD_SOCKET_PATH = '/tmp/spire-agent/public/api.sock';

/** SPIRE makes the public socket world-writable: any local workload may ask who it is. */
const PUBLIC_SOCKET_MODE = 0o777;

/**
 * Largest request message read, as grpc-go's default receive limit (4 MiB) that SPIRE's agent
 * keeps: a bigger one is ResourceExhausted before it is buffered, by the Workload API's own wire
 * code and by Connect for the other services (whose own default, 4 GiB, let any local process
 * grow the agent by gigabytes with one call).
 */
export const MAX_REQUEST_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * HTTP/2 streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS): gRPC
 * clients queue more until one ends; a client ignoring the setting has the extra ones reset. A
 * workload needs a handful (one per watched stream plus its unary calls); grpc-go's default,
 * which SPIRE keeps, is unbounded, so one local process could hold any number of subscriptions
 * on one connection.
 */
export const MAX_CONCURRENT_STREAMS_PER_CONNECTION = 100;

/** Options of {@link startWorkloadEndpoint}. */
export interface WorkloadEndpointOptions {
  /** Absolute path of the public socket (`socket_path`). */
  readonly socketPath: string;
  readonly view: WorkloadCacheView;
  /** The configured WorkloadAttestor plugins. */
  readonly attestors: readonly WorkloadAttestor[];
  readonly log: SpireLogger;
  readonly allowUnauthenticatedVerifiers?: boolean;
  readonly allowedForeignJwtClaims?: readonly string[];
  /** Process start-time lookup for the PID-reuse guard; tests inject it. */
  readonly startTime?: (pid: number) => Promise<bigint>;
}

/**
 * Serves the SPIFFE Workload API and `grpc.health.v1.Health` on the agent's public Unix socket
 * (mode 0777, parent folder created when missing), as SPIRE's agent does. Resolves once the
 * socket listens; `close()` stops it, removes the socket file and closes the /proc files the
 * caller attestation keeps open between calls.
 *
 * @example
 * const endpoint = await startWorkloadEndpoint({ socketPath, view, attestors, log });
 * // ... later
 * await endpoint.close();
 */
export async function startWorkloadEndpoint(options: WorkloadEndpointOptions): Promise<GrpcServer> {
  const log = subsystemLogger(options.log, 'endpoints');
  const attestor = new CallerAttestor({
    attestors: options.attestors,
    ...(options.startTime ? { startTime: options.startTime } : {}),
  });
  const handler = new WorkloadApiHandler({
    view: options.view,
    attestor,
    log,
    allowUnauthenticatedVerifiers: options.allowUnauthenticatedVerifiers ?? false,
    allowedForeignJwtClaims: options.allowedForeignJwtClaims ?? [],
  });

  const server = await serveGrpc({
    listen: { kind: 'unix', path: options.socketPath, mode: PUBLIC_SOCKET_MODE },
    // The Workload API's own wire code takes /SpiffeWorkloadAPI/*; Connect serves the rest.
    rawStreams: workloadApiStreams({ handler, log, readMaxBytes: MAX_REQUEST_MESSAGE_BYTES }),
    routes: (router) => {
      router.service(
        Health,
        healthService(() => options.view.ready()),
      );
    },
    readMaxBytes: MAX_REQUEST_MESSAGE_BYTES,
    maxConcurrentStreams: MAX_CONCURRENT_STREAMS_PER_CONNECTION,
    closeGraceMs: 1_000,
  });
  log.info({ [LogField.Address]: server.address }, 'Starting Workload API');
  const close = async () => {
    await server.close();
    attestor.close();
  };
  return { ...server, close };
}
