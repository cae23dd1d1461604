import { type ChannelCredentials, experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { Authorizer } from '../tls/authorizer.js';
import type { X509TlsSource } from '../tls/source.js';
import { authenticatePeer, peerChain } from '../tls/verify.js';
import { spiffeServerInterceptor } from './interceptor.js';
import { SourceCertificateProvider } from './provider.js';

/**
 * grpc-js channel credentials doing SPIFFE mTLS: present the source's current SVID, authenticate
 * the server against the bundle of its own trust domain (X509-SVID §5, no host name check), then
 * `authorize` it. A refused server fails the call with `UNAVAILABLE` whose details carry the
 * `ERR_TLS_PEER_*` message. Rotation reaches new connections; open ones keep their identity.
 *
 * @example
 * const client = new Greeter('127.0.0.1:50051', spiffeChannelCredentials(source, matchId(serverId)));
 */
export function spiffeChannelCredentials(
  source: X509TlsSource,
  authorize: Authorizer,
): ChannelCredentials {
  const provider = new SourceCertificateProvider(source);
  return experimental.createCertificateProviderChannelCredentials(provider, provider, {
    // OpenSSL checks the chain against the union of bundles first; Node runs
    // checkServerIdentity only when that passed, so the SPIFFE check is never skipped.
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      try {
        authenticatePeer(peerChain(cert), source.getX509BundleSet(), authorize, 'server');
        return undefined;
      } catch (err) {
        return err as Error;
      }
    },
  });
}

/**
 * grpc-js server credentials doing SPIFFE mTLS: present the source's current SVID (rotation
 * reaches new connections, open streams keep going), require a client certificate, and check
 * every call with {@link spiffeServerInterceptor}. grpc-js has no TLS-layer verify hook, so
 * OpenSSL only checks the client chain against the union of the bundles during the handshake;
 * the SPIFFE check (the bundle of the client's own trust domain, the SVID rules) and `authorize`
 * run before each call reaches a handler.
 *
 * @example
 * server.bindAsync('127.0.0.1:50051', spiffeServerCredentials(source, matchMemberOf(td)), cb);
 */
export function spiffeServerCredentials(
  source: X509TlsSource,
  authorize: Authorizer,
): ServerCredentials {
  const provider = new SourceCertificateProvider(source);
  const tls = experimental.createCertificateProviderServerCredentials(provider, provider, true);
  return experimental.createServerCredentialsWithInterceptors(tls, [
    spiffeServerInterceptor(source, authorize),
  ]);
}
