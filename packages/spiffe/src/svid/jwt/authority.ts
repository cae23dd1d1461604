import type { KeyObject } from 'node:crypto';
import type { JwtBundleSource } from '../../bundle/index.js';
import type { SpiffeId } from '../../spiffeid/index.js';
import { type JwtSvidAlgorithm, keyMismatch, verifySignature } from './algorithms.js';
import { JwtSvidError, JwtSvidErrorCode, quote } from './errors.js';

/** What the signature check needs from a decoded token. */
export interface SignedParts {
  alg: JwtSvidAlgorithm;
  kid?: string;
  signingInput: Buffer;
  signature: Buffer;
}

function signatureInvalid(message: string): JwtSvidError {
  return new JwtSvidError(JwtSvidErrorCode.SIGNATURE_INVALID, message);
}

/**
 * Verifies the token's signature with the bundle of the subject's own trust domain, never another
 * (Workload API §6.3, JWT-SVID §4). With `kid`, only that authority is tried; without `kid`, each
 * jwt-svid authority of the bundle is tried (README Decision b). Keys named in the header (`jwk`,
 * `jku`, `x5c`, ...) are never used.
 */
export function verifyWithBundle(subject: SpiffeId, parts: SignedParts, bundles: JwtBundleSource) {
  const td = subject.trustDomain;
  const bundle = bundles.getJwtBundleForTrustDomain(td);
  // A source that answers with another trust domain's bundle must not let that trust domain's
  // authorities vouch for this subject (trust domain confusion): treat it as no bundle.
  if (bundle === undefined || !bundle.trustDomain.equals(td)) {
    throw new JwtSvidError(
      JwtSvidErrorCode.NO_BUNDLE,
      `no jwt bundle for trust domain "${td.name}" of claim sub`,
    );
  }

  if (parts.kid !== undefined) {
    const key = bundle.findJwtAuthority(parts.kid);
    if (key === undefined) {
      throw new JwtSvidError(
        JwtSvidErrorCode.UNKNOWN_KID,
        `no jwt authority with header kid ${quote(parts.kid)} in the bundle of trust domain "${td.name}"`,
      );
    }
    verifyWithKey(parts, key);
    return;
  }

  verifyWithAnyKey(parts, bundle.jwtAuthorities().values(), td.name);
}

function verifyWithKey(parts: SignedParts, key: KeyObject): void {
  // The key's own type must agree with alg (JWT-09): alg never picks the method for another type.
  const mismatch = keyMismatch(parts.alg, key);
  if (mismatch !== undefined)
    throw signatureInvalid(`the jwt authority of header kid cannot be used: ${mismatch}`);
  if (!verifySignature(parts.alg, key, parts.signingInput, parts.signature)) {
    throw signatureInvalid('token signature does not verify with the jwt authority of header kid');
  }
}

function verifyWithAnyKey(parts: SignedParts, keys: Iterable<KeyObject>, tdName: string): void {
  let tried = 0;
  for (const key of keys) {
    if (keyMismatch(parts.alg, key) !== undefined) continue;
    tried++;
    if (verifySignature(parts.alg, key, parts.signingInput, parts.signature)) return;
  }
  throw signatureInvalid(
    `token without header kid verifies with none of the ${tried} ${parts.alg} jwt authorities of trust domain "${tdName}"`,
  );
}
