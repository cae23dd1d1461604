import { KeyObject } from 'node:crypto';
import { SpiffeId } from '../../spiffeid/index.js';
import {
  createSignature,
  defaultAlgorithm,
  isJwtSvidAlgorithm,
  type JwtSvidAlgorithm,
  keyMismatch,
} from './algorithms.js';
import { JwtSvidError, JwtSvidErrorCode } from './errors.js';
import type { ValidatedToken } from './validate.js';

/** What {@link JwtSvid.sign} needs to mint a JWT-SVID. */
export interface JwtSvidSignOptions {
  /** The subject, written to `sub` (JWT-SVID §3.1). */
  id: SpiffeId;
  /** One or more audiences, written to `aud` as an array exactly as given (JWT-SVID §3.2). */
  audience: readonly string[];
  /** Written to `exp`, in whole seconds (rounded down). */
  expiresAt: Date;
  /** Written to `iat` (default: now), in whole seconds. */
  issuedAt?: Date;
  /** The private signing key: EC P-256/P-384/P-521 or RSA of at least 2048 bits. */
  key: KeyObject;
  /** The authority's key ID, always written (README Decision b). */
  kid: string;
  /** Default: ES256/ES384/ES512 by curve for EC keys, RS256 for RSA keys. */
  alg?: JwtSvidAlgorithm;
  /** Extra claims (for example `jti`); they may not replace sub, aud, exp or iat. */
  claims?: Readonly<Record<string, unknown>>;
}

const RESERVED_CLAIMS = ['sub', 'aud', 'exp', 'iat'] as const;

function invalidArgument(message: string): JwtSvidError {
  return new JwtSvidError(JwtSvidErrorCode.INVALID_ARGUMENT, message);
}

function chooseAlgorithm(options: JwtSvidSignOptions): JwtSvidAlgorithm {
  const { key } = options;
  if (!(key instanceof KeyObject) || key.type !== 'private') {
    throw invalidArgument('key must be a private KeyObject');
  }
  const alg = options.alg ?? defaultAlgorithm(key);
  if (!isJwtSvidAlgorithm(alg)) {
    throw invalidArgument(`key of type ${key.asymmetricKeyType} has no jwt-svid algorithm`);
  }
  const mismatch = keyMismatch(alg, key);
  if (mismatch !== undefined) throw invalidArgument(`option alg does not fit key: ${mismatch}`);
  return alg;
}

function epochSeconds(date: unknown, name: string): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw invalidArgument(`option ${name} must be a valid date`);
  }
  return Math.floor(date.getTime() / 1000);
}

function buildClaims(options: JwtSvidSignOptions): Record<string, unknown> {
  if (!(options.id instanceof SpiffeId)) throw invalidArgument('option id must be a SpiffeId');
  const { audience } = options;
  if (!Array.isArray(audience) || audience.length === 0) {
    throw invalidArgument('option audience must be a non-empty array (JWT-SVID 3.2)');
  }
  if (!audience.every((a) => typeof a === 'string' && a !== '')) {
    throw invalidArgument('option audience must hold non-empty strings');
  }
  const extra = options.claims ?? {};
  const reserved = RESERVED_CLAIMS.find((name) => Object.hasOwn(extra, name));
  if (reserved !== undefined) throw invalidArgument(`option claims may not set ${reserved}`);

  const iat = epochSeconds(options.issuedAt ?? new Date(), 'issuedAt');
  const exp = epochSeconds(options.expiresAt, 'expiresAt');
  if (exp <= iat) throw invalidArgument('option expiresAt must be after issuedAt');
  return { ...extra, sub: options.id.toString(), aud: [...audience], exp, iat };
}

function encodeClaims(claims: Record<string, unknown>): string {
  try {
    return JSON.stringify(claims);
  } catch (err) {
    throw new JwtSvidError(JwtSvidErrorCode.INVALID_ARGUMENT, 'option claims must be json', {
      cause: err,
    });
  }
}

/**
 * Mints a compact JWS JWT-SVID with header `{alg, kid, typ: "JWT"}` (JWT-SVID §2) and claims
 * `sub`, `aud`, `exp`, `iat` plus any extra claims.
 */
export function signToken(options: JwtSvidSignOptions): ValidatedToken {
  const alg = chooseAlgorithm(options);
  if (typeof options.kid !== 'string' || options.kid === '') {
    throw invalidArgument('option kid must be a non-empty string (README Decision b)');
  }
  const claims = buildClaims(options);

  const header = Buffer.from(JSON.stringify({ alg, kid: options.kid, typ: 'JWT' })).toString(
    'base64url',
  );
  const payload = Buffer.from(encodeClaims(claims)).toString('base64url');
  const signingInput = `${header}.${payload}`;
  const signature = createSignature(alg, options.key, Buffer.from(signingInput, 'ascii'));
  return {
    id: options.id,
    audience: claims.aud as string[],
    expiresAtSeconds: claims.exp as number,
    claims,
    token: `${signingInput}.${signature.toString('base64url')}`,
  };
}
