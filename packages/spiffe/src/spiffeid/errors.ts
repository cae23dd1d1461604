import { SpiffeError } from '../errors.js';

/**
 * Stable codes of {@link SpiffeIdError}. Each parse rule of the SPIFFE-ID standard has its own
 * code, so callers (and tests) branch on the rule that failed, never on the message.
 */
export const SpiffeIdErrorCode = {
  /** SPIFFE-ID §2: the input is the empty string. */
  Empty: 'ERR_SPIFFEID_EMPTY',
  /** SPIFFE-ID §2: the input does not start with the `spiffe://` scheme and authority marker. */
  WrongScheme: 'ERR_SPIFFEID_WRONG_SCHEME',
  /** SPIFFE-ID §2.1: the trust domain (URI host) is empty. */
  MissingTrustDomain: 'ERR_SPIFFEID_MISSING_TRUST_DOMAIN',
  /** SPIFFE-ID §2.1: a trust domain character is outside `[a-z0-9.-_]` (A-Z are folded first). */
  BadTrustDomainChar: 'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
  /** SPIFFE-ID §2.2: a path character is outside `[a-zA-Z0-9.-_]`, or a query/fragment is present. */
  BadPathChar: 'ERR_SPIFFEID_BAD_PATH_CHAR',
  /** SPIFFE-ID §2.2: the path has an empty segment (`//`). */
  EmptySegment: 'ERR_SPIFFEID_EMPTY_SEGMENT',
  /** SPIFFE-ID §2.2: the path has a `.` or `..` segment. */
  DotSegment: 'ERR_SPIFFEID_DOT_SEGMENT',
  /** SPIFFE-ID §2.2: the path ends with `/`. */
  TrailingSlash: 'ERR_SPIFFEID_TRAILING_SLASH',
  /** A path given on its own (not inside an ID) is neither empty nor starts with `/`. */
  NoLeadingSlash: 'ERR_SPIFFEID_NO_LEADING_SLASH',
  /** SPIFFE-ID §2.3: the trust domain name is longer than 255 bytes. */
  TrustDomainTooLong: 'ERR_SPIFFEID_TRUST_DOMAIN_TOO_LONG',
  /** SPIFFE-ID §2.3 (Decision d): the whole ID is longer than 2048 bytes. */
  TooLong: 'ERR_SPIFFEID_TOO_LONG',
  /** A {@link Matcher} rejected an ID that is not among the expected ones. */
  Unexpected: 'ERR_SPIFFEID_UNEXPECTED',
} as const;

/** One of the {@link SpiffeIdErrorCode} values. */
export type SpiffeIdErrorCode = (typeof SpiffeIdErrorCode)[keyof typeof SpiffeIdErrorCode];

/** A SPIFFE ID, trust domain or path failed a rule of the SPIFFE-ID standard, or a matcher. */
export class SpiffeIdError extends SpiffeError {
  declare readonly code: SpiffeIdErrorCode;

  constructor(code: SpiffeIdErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
