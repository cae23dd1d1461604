import { X509Certificate } from 'node:crypto';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';
import type { Bundle, JwtAuthority, X509Authority } from '../types.js';

interface StoredBundle {
  trustDomain: string;
  x509Authorities: { asn1: string; tainted: boolean }[];
  jwtAuthorities: { keyId: string; publicKey: string; expiresAt: number; tainted: boolean }[];
  refreshHint: number;
  sequenceNumber: number;
}

/** Serialises a bundle for the `bundles.data` column (UTF-8 JSON, bytes as base64). */
export function encodeBundle(b: Bundle): Buffer {
  const stored: StoredBundle = {
    trustDomain: b.trustDomain,
    x509Authorities: b.x509Authorities.map((a) => ({
      asn1: Buffer.from(a.asn1).toString('base64'),
      tainted: a.tainted,
    })),
    jwtAuthorities: b.jwtAuthorities.map((k) => ({
      keyId: k.keyId,
      publicKey: Buffer.from(k.publicKey).toString('base64'),
      expiresAt: k.expiresAt,
      tainted: k.tainted,
    })),
    refreshHint: b.refreshHint,
    sequenceNumber: b.sequenceNumber,
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** Reads a bundle back from `bundles.data`. */
export function decodeBundle(data: Uint8Array): Bundle {
  let s: StoredBundle;
  try {
    s = JSON.parse(Buffer.from(data).toString('utf8')) as StoredBundle;
  } catch (cause) {
    throw new DataStoreError(DataStoreErrorCode.Query, 'stored bundle data is not valid JSON', {
      cause,
    });
  }
  return {
    trustDomain: s.trustDomain,
    x509Authorities: s.x509Authorities.map((a) => ({
      asn1: new Uint8Array(Buffer.from(a.asn1, 'base64')),
      tainted: a.tainted,
    })),
    jwtAuthorities: s.jwtAuthorities.map((k) => ({
      keyId: k.keyId,
      publicKey: new Uint8Array(Buffer.from(k.publicKey, 'base64')),
      expiresAt: k.expiresAt,
      tainted: k.tainted,
    })),
    refreshHint: s.refreshHint,
    sequenceNumber: s.sequenceNumber,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function sameJwt(a: JwtAuthority, b: JwtAuthority): boolean {
  return a.keyId === b.keyId && sameBytes(a.publicKey, b.publicKey);
}

/**
 * Adds to `current` the authorities of `extra` it does not hold yet (X.509 by DER bytes, JWT by
 * key id and key). Returns the merged bundle and whether anything was added.
 */
export function mergeBundles(current: Bundle, extra: Bundle): { bundle: Bundle; changed: boolean } {
  const x509 = [...current.x509Authorities];
  for (const a of extra.x509Authorities) {
    if (!x509.some((b) => sameBytes(a.asn1, b.asn1))) x509.push(a);
  }
  const jwt = [...current.jwtAuthorities];
  for (const k of extra.jwtAuthorities) {
    if (!jwt.some((j) => sameJwt(j, k))) jwt.push(k);
  }
  const changed =
    x509.length !== current.x509Authorities.length || jwt.length !== current.jwtAuthorities.length;
  return { bundle: { ...current, x509Authorities: x509, jwtAuthorities: jwt }, changed };
}

/** The notAfter of a DER certificate, in Unix seconds. */
export function certNotAfter(a: X509Authority): number {
  try {
    return Math.floor(new Date(new X509Certificate(a.asn1).validTo).getTime() / 1000);
  } catch (cause) {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      'bundle x509 authority is not a DER certificate',
      {
        cause,
      },
    );
  }
}

/**
 * Drops authorities that expired before `expiresBefore`. Refuses to leave a bundle that had
 * X.509 authorities without any (SPIRE: "would prune all certificates").
 */
export function pruneAuthorities(
  b: Bundle,
  expiresBefore: number,
): { bundle: Bundle; changed: boolean } {
  const x509 = b.x509Authorities.filter((a) => certNotAfter(a) >= expiresBefore);
  const jwt = b.jwtAuthorities.filter((k) => k.expiresAt === 0 || k.expiresAt >= expiresBefore);
  if (x509.length === 0 && b.x509Authorities.length > 0) {
    throw new DataStoreError(
      DataStoreErrorCode.BundlePruneAll,
      `pruning bundle "${b.trustDomain}" would remove every x509 authority`,
    );
  }
  const changed =
    x509.length !== b.x509Authorities.length || jwt.length !== b.jwtAuthorities.length;
  return { bundle: { ...b, x509Authorities: x509, jwtAuthorities: jwt }, changed };
}
