import { createPublicKey, type JsonWebKey, KeyObject } from 'node:crypto';
import { ecPublicKeyProblem } from '../keys/public-key.js';
import { BundleError, BundleErrorCode } from './errors.js';
import { JsonNumber, type JsonObject, type JsonValue } from './json.js';

/**
 * Key types a bundle may carry as JWT authorities. Bundle §4.2.2 has clients ignore unknown `kty`;
 * a symmetric `oct` key is never an authority (it would let anyone holding the bundle sign), so
 * it is treated as unknown and ignored.
 */
const ASYMMETRIC_KTY = new Set(['EC', 'RSA', 'OKP']);

/** JWK members that carry private key material; a bundle must never hold them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** True when `kty` names an asymmetric key type this library can load. */
export function isSupportedKty(kty: JsonValue | undefined): boolean {
  return typeof kty === 'string' && ASYMMETRIC_KTY.has(kty);
}

/**
 * Loads the public key of one JWK entry. `where` names the entry in errors, e.g. `keys[2]`.
 * Private members are rejected rather than stripped: a bundle that carries them has leaked a key.
 */
export function publicKeyFromJwk(entry: JsonObject, where: string): KeyObject {
  for (const member of PRIVATE_MEMBERS) {
    if (entry.has(member)) {
      throw new BundleError(
        BundleErrorCode.InvalidJwk,
        `${where} carries private key member "${member}": a bundle holds public keys only`,
      );
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: toPlain(entry) as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new BundleError(BundleErrorCode.InvalidJwk, `${where} is not a valid public jwk`, {
      cause,
    });
  }
  const problem = ecPublicKeyProblem(key);
  if (problem !== undefined) {
    throw new BundleError(BundleErrorCode.InvalidJwk, `${where} public key ${problem}`);
  }
  return key;
}

/**
 * The public JWK members of `key` (`kty` and its key parameters; no `kid`, no `use`). A key type
 * JWK has no form for (RSA-PSS, DSA) is an `ERR_BUNDLE_INVALID_AUTHORITY` naming `what`.
 */
export function jwkFromPublicKey(key: KeyObject, what: string): Record<string, string> {
  // Node aborts the process on a JWK export of an EC point at infinity: refuse it first.
  assertUsableKey(key, what);
  let jwk: JsonWebKey;
  try {
    jwk = key.export({ format: 'jwk' });
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.InvalidAuthority,
      `${what} has a key type that a jwk cannot express`,
      { cause },
    );
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(jwk)) {
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** Checks that `key` can be a bundle authority: an asymmetric public key. */
export function assertPublicKey(key: unknown, where: string): asserts key is KeyObject {
  if (!(key instanceof KeyObject)) {
    throw new TypeError(`${where} must be a node:crypto KeyObject`);
  }
  if (key.type !== 'public') {
    throw new BundleError(
      BundleErrorCode.InvalidAuthority,
      `${where} is a ${key.type} key: a bundle authority must be a public key`,
    );
  }
  assertUsableKey(key, where);
}

/** `ERR_BUNDLE_INVALID_AUTHORITY` for an EC key that must not be used (see ecPublicKeyProblem). */
function assertUsableKey(key: KeyObject, what: string): void {
  const problem = ecPublicKeyProblem(key);
  if (problem !== undefined) {
    throw new BundleError(BundleErrorCode.InvalidAuthority, `${what} public key ${problem}`);
  }
}

function toPlain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of value) {
      Object.defineProperty(out, name, { value: toPlain(member), enumerable: true });
    }
    return out;
  }
  return value;
}
