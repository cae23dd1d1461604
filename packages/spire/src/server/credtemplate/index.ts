export * from './builder.js';
export { CredTemplateError } from './errors.js';
export { type KeySigner, NOT_BEFORE_CUSHION_MS, type X509Issuer } from './issuer.js';
export * from './jwt-svid.js';
export * from './x509-ca.js';
export type { X509Subject } from './x509-profile.js';
export * from './x509-svid.js';
