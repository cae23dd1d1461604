import net from 'node:net';
import type { Interceptor, Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import type { WorkloadEndpoint } from './address.js';

/** Workload Endpoint §3: the metadata every Workload API request carries. */
export const SECURITY_HEADER = 'workload.spiffe.io';

/** Adds `workload.spiffe.io: true` (exact, case-sensitive value) to every request. */
export const securityHeaderInterceptor: Interceptor = (next) => (req) => {
  req.header.set(SECURITY_HEADER, 'true');
  return next(req);
};

/** A Connect transport to the Workload Endpoint and the means to close its connection. */
export interface WorkloadTransport {
  readonly transport: Transport;
  /** Closes the HTTP/2 connection and every stream still open on it. */
  close(): void;
}

/**
 * Builds a gRPC (HTTP/2, plaintext: Workload Endpoint §3 forbids TLS) transport to `endpoint`:
 * a Unix socket path or a TCP `ip:port`. The security header is added to every call.
 */
export function createWorkloadTransport(endpoint: WorkloadEndpoint): WorkloadTransport {
  const baseUrl =
    endpoint.network === 'unix'
      ? 'http://localhost'
      : `http://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  const nodeOptions =
    endpoint.network === 'unix' ? { createConnection: () => net.connect(endpoint.path) } : {};
  const sessionManager = new Http2SessionManager(baseUrl, {}, nodeOptions);
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    interceptors: [securityHeaderInterceptor],
  });
  return { transport, close: () => sessionManager.abort() };
}
