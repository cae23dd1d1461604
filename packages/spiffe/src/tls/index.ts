export { createMtlsAgent } from './agent.js';
export { type Authorizer, adaptMatcher, authorizeIf } from './authorizer.js';
export {
  DEFAULT_PEER_CERTIFICATE_CACHE_SIZE,
  PeerCertificateCache,
  peerCertificates,
} from './cert-cache.js';
export {
  mtlsClientOptions,
  mtlsWebClientOptions,
  type SpiffeClientOptions,
  tlsClientOptions,
} from './client.js';
export { createSpiffeGrpcTransport, type SpiffeGrpcTransportOptions } from './connect.js';
export { type ConnectorOptions, type MtlsConnector, mtlsConnector } from './connector.js';
export { TlsAuthError, TlsAuthErrorCode } from './errors.js';
export { peerSpiffeId } from './peer.js';
export {
  createMtlsHttp2Server,
  createMtlsHttpsServer,
  createMtlsServer,
  createMtlsWebServer,
  enableSpiffeServer,
  type SpiffeServerConfig,
  spiffeServerOptions,
} from './server.js';
export { fixedTlsSource, type X509TlsSource } from './source.js';
export { type AuthenticatedPeer, authenticatePeer, peerChain } from './verify.js';
