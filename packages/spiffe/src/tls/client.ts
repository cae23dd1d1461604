import type { ConnectionOptions, DetailedPeerCertificate, SecureContext } from 'node:tls';
import type { Authorizer } from './authorizer.js';
import { ContextCache } from './context.js';
import { rememberLeafPeer } from './peer.js';
import type { X509TlsSource } from './source.js';
import { authenticatePeer, peerChain } from './verify.js';

/**
 * Options for `tls.connect`, `https.request`/`https.Agent`, `http2.connect` and undici's
 * `Agent({ connect })`. `secureContext` is a getter, so each new connection gets the current SVID
 * and bundles; `maxCachedSessions: 0` stops session resumption, which would skip the check.
 */
export type SpiffeClientOptions = ConnectionOptions & { maxCachedSessions: number };

/**
 * mTLS client: presents the source's SVID and authenticates the server by SPIFFE rules (its chain
 * against the bundle of its own trust domain, no host name check), then `authorize`.
 *
 * @example
 * const socket = tls.connect({ host: '127.0.0.1', port, ...mtlsClientOptions(source, matchId(serverId)) });
 */
export function mtlsClientOptions(
  source: X509TlsSource,
  authorize: Authorizer,
): SpiffeClientOptions {
  return spiffeVerifying(
    source,
    authorize,
    new ContextCache(source, { presentSvid: true, anchors: true }),
  );
}

/** TLS client that presents no certificate but authenticates the server's SVID (go-spiffe `TLSClientConfig`). */
export function tlsClientOptions(
  source: Pick<X509TlsSource, 'getX509BundleSet'>,
  authorize: Authorizer,
): SpiffeClientOptions {
  const full = source as X509TlsSource;
  return spiffeVerifying(
    full,
    authorize,
    new ContextCache(full, { presentSvid: false, anchors: true }),
  );
}

/**
 * mTLS client to a Web-PKI server (go-spiffe `MTLSWebClientConfig`): presents the SVID and
 * verifies the server the ordinary way (public roots, or `ca` if given, and its host name).
 */
export function mtlsWebClientOptions(source: X509TlsSource): ConnectionOptions {
  const cache = new ContextCache(source, { presentSvid: true, anchors: false });
  return {
    get cert() {
      return cache.options().cert;
    },
    get key() {
      return cache.options().key;
    },
  };
}

function spiffeVerifying(
  source: X509TlsSource,
  authorize: Authorizer,
  cache: ContextCache,
): SpiffeClientOptions {
  return {
    get secureContext(): SecureContext {
      return cache.context();
    },
    rejectUnauthorized: true,
    maxCachedSessions: 0,
    checkServerIdentity: (_host, cert) => {
      // SPIFFE replaces host name checks (X509-SVID §5, rust-spiffe #328): the ID is the identity.
      try {
        const peer = authenticatePeer(
          peerChain(cert),
          source.getX509BundleSet(),
          authorize,
          'server',
        );
        rememberLeafPeer((cert as DetailedPeerCertificate).fingerprint256, peer.id);
        return undefined;
      } catch (err) {
        return err as Error;
      }
    },
  };
}
