import { SpiffeError } from '../errors.js';

/**
 * Stable codes of {@link BundleError}. Callers branch on these, never on the message.
 * `docs/bundle.md` lists each one with what causes it.
 */
export const BundleErrorCode = {
  /** A PEM document is malformed, or holds a block that is not a `CERTIFICATE`. */
  InvalidPem: 'ERR_BUNDLE_INVALID_PEM',
  /** DER bytes (from PEM, raw DER or `x5c`) are not exactly one X.509 certificate. */
  InvalidCertificate: 'ERR_BUNDLE_INVALID_CERTIFICATE',
  /** A bundle authority given to a constructor is not usable (private key, empty `kid`). */
  InvalidAuthority: 'ERR_BUNDLE_INVALID_AUTHORITY',
  /** The document is not well-formed JSON (or not UTF-8). */
  JsonSyntax: 'ERR_BUNDLE_JSON_SYNTAX',
  /** A JSON object names the same member twice. */
  JsonDuplicateKey: 'ERR_BUNDLE_JSON_DUPLICATE_KEY',
  /** The JSON document nests deeper than the reader allows. */
  JsonTooDeep: 'ERR_BUNDLE_JSON_TOO_DEEP',
  /** A bundle member the spec defines has the wrong type or an out-of-range value. */
  InvalidMember: 'ERR_BUNDLE_INVALID_MEMBER',
  /** The `keys` member (or the bundle map's `trust_domains`) is absent. */
  MissingMember: 'ERR_BUNDLE_MISSING_MEMBER',
  /** An `x509-svid` entry's first `x5c` value is not standard base64 of one DER certificate. */
  InvalidX5c: 'ERR_BUNDLE_INVALID_X5C',
  /** A JWT key entry does not describe a usable public key. */
  InvalidJwk: 'ERR_BUNDLE_INVALID_JWK',
  /** Two JWT authorities of one bundle share a `kid`. */
  DuplicateKid: 'ERR_BUNDLE_DUPLICATE_KID',
  /** A bundle map key is not a valid trust domain. */
  InvalidTrustDomain: 'ERR_BUNDLE_INVALID_TRUST_DOMAIN',
  /** A bundle map names one trust domain twice (also after ASCII case folding). */
  DuplicateTrustDomain: 'ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN',
} as const;

/** One of the {@link BundleErrorCode} values. */
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/** Failure to parse, build or marshal a trust bundle; `code` is one of {@link BundleErrorCode}. */
export class BundleError extends SpiffeError {
  declare readonly code: BundleErrorCode;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
