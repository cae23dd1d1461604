import { Code, ConnectError, type Interceptor, type Transport } from '@connectrpc/connect';
import { createGrpcTransport, type GrpcTransportOptions } from '@connectrpc/connect-node';
import type { Authorizer } from './authorizer.js';
import { mtlsClientOptions } from './client.js';
import { TlsAuthError } from './errors.js';
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
 * `mtlsClientOptions`). `baseUrl` must be `https://host:port`. A refused server fails the call with
 * `Code.Unavailable` (as grpc-js does) whose `cause` is the `ERR_TLS_PEER_*` {@link TlsAuthError}.
 *
 * @example
 * const transport = createSpiffeGrpcTransport({ baseUrl: 'https://127.0.0.1:8443', source, authorize: matchId(serverId) });
 * const client = createClient(Greeter, transport);
 */
export function createSpiffeGrpcTransport(options: SpiffeGrpcTransportOptions): Transport {
  const { source, authorize, ...connect } = options;
  // Connect hands this object to http2.connect for every new session; the secure context is a
  // getter there, so a rotated SVID reaches the next session without rebuilding the transport.
  return createGrpcTransport({
    ...connect,
    interceptors: [refusedServerIsUnavailable, ...(connect.interceptors ?? [])],
    nodeOptions: mtlsClientOptions(source, authorize),
  });
}

/** Connect reports an unknown connection error as Internal; a refused server is Unavailable. */
const refusedServerIsUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    const cause = err instanceof ConnectError ? err.cause : undefined;
    if (!(cause instanceof TlsAuthError)) throw err;
    throw new ConnectError(cause.message, Code.Unavailable, undefined, undefined, cause);
  }
};
