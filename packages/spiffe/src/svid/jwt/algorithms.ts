import { constants, type KeyObject, sign, verify } from 'node:crypto';
import { ecPublicKeyProblem } from '../../keys/public-key.js';

/** The signature algorithms a JWT-SVID may use (JWT-SVID §2.1); any other `alg` is rejected. */
export const JWT_SVID_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
] as const;

/** A JWT-SVID signature algorithm (JWT-SVID §2.1). */
export type JwtSvidAlgorithm = (typeof JWT_SVID_ALGORITHMS)[number];

interface AlgorithmProfile {
  family: 'RS' | 'ES' | 'PS';
  hash: 'sha256' | 'sha384' | 'sha512';
  /** ES only: the curve (node name), and the byte length of r || s (RFC 7518 §3.4). */
  curve?: string;
  signatureBytes?: number;
}

const PROFILES: Readonly<Record<JwtSvidAlgorithm, AlgorithmProfile>> = {
  RS256: { family: 'RS', hash: 'sha256' },
  RS384: { family: 'RS', hash: 'sha384' },
  RS512: { family: 'RS', hash: 'sha512' },
  ES256: { family: 'ES', hash: 'sha256', curve: 'prime256v1', signatureBytes: 64 },
  ES384: { family: 'ES', hash: 'sha384', curve: 'secp384r1', signatureBytes: 96 },
  ES512: { family: 'ES', hash: 'sha512', curve: 'secp521r1', signatureBytes: 132 },
  PS256: { family: 'PS', hash: 'sha256' },
  PS384: { family: 'PS', hash: 'sha384' },
  PS512: { family: 'PS', hash: 'sha512' },
};

const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** RFC 7518 §3.3 and §3.5: RSA keys of 2048 bits or more. */
const MIN_RSA_BITS = 2048;

/** True when `alg` is on the JWT-SVID allow-list. Case-sensitive (RFC 7515 §4.1.1). */
export function isJwtSvidAlgorithm(alg: unknown): alg is JwtSvidAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(PROFILES, alg);
}

/**
 * Why `key` cannot be used with `alg`, or undefined when it can. The key type decides the
 * verification method together with `alg`, never `alg` alone (so an RSA key is never used for
 * ES256, nor an EC key of another curve).
 */
export function keyMismatch(alg: JwtSvidAlgorithm, key: KeyObject): string | undefined {
  // Reading the curve of an EC point at infinity, or verifying with it, aborts Node: check first.
  const problem = ecPublicKeyProblem(key);
  if (problem !== undefined) return `${alg} key ${problem}`;
  const profile = PROFILES[alg];
  const type = key.asymmetricKeyType;
  if (profile.family === 'ES') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return type === 'ec' && curve === profile.curve
      ? undefined
      : `${alg} needs an ec key on ${profile.curve}, got ${describeKey(key)}`;
  }
  const rsaOk = type === 'rsa' || (profile.family === 'PS' && type === 'rsa-pss');
  if (!rsaOk) return `${alg} needs an rsa key, got ${describeKey(key)}`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return bits >= MIN_RSA_BITS ? undefined : `${alg} needs an rsa key of at least 2048 bits`;
}

function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return 'a secret key';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} key on ${curve}` : `${key.asymmetricKeyType} key`;
}

function signOptions(alg: JwtSvidAlgorithm, key: KeyObject) {
  const profile = PROFILES[alg];
  if (profile.family === 'ES') return { key, dsaEncoding: 'ieee-p1363' as const };
  if (profile.family === 'RS') return { key, padding: constants.RSA_PKCS1_PADDING };
  // RFC 7518 §3.5: the PSS salt is as long as the hash output.
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[profile.hash] };
}

/**
 * Verifies a JWS signature over `signingInput`. The key must already have passed
 * {@link keyMismatch}. Returns false (never throws) for a signature that does not verify.
 */
export function verifySignature(
  alg: JwtSvidAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const profile = PROFILES[alg];
  if (profile.signatureBytes !== undefined && signature.length !== profile.signatureBytes) {
    return false;
  }
  try {
    return verify(profile.hash, signingInput, signOptions(alg, key), signature);
  } catch {
    return false;
  }
}

/** Signs `signingInput` with a private key that has passed {@link keyMismatch}. */
export function createSignature(alg: JwtSvidAlgorithm, key: KeyObject, signingInput: Buffer) {
  return sign(PROFILES[alg].hash, signingInput, signOptions(alg, key));
}

/** The algorithm a key signs with when the caller names none: ES* by curve, RS256 for RSA. */
export function defaultAlgorithm(key: KeyObject): JwtSvidAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'rsa-pss') return 'PS256';
  if (key.asymmetricKeyType !== 'ec' || ecPublicKeyProblem(key) !== undefined) return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return JWT_SVID_ALGORITHMS.find((alg) => PROFILES[alg].curve === curve);
}
