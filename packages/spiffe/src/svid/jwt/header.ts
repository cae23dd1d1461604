import { isJwtSvidAlgorithm, type JwtSvidAlgorithm } from './algorithms.js';
import { JwtSvidError, JwtSvidErrorCode, quote } from './errors.js';

/** The header members a JWT-SVID may carry (JWT-SVID §2). */
export interface JwtSvidHeader {
  alg: JwtSvidAlgorithm;
  kid?: string;
  typ?: 'JWT' | 'JOSE';
}

/** JWT-SVID §2: any header not described there, registered or private, MUST NOT be included. */
const ALLOWED_MEMBERS = new Set(['alg', 'kid', 'typ']);

/**
 * Checks `alg`, `typ` and `kid` of a decoded header, `alg` first (JWT-SVID §4: validators MUST
 * ensure `alg` is supported before processing).
 */
export function readHeader(header: Record<string, unknown>): JwtSvidHeader {
  const { alg, kid, typ } = header;

  // JWT-SVID §2.1: only RS/ES/PS 256/384/512; case-sensitive (RFC 7515 §4.1.1).
  if (!isJwtSvidAlgorithm(alg)) {
    const shown = typeof alg === 'string' ? quote(alg) : 'missing or not a string';
    throw new JwtSvidError(
      JwtSvidErrorCode.UNSUPPORTED_ALG,
      `header alg ${shown} is not one of RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512`,
    );
  }

  // JWT-SVID §2.3: typ, when set, is exactly JWT or JOSE (lower-case "jwt" is rejected too, as
  // go-spiffe does; see docs/jwtsvid.md).
  if (typ !== undefined && typ !== 'JWT' && typ !== 'JOSE') {
    throw new JwtSvidError(JwtSvidErrorCode.BAD_TYP, 'header typ must be absent, "JWT" or "JOSE"');
  }

  if (kid !== undefined && typeof kid !== 'string') {
    throw new JwtSvidError(JwtSvidErrorCode.BAD_HEADER, 'header kid must be a string');
  }
  return { alg, ...(kid === undefined ? {} : { kid }), ...(typ === undefined ? {} : { typ }) };
}

/** Rejects a header member other than `alg`, `kid` and `typ` (JWT-SVID §2). */
export function checkHeaderMembers(header: Record<string, unknown>): void {
  for (const name of Object.keys(header)) {
    if (!ALLOWED_MEMBERS.has(name)) {
      throw new JwtSvidError(
        JwtSvidErrorCode.BAD_HEADER,
        `header member ${quote(name)} is not allowed: a jwt-svid header holds only alg, kid and typ`,
      );
    }
  }
}
