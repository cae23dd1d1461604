import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import type { X509BundleSource } from '../bundle/index.js';
import type { Authorizer } from './authorizer.js';
import { ContextCache } from './context.js';
import { isAuthenticatedSocket, rememberLeafPeer, rememberSocketPeer } from './peer.js';
import type { X509TlsSource } from './source.js';
import { authenticatePeer, peerChain } from './verify.js';

/** How a SPIFFE server authenticates itself and its clients. */
export interface SpiffeServerConfig {
  /** SVID to present and bundles to verify clients with. */
  source: X509TlsSource;
  /** Authorize clients (mTLS); leave out for TLS that does not ask for a client certificate. */
  authorize?: Authorizer;
}

/**
 * Initial options for `tls.createServer`, `https.createServer` or `http2.createSecureServer`.
 * Use them with {@link enableSpiffeServer} (or a `createMtls*Server` helper, which does both):
 * alone they only make OpenSSL check clients against the union of the bundles.
 */
export function spiffeServerOptions(config: SpiffeServerConfig): tls.TlsOptions {
  const cache = new ContextCache(config.source, {
    presentSvid: true,
    anchors: config.authorize !== undefined,
  });
  const mtls = config.authorize !== undefined;
  return { ...cache.options(), requestCert: mtls, rejectUnauthorized: mtls };
}

/**
 * Makes a TLS server follow SPIFFE rules: before each connection, swaps in the source's current
 * SVID and bundles when they changed (`setSecureContext`: open connections keep going); after
 * each handshake, authenticates and authorizes the client (mTLS). A refused client's socket is
 * destroyed, `tlsClientError` is emitted with a {@link TlsAuthError}, and the `secureConnection`
 * listeners present at this call (e.g. the https/http2 request machinery) never see it.
 * Returns a detach function.
 */
export function enableSpiffeServer(server: tls.Server, config: SpiffeServerConfig): () => void {
  const mtls = config.authorize !== undefined;
  const cache = new ContextCache(config.source, { presentSvid: true, anchors: mtls });
  cache.options();
  const refresh = () => {
    if (cache.stale()) server.setSecureContext(cache.options());
  };
  server.prependListener('connection', refresh);
  if (!mtls) return () => server.off('connection', refresh);

  const downstream = server.listeners('secureConnection') as ((s: tls.TLSSocket) => void)[];
  server.removeAllListeners('secureConnection');
  const gate = (socket: tls.TLSSocket) => {
    if (!authenticateClient(server, socket, config)) return;
    for (const listener of downstream) listener.call(server, socket);
  };
  server.on('secureConnection', gate);
  return () => {
    server.off('connection', refresh);
    server.off('secureConnection', gate);
    for (const listener of downstream) server.on('secureConnection', listener);
  };
}

function authenticateClient(
  server: tls.Server,
  socket: tls.TLSSocket,
  config: SpiffeServerConfig,
): boolean {
  const bundles: X509BundleSource = config.source.getX509BundleSet();
  try {
    const presented = socket.getPeerCertificate(true);
    const peer = authenticatePeer(
      peerChain(presented),
      bundles,
      config.authorize as Authorizer,
      'client',
    );
    rememberSocketPeer(socket, peer.id);
    if (presented?.fingerprint256) rememberLeafPeer(presented.fingerprint256, peer.id);
    return true;
  } catch (err) {
    socket.destroy();
    server.emit('tlsClientError', err, socket);
    return false;
  }
}

/** `tls.createServer` with SPIFFE mTLS (or TLS when `authorize` is left out) and rotation. */
export function createMtlsServer(
  config: SpiffeServerConfig,
  listener?: (socket: tls.TLSSocket) => void,
): tls.Server {
  const server = tls.createServer(spiffeServerOptions(config));
  enableSpiffeServer(server, config);
  if (listener) {
    const mtls = config.authorize !== undefined;
    server.on('secureConnection', (s) => {
      if (!mtls || isAuthenticatedSocket(s)) listener(s);
    });
  }
  return server;
}

/** `https.createServer` with SPIFFE mTLS and rotation. */
export function createMtlsHttpsServer(
  config: SpiffeServerConfig,
  handler?: Parameters<typeof https.createServer>[1],
): https.Server {
  const server = https.createServer(spiffeServerOptions(config), handler);
  enableSpiffeServer(server, config);
  return server;
}

/** `http2.createSecureServer` with SPIFFE mTLS and rotation. */
export function createMtlsHttp2Server(
  config: SpiffeServerConfig,
  handler?: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): http2.Http2SecureServer {
  const server = handler
    ? http2.createSecureServer(spiffeServerOptions(config), handler)
    : http2.createSecureServer(spiffeServerOptions(config));
  enableSpiffeServer(server as unknown as tls.Server, config);
  return server;
}

/**
 * A Web-PKI server that authenticates clients by SPIFFE rules (go-spiffe `MTLSWebServerConfig`):
 * presents `certificate` (e.g. from a public CA) and verifies client SVIDs with `bundles`.
 */
export function createMtlsWebServer(
  certificate: { cert: string | Buffer; key: string | Buffer },
  bundles: Pick<X509TlsSource, 'getX509BundleSet'>,
  authorize: Authorizer,
  listener?: (socket: tls.TLSSocket) => void,
): tls.Server {
  const source: X509TlsSource = {
    getX509Svid: () => {
      throw new Error('a web server presents its web certificate, not an svid');
    },
    getX509BundleSet: () => bundles.getX509BundleSet(),
  };
  const anchors = new ContextCache(source, { presentSvid: false, anchors: true });
  const server = tls.createServer(
    { ...certificate, ca: anchors.options().ca, requestCert: true, rejectUnauthorized: true },
    listener,
  );
  server.prependListener('connection', () => {
    if (anchors.stale()) server.setSecureContext({ ...certificate, ca: anchors.options().ca });
  });
  server.prependListener('secureConnection', (socket: tls.TLSSocket) =>
    authenticateClient(server, socket, { source, authorize }),
  );
  return server;
}
