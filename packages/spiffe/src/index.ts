/**
 * `@spire-ts/spiffe`: SPIFFE for Node.js. IDs and trust domains, X.509-SVIDs and JWT-SVIDs,
 * trust bundles, Workload Endpoint addresses, the Workload API client and sources, SPIFFE mTLS.
 */
export const VERSION = '0.1.0';
export * from './bundle/index.js';
export { isSpiffeError, SpiffeError } from './errors.js';
export * from './jwt/index.js';
export * from './keys/public-key.js';
export * from './spiffeid/index.js';
export * from './svid/jwt/index.js';
export * from './svid/x509/index.js';
export * from './tls/index.js';
export * from './workloadapi/index.js';
