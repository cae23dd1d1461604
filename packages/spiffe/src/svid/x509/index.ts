export { type CertificateInput, MAX_CHAIN_LENGTH, type PrivateKeyInput } from './decode.js';
export { type CheckedX509SvidDer, checkX509SvidDer } from './der-check.js';
export { X509SvidError, X509SvidErrorCode, type X509SvidErrorCodeValue } from './errors.js';
/**
 * `verifyCertificatePath`: RFC 5280 path validation without the SPIFFE leaf rules; builds the path from `chain[0]` through
 * the other certificates of `chain` to one of `authorities` and checks it at `at`, returning the
 * path leaf first and the authority last. For node certificates that are not SVIDs (x509pop).
 * `MAX_SIGNATURE_CHECKS`: the most signature checks one path building spends.
 */
export { MAX_SIGNATURE_CHECKS, verifyPath as verifyCertificatePath } from './path.js';
export { type MarshaledX509Svid, type ParseOptions, X509Svid } from './svid.js';
export { type VerifiedX509Svid, type VerifyOptions, verifyX509Svid } from './verify.js';
