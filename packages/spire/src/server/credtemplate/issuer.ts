import type { KeyType, SignOptions } from '../plugin/keymanager/types.js';

/**
 * A CA able to sign: its certificate and a way to reach its private key, which stays inside the
 * KeyManager. The templates read only these fields.
 */
export interface X509Issuer {
  /** The CA certificate (DER) whose subject becomes the issuer of what it signs. */
  readonly certificate: Buffer;
  /** The CA's subjectKeyIdentifier, written as the authorityKeyIdentifier of what it signs. */
  readonly subjectKeyId: Buffer;
  /** The CA's notAfter in milliseconds since the epoch; nothing it signs outlives it. */
  readonly notAfterMs: number;
  readonly keyType: KeyType;
  /** Signs `data` with the CA key. */
  sign(data: Uint8Array, options: SignOptions): Promise<Buffer>;
}

/** A key held by a KeyManager, exposed only as its public half plus a sign operation. */
export interface KeySigner {
  readonly keyType: KeyType;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  sign(data: Uint8Array, options: SignOptions): Promise<Buffer>;
}

/** Certificates are back-dated by this much for clients with skewed clocks (C29; SPIRE's value). */
export const NOT_BEFORE_CUSHION_MS = 10_000;

/** Rounds down to whole seconds, the resolution of X.509 validity times. */
export function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
