export { marshalBundleMap, parseBundleMap } from './bundle-map.js';
export { BundleSet } from './bundle-set.js';
export { BundleError, BundleErrorCode } from './errors.js';
export { JwtBundle } from './jwt-bundle.js';
export {
  DEFAULT_REFRESH_INTERVAL_SECONDS,
  MAX_REFRESH_INTERVAL_SECONDS,
  MIN_REFRESH_INTERVAL_SECONDS,
  refreshIntervalSeconds,
} from './refresh.js';
export type { JwtBundleSource, X509BundleSource } from './source.js';
export { SpiffeBundle, type SpiffeBundleInit } from './spiffe-bundle.js';
export { X509Bundle } from './x509-bundle.js';
