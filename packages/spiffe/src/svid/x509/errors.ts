import { SpiffeError } from '../../errors.js';

/**
 * Stable codes of {@link X509SvidError}. Each names one rule of X509-SVID or RFC 5280 that a
 * certificate, key or chain broke; `docs/x509svid.md` lists them with the rule behind each.
 */
export const X509SvidErrorCode = {
  /** The certificate bytes are not DER / PEM certificates, or carry trailing bytes. */
  MalformedCertificate: 'ERR_X509SVID_MALFORMED_CERTIFICATE',
  /** The private key bytes are not a PKCS#8, SEC1 or PKCS#1 key in PEM or DER. */
  MalformedKey: 'ERR_X509SVID_MALFORMED_KEY',
  /** No certificate was given. */
  EmptyChain: 'ERR_X509SVID_EMPTY_CHAIN',
  /** The chain holds more certificates than a path may have. */
  ChainTooLong: 'ERR_X509SVID_CHAIN_TOO_LONG',
  /** The private key does not belong to the leaf's public key. */
  KeyMismatch: 'ERR_X509SVID_KEY_MISMATCH',
  /** The leaf has no URI SAN. */
  NoUriSan: 'ERR_X509SVID_NO_URI_SAN',
  /** The leaf has more than one URI SAN. */
  MultipleUriSans: 'ERR_X509SVID_MULTIPLE_URI_SANS',
  /** The URI SAN is not a valid SPIFFE ID (scheme, characters, length). */
  InvalidSpiffeId: 'ERR_X509SVID_INVALID_SPIFFE_ID',
  /** The leaf's SPIFFE ID has no path. */
  LeafRootPath: 'ERR_X509SVID_LEAF_ROOT_PATH',
  /** The leaf has basicConstraints cA=true. */
  LeafIsCa: 'ERR_X509SVID_LEAF_IS_CA',
  /** The leaf's keyUsage has keyCertSign. */
  LeafKeyCertSign: 'ERR_X509SVID_LEAF_KEY_CERT_SIGN',
  /** The leaf's keyUsage has cRLSign. */
  LeafCrlSign: 'ERR_X509SVID_LEAF_CRL_SIGN',
  /** The leaf's keyUsage lacks digitalSignature. */
  LeafNoDigitalSignature: 'ERR_X509SVID_LEAF_NO_DIGITAL_SIGNATURE',
  /** The leaf's extKeyUsage lacks serverAuth or clientAuth. */
  LeafExtKeyUsage: 'ERR_X509SVID_LEAF_EXT_KEY_USAGE',
  /** A certificate has no keyUsage extension. */
  MissingKeyUsage: 'ERR_X509SVID_MISSING_KEY_USAGE',
  /** A certificate's keyUsage extension is not marked critical. */
  KeyUsageNotCritical: 'ERR_X509SVID_KEY_USAGE_NOT_CRITICAL',
  /** The subject is empty and the subjectAltName extension is not critical. */
  SanNotCritical: 'ERR_X509SVID_SAN_NOT_CRITICAL',
  /** A signing certificate is not a CA (basicConstraints missing or cA=false). */
  IssuerNotCa: 'ERR_X509SVID_ISSUER_NOT_CA',
  /** A signing certificate's keyUsage lacks keyCertSign. */
  IssuerNoKeyCertSign: 'ERR_X509SVID_ISSUER_NO_KEY_CERT_SIGN',
  /** A signing certificate carries a SPIFFE ID with a path. */
  IssuerIdHasPath: 'ERR_X509SVID_ISSUER_ID_HAS_PATH',
  /** More CA certificates sit below an issuer than its pathLenConstraint allows. */
  PathLenExceeded: 'ERR_X509SVID_PATH_LEN_EXCEEDED',
  /** A name in the path is outside a CA's nameConstraints, or the constraint is unsupported. */
  NameConstraints: 'ERR_X509SVID_NAME_CONSTRAINTS',
  /** A certificate has a critical extension this validator does not process. */
  UnknownCriticalExtension: 'ERR_X509SVID_UNKNOWN_CRITICAL_EXTENSION',
  /** A certificate has the same extension twice. */
  DuplicateExtension: 'ERR_X509SVID_DUPLICATE_EXTENSION',
  /** A certificate is not a version 3 certificate. */
  NotVersion3: 'ERR_X509SVID_NOT_VERSION_3',
  /** The outer signatureAlgorithm differs from the TBSCertificate's signature field. */
  SignatureAlgorithmMismatch: 'ERR_X509SVID_SIGNATURE_ALGORITHM_MISMATCH',
  /** A certificate's signature does not verify with its issuer's key. */
  BadSignature: 'ERR_X509SVID_BAD_SIGNATURE',
  /** A certificate whose signature is checked is signed with a broken hash (MD2, MD5, SHA-1). */
  InsecureSignatureAlgorithm: 'ERR_X509SVID_INSECURE_SIGNATURE_ALGORITHM',
  /** A certificate's notAfter is before the validation instant. */
  Expired: 'ERR_X509SVID_EXPIRED',
  /** A certificate's notBefore is after the validation instant. */
  NotYetValid: 'ERR_X509SVID_NOT_YET_VALID',
  /** The bundle source has no bundle for the leaf's trust domain. */
  NoBundle: 'ERR_X509SVID_NO_BUNDLE',
  /** No path leads from the leaf to an authority of its trust domain's bundle. */
  UnknownAuthority: 'ERR_X509SVID_UNKNOWN_AUTHORITY',
  /** Building the path took more signature checks than the limit allows. */
  PathBuildingLimit: 'ERR_X509SVID_PATH_BUILDING_LIMIT',
} as const;

/** One of the {@link X509SvidErrorCode} values. */
export type X509SvidErrorCodeValue = (typeof X509SvidErrorCode)[keyof typeof X509SvidErrorCode];

/** Failure to parse, validate or verify an X509-SVID; `code` is one of {@link X509SvidErrorCode}. */
export class X509SvidError extends SpiffeError {
  declare readonly code: X509SvidErrorCodeValue;

  constructor(code: X509SvidErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
