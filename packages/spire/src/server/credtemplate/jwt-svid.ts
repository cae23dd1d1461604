// JWT-SVIDs: claims as SPIRE builds them, and JWS compact signing through a KeyManager key.
import { randomBytes } from 'node:crypto';
import type { SpiffeId } from '@spire-ts/spiffe';
import type { HashAlgorithm, KeyType, SignOptions } from '../plugin/keymanager/types.js';
import { CredTemplateError } from './errors.js';

/** Claims of a JWT-SVID (JWT-SVID §3). Times are NumericDate seconds. */
export interface JwtSvidClaims {
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly iss?: string;
  readonly jti?: string;
}

/** What the claims are built from. */
export interface JwtSvidParams {
  readonly spiffeId: SpiffeId;
  readonly audience: readonly string[];
  readonly ttlMs: number;
  readonly nowMs: number;
  /** The signing key's expiry: `exp` never passes it. */
  readonly expirationCapMs: number;
  /** `jwt_issuer`: sets `iss` when given. */
  readonly issuer?: string;
  /** Adds a random `jti` (the entry's jwt_svid_include_jti). */
  readonly includeJti?: boolean;
}

/** A JWT signing key held by a KeyManager. */
export interface JwtSigningKey {
  readonly kid: string;
  readonly keyType: KeyType;
  sign(data: Uint8Array, options: SignOptions): Promise<Buffer>;
}

/** Builds JWT-SVID claims; empty audience values are dropped and none at all is an error. */
export function buildJwtSvidClaims(params: JwtSvidParams): JwtSvidClaims {
  const aud = params.audience.filter((a) => a !== '');
  // JWT-SVID §3.2: aud must hold at least one value.
  if (aud.length === 0) {
    throw new CredTemplateError(
      'ERR_CREDTEMPLATE_EMPTY_AUDIENCE',
      'jwt-svid audience must not be empty',
    );
  }
  if (!(params.ttlMs > 0)) {
    throw new CredTemplateError('ERR_CREDTEMPLATE_BAD_TTL', 'svid ttl must be a positive duration');
  }
  if (params.nowMs >= params.expirationCapMs) {
    throw new CredTemplateError(
      'ERR_CREDTEMPLATE_ISSUER_EXPIRED',
      'jwt signing key has expired; rotate it before signing',
    );
  }
  const exp = Math.floor(Math.min(params.nowMs + params.ttlMs, params.expirationCapMs) / 1000);
  const claims: JwtSvidClaims = {
    sub: params.spiffeId.toString(),
    aud,
    exp,
    iat: Math.floor(params.nowMs / 1000),
    ...(params.issuer ? { iss: params.issuer } : {}),
    ...(params.includeJti ? { jti: randomBytes(16).toString('base64url') } : {}),
  };
  return claims;
}

const JWS_ALGORITHMS: Record<KeyType, { alg: string; hash: HashAlgorithm }> = {
  'ec-p256': { alg: 'ES256', hash: 'sha256' },
  'ec-p384': { alg: 'ES384', hash: 'sha384' },
  'rsa-2048': { alg: 'RS256', hash: 'sha256' },
  'rsa-4096': { alg: 'RS256', hash: 'sha256' },
};

/** The JWS `alg` a key of `type` signs JWT-SVIDs with. */
export function jwsAlgorithm(type: KeyType): string {
  return JWS_ALGORITHMS[type].alg;
}

/** Signs claims as a JWS compact token with header `{alg, kid, typ: "JWT"}` (JWT-SVID §2). */
export async function signJwtSvid(claims: JwtSvidClaims, key: JwtSigningKey): Promise<string> {
  const { alg, hash } = JWS_ALGORITHMS[key.keyType];
  const header = { alg, kid: key.kid, typ: 'JWT' };
  const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = await key.sign(Buffer.from(signingInput), { hash, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}
