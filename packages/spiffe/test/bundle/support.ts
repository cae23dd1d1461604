import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { BundleError } from '@spire-ts/spiffe';
import { readVectorFile } from '../../../../test/support/vectors.js';

/** CA1 of the fixtures (`CN=CA1,O=SPIFFE Fixtures`). */
export const CA1 = new X509Certificate(readVectorFile('fixtures/X509-01/bundle.pem'));

/** CA2 of the fixtures, taken from BUNDLE-08's second entry. */
export const CA2 = new X509Certificate(
  Buffer.from(fixtureBundleJson('BUNDLE-08').keys[1]?.x5c?.[0] ?? '', 'base64'),
);

/** A fixture bundle document as parsed by JSON.parse (for reading test inputs only). */
export function fixtureBundleJson(id: string): {
  keys: { x5c?: string[]; kid?: string; [k: string]: unknown }[];
} {
  return JSON.parse(fixtureBundleText(id));
}

/** The raw text of `fixtures/<id>/bundle.json`. */
export function fixtureBundleText(id: string): string {
  return readVectorFile(`fixtures/${id}/bundle.json`).toString('utf8');
}

/** A fresh P-256 public key. */
export function ecPublicKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
}

/** The public JWK members of a fresh P-256 key. */
export function ecJwk(): Record<string, string> {
  return ecPublicKey().export({ format: 'jwk' }) as Record<string, string>;
}

/** Runs `fn` and returns the BundleError it throws; anything else, or nothing, fails the test. */
export function caught(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BundleError) return err;
    throw err;
  }
  throw new Error('expected a BundleError, nothing was thrown');
}

/** PEM text of one certificate. */
export function pemOf(cert: X509Certificate): string {
  return cert.toString();
}

/** Certificates as base64 DER, for comparing by value (X509Certificate objects cache state). */
export function ders(certs: readonly X509Certificate[] | undefined): string[] | undefined {
  return certs?.map((c) => c.raw.toString('base64'));
}
