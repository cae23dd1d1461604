import type { Transport } from '@connectrpc/connect';
import { createGrpcTransport, type GrpcTransportOptions } from '@connectrpc/connect-node';
import type { Authorizer } from './authorizer.js';
import { mtlsClientOptions } from './client.js';
import type { X509TlsSource } from './source.js';

/** Options of {@link createSpiffeGrpcTransport}: Connect's gRPC options minus TLS, plus SPIFFE. */
export type SpiffeGrpcTransportOptions = Omit<
  GrpcTransportOptions,
  'nodeOptions' | 'sessionManager'
> & {
  /** The SVID to present and the bundles to authenticate the server with (`X509Source` fits). */
  source: X509TlsSource;
  /** Who the server may be, e.g. `matchId(serverId)`. */
  authorize: Authorizer;
};

/**
 * A Connect gRPC transport (`@connectrpc/connect-node`) doing SPIFFE mTLS: each new HTTP/2
 * session presents the source's current SVID and authenticates the server by SPIFFE rules (see
 * `mtlsClientOptions`). `baseUrl` must be `https://host:port`.
 *
 * @example
 * const transport = createSpiffeGrpcTransport({ baseUrl: 'https://127.0.0.1:8443', source, authorize: matchId(serverId) });
 * const client = createClient(Greeter, transport);
 */
export function createSpiffeGrpcTransport(options: SpiffeGrpcTransportOptions): Transport {
  const { source, authorize, ...connect } = options;
  // Connect hands this object to http2.connect for every new session; the secure context is a
  // getter there, so a rotated SVID reaches the next session without rebuilding the transport.
  return createGrpcTransport({ ...connect, nodeOptions: mtlsClientOptions(source, authorize) });
}
