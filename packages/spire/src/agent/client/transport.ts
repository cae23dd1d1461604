import { isIP } from 'node:net';
import type { Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { type ServerTlsOptions, serverTlsOptions } from './server-tls.js';

/** SPIRE's agent RPC timeout (reference §4.4). */
export const RPC_TIMEOUT_MS = 30_000;

/** A gRPC connection to the server that can be closed. */
export interface ServerConnection {
  readonly transport: Transport;
  /** Closes the HTTP/2 session; calls still running fail. */
  close(): void;
}

/** Where the server listens: `server_address:server_port`. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Opens a gRPC-over-TLS transport to the server with {@link serverTlsOptions}. Each transport has
 * its own HTTP/2 session, so the agent opens a new one (a new TLS handshake presenting the new
 * certificate) after its SVID rotates, and closes the old one.
 */
export function connectServer(address: ServerAddress, tls: ServerTlsOptions): ServerConnection {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  const baseUrl = `https://${host}:${address.port}`;
  const options = {
    ...serverTlsOptions(tls),
    ...(isIP(address.host) === 0 && { servername: address.host }),
  };
  const sessionManager = new Http2SessionManager(
    baseUrl,
    { idleConnectionTimeoutMs: 60_000 },
    options,
  );
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    defaultTimeoutMs: RPC_TIMEOUT_MS,
  });
  return { transport, close: () => sessionManager.abort() };
}
