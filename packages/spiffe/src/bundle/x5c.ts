import type { X509Certificate } from 'node:crypto';
import { certificateFromDer } from './certificates.js';
import { BundleError, BundleErrorCode } from './errors.js';
import type { JsonObject } from './json.js';
import { isSupportedKty } from './jwk.js';

/** Standard (not URL-safe) padded base64, as RFC 7517 §4.7 requires for `x5c`. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads the CA certificate of one `x509-svid` entry, or `undefined` when X509-SVID §6.2 says to
 * ignore the entry (no `x5c`, or an empty one) or Bundle §4.2.2 does (unknown `kty`). Only the
 * first `x5c` value is used; the others are ignored (X509-SVID §6.2).
 *
 * A first value that is not standard base64 of exactly one DER certificate rejects the whole
 * bundle (BUNDLE-10, our choice): a corrupted authority is a publisher fault to surface, never a
 * silent partial load.
 */
export function readX509Authority(entry: JsonObject, where: string): X509Certificate | undefined {
  if (!isSupportedKty(entry.get('kty'))) return undefined;
  const x5c = entry.get('x5c');
  if (x5c === undefined) return undefined;
  if (!Array.isArray(x5c)) {
    throw new BundleError(BundleErrorCode.InvalidX5c, `${where}.x5c must be an array of strings`);
  }
  const first = x5c[0];
  if (first === undefined) return undefined;
  if (typeof first !== 'string' || first === '' || !STD_BASE64.test(first)) {
    throw new BundleError(
      BundleErrorCode.InvalidX5c,
      `${where}.x5c[0] must be standard base64 of a DER certificate`,
    );
  }
  try {
    return certificateFromDer(Buffer.from(first, 'base64'), `${where}.x5c[0]`);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : `${where}.x5c[0] is not a certificate`;
    throw new BundleError(BundleErrorCode.InvalidX5c, message, { cause });
  }
}
