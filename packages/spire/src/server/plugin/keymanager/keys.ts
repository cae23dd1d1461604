import {
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ecPublicKeyProblem } from '@spire-ts/spiffe';
import {
  type HashAlgorithm,
  KEY_TYPES,
  type KeyInfo,
  KeyManagerError,
  type KeyType,
  type SignOptions,
} from './types.js';

const KEY_ID_MAX_LENGTH = 256;

/** True when `value` names a supported key type. */
export function isKeyType(value: unknown): value is KeyType {
  return typeof value === 'string' && (KEY_TYPES as readonly string[]).includes(value);
}

/** Throws unless `id` is a usable key id (non-empty, printable ASCII, at most 256 characters). */
export function checkKeyId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > KEY_ID_MAX_LENGTH) {
    throw new KeyManagerError(
      'ERR_KEYMANAGER_BAD_KEY_ID',
      `key id must be 1 to ${KEY_ID_MAX_LENGTH} characters`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(id)) {
    throw new KeyManagerError(
      'ERR_KEYMANAGER_BAD_KEY_ID',
      'key id must be printable ascii without spaces',
    );
  }
}

/** Generates a fresh private key of `type`. */
export function generatePrivateKey(type: KeyType): KeyObject {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'rsa-4096':
      return generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey;
    default:
      throw new KeyManagerError(
        'ERR_KEYMANAGER_BAD_KEY_TYPE',
        `key type must be one of ${KEY_TYPES.join(', ')}`,
      );
  }
}

/** The key type of an existing private or public key, or undefined when it is not supported. */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  // Node aborts on the details of an EC key at the point at infinity: such a key is unsupported.
  if (ecPublicKeyProblem(key) !== undefined) return undefined;
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve === 'prime256v1') return 'ec-p256';
    if (details?.namedCurve === 'secp384r1') return 'ec-p384';
    return undefined;
  }
  if (key.asymmetricKeyType === 'rsa') {
    if (details?.modulusLength === 2048) return 'rsa-2048';
    if (details?.modulusLength === 4096) return 'rsa-4096';
  }
  return undefined;
}

/** Builds the public {@link KeyInfo} of a private key stored under `id`. */
export function keyInfoOf(id: string, type: KeyType, privateKey: KeyObject): KeyInfo {
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return Object.freeze({ id, type, publicKey, spki });
}

const HASHES: readonly HashAlgorithm[] = ['sha256', 'sha384', 'sha512'];

/** Signs with a private key held by a key manager, after checking the options. */
export function signWith(privateKey: KeyObject, data: Uint8Array, options: SignOptions): Buffer {
  if (!HASHES.includes(options.hash)) {
    throw new KeyManagerError(
      'ERR_KEYMANAGER_BAD_HASH',
      `hash must be one of ${HASHES.join(', ')}`,
    );
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    return cryptoSign(options.hash, data, {
      key: privateKey,
      dsaEncoding: options.dsaEncoding ?? 'der',
    });
  }
  return cryptoSign(options.hash, data, privateKey);
}

/** The error for a sign or lookup on an id that holds no key. */
export function keyNotFound(id: string): KeyManagerError {
  return new KeyManagerError('ERR_KEYMANAGER_KEY_NOT_FOUND', `no key with id "${id}"`);
}
