import type { KeyObject } from 'node:crypto';
import { BundleError, BundleErrorCode } from './errors.js';
import { type JsonObject, type JsonValue, parseStrictJson } from './json.js';
import { isSupportedKty, publicKeyFromJwk } from './jwk.js';

/** The `use` value of JWT-SVID signing keys (JWT-SVID §6.1). */
export const USE_JWT_SVID = 'jwt-svid';

/** The `use` value of X.509-SVID CA certificates (X509-SVID §6.1). */
export const USE_X509_SVID = 'x509-svid';

/** Reads a JWK Set document: a JSON object whose `keys` member is an array of objects. */
export function readJwkSet(input: string | Uint8Array): {
  root: JsonObject;
  keys: JsonObject[];
} {
  const root = parseStrictJson(input);
  return { root: expectObject(root, 'bundle document'), keys: readKeys(root) };
}

/** The `keys` array of a parsed JWK Set; each element must be an object. */
export function readKeys(root: JsonValue): JsonObject[] {
  const object = expectObject(root, 'bundle document');
  const keys = object.get('keys');
  // Bundle §4.1.3: `keys` MUST be present; an empty array is allowed (all keys revoked).
  if (keys === undefined) {
    throw new BundleError(BundleErrorCode.MissingMember, 'bundle member "keys" is required');
  }
  if (!Array.isArray(keys)) {
    throw new BundleError(BundleErrorCode.InvalidMember, 'bundle member "keys" must be an array');
  }
  return keys.map((entry, i) => expectObject(entry, `keys[${i}]`));
}

/** `value` as an object, or an `ERR_BUNDLE_INVALID_MEMBER` error naming `what`. */
export function expectObject(value: JsonValue | undefined, what: string): JsonObject {
  if (!(value instanceof Map)) {
    throw new BundleError(BundleErrorCode.InvalidMember, `${what} must be a json object`);
  }
  return value;
}

/**
 * Reads one entry as a JWT authority, or `undefined` when the entry is to be ignored: a `kty` this
 * library does not know (Bundle §4.2.2), or no `kid` (Decision b: JWT-SVID §6.1 requires `kid` on
 * `jwt-svid` entries, and an entry without one is ignored). A known key type whose parameters do
 * not load is an error.
 */
export function readJwtAuthority(
  entry: JsonObject,
  where: string,
): { kid: string; key: KeyObject } | undefined {
  const kid = entry.get('kid');
  if (!isSupportedKty(entry.get('kty')) || typeof kid !== 'string' || kid === '') return undefined;
  return { kid, key: publicKeyFromJwk(entry, where) };
}

/** Adds one JWT authority; a second key under the same `kid` is an error (BUNDLE-12). */
export function addJwtAuthority(
  into: Map<string, KeyObject>,
  authority: { kid: string; key: KeyObject },
  where: string,
): void {
  if (into.has(authority.kid)) {
    throw new BundleError(
      BundleErrorCode.DuplicateKid,
      `${where} repeats kid ${JSON.stringify(authority.kid.slice(0, 64))}: each jwt authority needs its own kid`,
    );
  }
  into.set(authority.kid, authority.key);
}
