import { SpiffeError } from '../../errors.js';

/**
 * Stable codes of {@link JwtSvidError}. Callers branch on these, never on the message. Each code
 * names the rule of the JWT-SVID spec (or of this library's contract) that a token or a call broke.
 */
export const JwtSvidErrorCode = {
  /** A caller argument is of the wrong type or out of range (not a property of the token). */
  INVALID_ARGUMENT: 'ERR_JWTSVID_INVALID_ARGUMENT',
  /** The expected-audience list is empty (README Decision c: that is a caller error). */
  NO_EXPECTED_AUDIENCE: 'ERR_JWTSVID_NO_EXPECTED_AUDIENCE',
  /** Not a JWS Compact Serialization of a JSON header and a JSON object payload. */
  MALFORMED: 'ERR_JWTSVID_MALFORMED',
  /** `alg` is not one of RS/ES/PS 256/384/512. */
  UNSUPPORTED_ALG: 'ERR_JWTSVID_UNSUPPORTED_ALG',
  /** The header carries a member other than `alg`, `kid` and `typ`, or one of the wrong type. */
  BAD_HEADER: 'ERR_JWTSVID_BAD_HEADER',
  /** `typ` is present and is not exactly `JWT` or `JOSE`. */
  BAD_TYP: 'ERR_JWTSVID_BAD_TYP',
  /** The `sub` claim is absent. */
  MISSING_SUB: 'ERR_JWTSVID_MISSING_SUB',
  /** The `sub` claim is not a valid SPIFFE ID. */
  INVALID_SUB: 'ERR_JWTSVID_INVALID_SUB',
  /** No JWT bundle is known for the subject's trust domain. */
  NO_BUNDLE: 'ERR_JWTSVID_NO_BUNDLE',
  /** The bundle of the subject's trust domain has no authority for the token's `kid`. */
  UNKNOWN_KID: 'ERR_JWTSVID_UNKNOWN_KID',
  /** The signature does not verify with the authority (or with any authority, without `kid`). */
  SIGNATURE_INVALID: 'ERR_JWTSVID_SIGNATURE_INVALID',
  /** The `aud` claim is absent or holds no value. */
  MISSING_AUD: 'ERR_JWTSVID_MISSING_AUD',
  /** None of the expected audiences is in `aud`. */
  AUD_MISMATCH: 'ERR_JWTSVID_AUD_MISMATCH',
  /** The `exp` claim is absent. */
  MISSING_EXP: 'ERR_JWTSVID_MISSING_EXP',
  /** A registered claim has the wrong JSON type (`exp` or `nbf` not a number, `aud` not strings). */
  MALFORMED_CLAIMS: 'ERR_JWTSVID_MALFORMED_CLAIMS',
  /** The validation instant is at or past `exp` + leeway. */
  EXPIRED: 'ERR_JWTSVID_EXPIRED',
  /** `nbf` is further in the future than the leeway. */
  NOT_YET_VALID: 'ERR_JWTSVID_NOT_YET_VALID',
} as const;

/** One of the {@link JwtSvidErrorCode} values. */
export type JwtSvidErrorCode = (typeof JwtSvidErrorCode)[keyof typeof JwtSvidErrorCode];

/** Failure to parse, validate or sign a JWT-SVID. `code` is one of {@link JwtSvidErrorCode}. */
export class JwtSvidError extends SpiffeError {
  declare readonly code: JwtSvidErrorCode;

  constructor(code: JwtSvidErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A token-supplied string made safe for an error message: cut to 64 characters and JSON-quoted,
 * so that control characters or newlines from an attacker cannot forge log lines.
 */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}
