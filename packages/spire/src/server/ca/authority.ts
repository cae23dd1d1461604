import { randomInt } from 'node:crypto';
import { SpiffeError } from '@spire-ts/spiffe';
import { subjectKeyId } from '../credtemplate/x509-profile.js';
import type { KeyType } from '../plugin/keymanager/types.js';

/** Errors of the CA manager; codes `ERR_CA_*`. */
export class CaError extends SpiffeError {}

/** Journal status of an authority (SPIRE: PREPARED, ACTIVE, OLD). */
export type AuthorityStatus = 'prepared' | 'active' | 'old';

/** The two KeyManager slots each kind of authority alternates between. */
export type Slot = 'A' | 'B';

/** The other slot. */
export function otherSlot(slot: Slot): Slot {
  return slot === 'A' ? 'B' : 'A';
}

/** An X.509 CA: its certificate chain; the key stays in the KeyManager under `keyId`. */
export interface X509Authority {
  readonly slot: Slot;
  readonly keyId: string;
  readonly keyType: KeyType;
  status: AuthorityStatus;
  /** Our CA certificate, then upstream intermediates (DER). */
  readonly chain: readonly Buffer[];
  /** Upstream roots when upstream-signed; empty when self-signed. */
  readonly upstreamRoots: readonly Buffer[];
  readonly subjectKeyId: Buffer;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/** A JWT signing key: published in the bundle under `kid`. */
export interface JwtAuthority {
  readonly slot: Slot;
  readonly keyId: string;
  readonly keyType: KeyType;
  status: AuthorityStatus;
  readonly kid: string;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKey: Buffer;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/** KeyManager ids, as SPIRE names them. */
export function x509KeyId(slot: Slot): string {
  return `x509-CA-${slot}`;
}

/** KeyManager id of a JWT signing key slot. */
export function jwtKeyId(slot: Slot): string {
  return `JWT-Signer-${slot}`;
}

/**
 * The authority ID of a key, as SPIRE derives it to find a server's CA journal: the hex key
 * identifier of its public key (RFC 5280 §4.2.1.2 method 1, SHA-1 of the key bits). It equals
 * the SKID of our self-signed CAs; for upstream-signed ones it is computed from the key too, so
 * the lookup never depends on what the upstream wrote in the certificate.
 */
export function authorityIdOf(spki: Uint8Array): string {
  return subjectKeyId(spki).toString('hex');
}

const KID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A JWT key id: 32 random characters from [a-zA-Z0-9], as SPIRE makes them. */
export function newKid(): string {
  let kid = '';
  for (let i = 0; i < 32; i++) kid += KID_ALPHABET[randomInt(KID_ALPHABET.length)];
  return kid;
}

const DAY_MS = 86_400_000;

/**
 * Reference §3.7: the next authority is prepared once less than min(lifetime/2, 30d) is left of
 * the current one, and activated once less than min(lifetime/6, 7d) is left.
 */
export function prepareAtMs(a: { notBeforeMs: number; notAfterMs: number }): number {
  const lifetime = a.notAfterMs - a.notBeforeMs;
  return a.notAfterMs - Math.min(lifetime / 2, 30 * DAY_MS);
}

/** When the authority after `a` takes over (see {@link prepareAtMs}). */
export function activateAtMs(a: { notBeforeMs: number; notAfterMs: number }): number {
  const lifetime = a.notAfterMs - a.notBeforeMs;
  return a.notAfterMs - Math.min(lifetime / 6, 7 * DAY_MS);
}
