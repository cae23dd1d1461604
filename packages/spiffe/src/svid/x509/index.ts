export { type CertificateInput, MAX_CHAIN_LENGTH, type PrivateKeyInput } from './decode.js';
export { X509SvidError, X509SvidErrorCode, type X509SvidErrorCodeValue } from './errors.js';
export { type MarshaledX509Svid, type ParseOptions, X509Svid } from './svid.js';
export { type VerifiedX509Svid, type VerifyOptions, verifyX509Svid } from './verify.js';
