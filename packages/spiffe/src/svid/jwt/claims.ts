import { SpiffeId } from '../../spiffeid/index.js';
import { JwtSvidError, JwtSvidErrorCode } from './errors.js';

/** When and with how much leeway the time claims are judged. */
export interface TimeCheck {
  /** The validation instant, in seconds since the epoch. */
  nowSeconds: number;
  /** README Decision e: a small leeway for clock skew, 30 s by default. */
  leewaySeconds: number;
}

/** Reads `sub` as a SPIFFE ID (JWT-SVID §3.1). */
export function readSubject(claims: Record<string, unknown>): SpiffeId {
  const { sub } = claims;
  if (sub === undefined) {
    throw new JwtSvidError(JwtSvidErrorCode.MISSING_SUB, 'claim sub is required (JWT-SVID 3.1)');
  }
  if (typeof sub !== 'string') {
    throw new JwtSvidError(JwtSvidErrorCode.INVALID_SUB, 'claim sub must be a spiffe id string');
  }
  try {
    return SpiffeId.fromString(sub);
  } catch (err) {
    throw new JwtSvidError(JwtSvidErrorCode.INVALID_SUB, 'claim sub must be a valid spiffe id', {
      cause: err,
    });
  }
}

/**
 * Reads `aud` as a list (RFC 7519 §4.1.3: a single string is one audience, never a list of its
 * characters) and checks that any one expected audience is in it (README Decision c).
 */
export function checkAudience(claims: Record<string, unknown>, expected: readonly string[]) {
  const audience = readAudience(claims.aud);
  if (!expected.some((want) => audience.includes(want))) {
    throw new JwtSvidError(
      JwtSvidErrorCode.AUD_MISMATCH,
      'claim aud must contain one of the expected audiences (compared case-sensitively)',
    );
  }
  return audience;
}

/** `aud` as a list of one or more strings (JWT-SVID §3.2). */
export function readAudience(aud: unknown): string[] {
  if (aud === undefined || aud === null || (Array.isArray(aud) && aud.length === 0)) {
    throw new JwtSvidError(
      JwtSvidErrorCode.MISSING_AUD,
      'claim aud must hold one or more values (JWT-SVID 3.2)',
    );
  }
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((v) => typeof v === 'string')) return [...aud];
  throw new JwtSvidError(
    JwtSvidErrorCode.MALFORMED_CLAIMS,
    'claim aud must be a string or an array of strings',
  );
}

/** The largest instant a JavaScript Date holds, in seconds (ECMA-262 §21.4.1.1). */
const MAX_NUMERIC_DATE = 8.64e12;

function numericDate(claims: Record<string, unknown>, name: 'exp' | 'nbf'): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  // RFC 7519 §2: a NumericDate is a JSON number of seconds since the epoch.
  if (typeof value !== 'number' || !(Math.abs(value) <= MAX_NUMERIC_DATE)) {
    throw new JwtSvidError(
      JwtSvidErrorCode.MALFORMED_CLAIMS,
      `claim ${name} must be a json number of seconds since the epoch, within the range of a date`,
    );
  }
  return value;
}

/**
 * Checks `exp` (required, JWT-SVID §3.3) and `nbf` (RFC 7519 §4.1.5) against the validation
 * instant; returns `exp`. Per README Decision e a token is expired once now >= exp + leeway, and
 * not yet valid while nbf > now + leeway. `iat` is informational and never looked at.
 */
export function checkTimes(claims: Record<string, unknown>, time: TimeCheck): number {
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) {
    throw new JwtSvidError(JwtSvidErrorCode.MISSING_EXP, 'claim exp is required (JWT-SVID 3.3)');
  }
  const nbf = numericDate(claims, 'nbf');
  if (time.nowSeconds >= exp + time.leewaySeconds) {
    throw new JwtSvidError(JwtSvidErrorCode.EXPIRED, 'token has expired (claim exp is past)');
  }
  if (nbf !== undefined && nbf > time.nowSeconds + time.leewaySeconds) {
    throw new JwtSvidError(
      JwtSvidErrorCode.NOT_YET_VALID,
      'token is not valid yet (claim nbf is in the future)',
    );
  }
  return exp;
}
