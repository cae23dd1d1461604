export { BundleError, BundleErrorCode } from './errors.js';
export { JwtBundle } from './jwt-bundle.js';
export type { JwtBundleSource, X509BundleSource } from './source.js';
export { X509Bundle } from './x509-bundle.js';
