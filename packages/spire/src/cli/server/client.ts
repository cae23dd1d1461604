/**
 * A gRPC client on the server's admin Unix socket for `spire-server` verbs; `close()` ends the
 * HTTP/2 session so the CLI process can exit.
 */
import net from 'node:net';
import type { DescService } from '@bufbuild/protobuf';
import { type Client, Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';

/** SPIRE's default admin socket. */
export const DEFAULT_SERVER_SOCKET_PATH = '/tmp/spire-server/private/api.sock';

/** A client of `service` over the socket at `socketPath`, and the function that closes it. */
export function socketClient<S extends DescService>(
  service: S,
  socketPath: string,
): { client: Client<S>; close(): void } {
  const nodeOptions = { createConnection: () => net.connect(socketPath) };
  const sessionManager = new Http2SessionManager('http://localhost', {}, nodeOptions);
  const transport = createGrpcTransport({ baseUrl: 'http://localhost', sessionManager });
  return { client: createClient(service, transport), close: () => sessionManager.abort() };
}

/** Go's rendering of a gRPC status error, or the plain message of anything else. */
export function rpcErrorText(err: unknown): string {
  if (err instanceof ConnectError) {
    return `rpc error: code = ${Code[err.code]} desc = ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}
