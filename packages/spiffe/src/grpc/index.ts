/**
 * `@spire-ts/spiffe/grpc`: SPIFFE mTLS for `@grpc/grpc-js` (an optional peer dependency, kept out
 * of the package root). For Connect clients see `createSpiffeGrpcTransport` in the root.
 */
export { spiffeChannelCredentials, spiffeServerCredentials } from './credentials.js';
export { callerSpiffeId, spiffeServerInterceptor } from './interceptor.js';
export { SourceCertificateProvider } from './provider.js';
