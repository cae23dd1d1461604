import type { KeyObject } from 'node:crypto';
import { SpiffeError } from '@spire-ts/spiffe';

/** Key types a KeyManager generates, spelled as SPIRE's `ca_key_type` spells them. */
export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-4096'] as const;

/** One of {@link KEY_TYPES}. */
export type KeyType = (typeof KEY_TYPES)[number];

/** Digest algorithms a KeyManager signs with. */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** The public half of a managed key; the private half never leaves its KeyManager. */
export interface KeyInfo {
  /** The caller's name for the key, e.g. `x509-CA-A`. */
  readonly id: string;
  readonly type: KeyType;
  readonly publicKey: KeyObject;
  /** The public key as a DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
}

/** How {@link KeyManager.sign} signs. */
export interface SignOptions {
  readonly hash: HashAlgorithm;
  /**
   * ECDSA signature encoding: `der` (X.509, the default) or `ieee-p1363` (r||s, as JWS wants).
   * Ignored for RSA, which always signs PKCS#1 v1.5.
   */
  readonly dsaEncoding?: 'der' | 'ieee-p1363';
}

/**
 * The KeyManager plugin type (SPIRE's `spire.plugin.server.keymanager.v1`): generates keys by id,
 * hands out public keys and signs with them. Generating a key under an existing id replaces it.
 */
export interface KeyManager {
  /** The plugin name, as configured (`memory`, `disk`). */
  readonly name: string;
  generateKey(id: string, type: KeyType): Promise<KeyInfo>;
  /** The public key stored under `id`, or undefined when there is none. */
  getPublicKey(id: string): Promise<KeyInfo | undefined>;
  getPublicKeys(): Promise<KeyInfo[]>;
  /** Signs `data` (hashing it with `options.hash`) with the key stored under `id`. */
  sign(id: string, data: Uint8Array, options: SignOptions): Promise<Buffer>;
}

/** Errors of the key managers; codes `ERR_KEYMANAGER_*`. */
export class KeyManagerError extends SpiffeError {}
