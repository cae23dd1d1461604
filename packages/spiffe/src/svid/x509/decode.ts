import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { certificateKeyProblem, EC_POINT_AT_INFINITY } from '../../keys/public-key.js';
import { splitDerSequences } from './der.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';
import { decodePem, looksLikePem } from './pem.js';

/**
 * Certificates as bytes (DER, one or several concatenated, or PEM), or as an array, leaf first,
 * of parsed objects and/or DER byte arrays of one certificate each (such as the `raw` fields of
 * `tlsSocket.getPeerCertificate(true)`).
 */
export type CertificateInput = Uint8Array | string | readonly (X509Certificate | Uint8Array)[];

/** A private key as PEM text or bytes, or DER bytes (PKCS#8, SEC1, PKCS#1), or a KeyObject. */
export type PrivateKeyInput = Uint8Array | string | KeyObject;

/** Upper bound on certificates in one chain: deeper chains are refused before any crypto runs. */
export const MAX_CHAIN_LENGTH = 16;

/**
 * Decodes certificates from PEM (only `CERTIFICATE` blocks) or concatenated DER. Every DER
 * element must span exactly one certificate: trailing bytes are refused (X509-28).
 */
export function decodeCertificates(input: CertificateInput): X509Certificate[] {
  if (Array.isArray(input)) {
    const items: readonly unknown[] = input;
    checkCount(items.length);
    return items.map((item, i) => arrayItem(item, i));
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : toBytes(input);
  const ders = looksLikePem(bytes) ? pemCertificates(bytes) : derCertificates(bytes);
  // Counted on the DER elements, before any of them is handed to the certificate parser.
  checkCount(ders.length);
  return ders.map((der, i) => parseOne(der, i));
}

/**
 * Splits DER certificates (concatenated, or an array of one certificate each, leaf first) with
 * the checks {@link decodeCertificates} makes before parsing any: count, and each element
 * exactly one DER SEQUENCE. PEM is refused: the input is DER only.
 */
export function splitCertificateDer(input: Uint8Array | readonly Uint8Array[]): Uint8Array[] {
  if (Array.isArray(input)) {
    const items: readonly unknown[] = input;
    checkCount(items.length);
    return items.map((item, i) => derItem(item, i));
  }
  const bytes = toBytes(input);
  if (looksLikePem(bytes)) throw malformed('certificates are pem, want der');
  const ders = derCertificates(bytes);
  checkCount(ders.length);
  return ders;
}

function toBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  throw new TypeError(
    'certificates must be a Uint8Array, a string, or an array of X509Certificate or der bytes',
  );
}

function pemCertificates(bytes: Uint8Array): Uint8Array[] {
  const blocks = decodePem(Buffer.from(bytes).toString('utf8'));
  if (typeof blocks === 'string')
    throw malformed(`certificates are not well-formed pem: ${blocks}`);
  return blocks.map((block, i) => {
    if (block.label !== 'CERTIFICATE') {
      throw malformed(`pem block ${i + 1} is "${block.label}", want "CERTIFICATE"`);
    }
    const parts = splitDerSequences(block.bytes);
    // RFC 7468 §5.1: one certificate per CERTIFICATE block.
    if (parts?.length !== 1)
      throw malformed(`pem block ${i + 1} is not exactly one der certificate`);
    return block.bytes;
  });
}

function derCertificates(bytes: Uint8Array): Uint8Array[] {
  const parts = splitDerSequences(bytes);
  if (!parts) throw malformed('certificates are not concatenated der: malformed or trailing bytes');
  return parts;
}

function parseOne(der: Uint8Array, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw malformed(`${certLabel(index)} is not a valid der certificate`, cause);
  }
}

function checkCount(count: number): void {
  if (count === 0) {
    throw new X509SvidError(
      X509SvidErrorCode.EmptyChain,
      'certificates: none given, want the leaf first',
    );
  }
  if (count > MAX_CHAIN_LENGTH) {
    throw new X509SvidError(
      X509SvidErrorCode.ChainTooLong,
      `certificates: ${count} given, at most ${MAX_CHAIN_LENGTH} allowed`,
    );
  }
}

/** One element of an array input: a parsed certificate, or the DER of exactly one certificate. */
function arrayItem(item: unknown, index: number): X509Certificate {
  if (item instanceof X509Certificate) return item;
  if (!(item instanceof Uint8Array)) {
    throw new TypeError(
      `certificates[${index}] must be a node:crypto X509Certificate or the der bytes of one`,
    );
  }
  return parseOne(derItem(item, index), index);
}

function derItem(item: unknown, index: number): Uint8Array {
  if (!(item instanceof Uint8Array)) {
    throw new TypeError(`certificates[${index}] must be the der bytes of one certificate`);
  }
  if (splitDerSequences(item)?.length !== 1) {
    throw malformed(
      `${certLabel(index)} (certificates[${index}]) is not exactly one der certificate`,
    );
  }
  return item;
}

/** Names the certificate at `index` of a leaf-first chain: `leaf`, `intermediate 1`, ... */
export function certLabel(index: number): string {
  return index === 0 ? 'leaf' : `intermediate ${index}`;
}

/**
 * The certificate's subject public key. OpenSSL decodes it lazily, so a certificate can parse
 * and still carry a key it cannot read: that is a malformed certificate, not a crash.
 */
export function publicKeyOf(cert: X509Certificate, label: string): KeyObject {
  let key: KeyObject;
  try {
    key = cert.publicKey;
  } catch (cause) {
    throw malformed(`${label} subjectPublicKeyInfo is not a key this runtime can read`, cause);
  }
  // An EC point at infinity aborts Node when its details are read or it is exported as a JWK.
  // Only that one is refused here: other odd encodings (a compressed point) keep the verdicts
  // they had, such as a key mismatch, which checkX509SvidDer gives for them too.
  if (certificateKeyProblem(cert) === EC_POINT_AT_INFINITY) {
    throw malformed(`${label} public key ${EC_POINT_AT_INFINITY}`);
  }
  return key;
}

/** An X509SvidError for a malformed certificate. */
export function malformed(message: string, cause?: unknown): X509SvidError {
  return new X509SvidError(X509SvidErrorCode.MalformedCertificate, message, { cause });
}

const DER_KEY_TYPES = ['pkcs8', 'sec1', 'pkcs1'] as const;
const PEM_KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

/** Decodes a private key: PEM (PKCS#8, SEC1, PKCS#1) or DER of the same three forms. */
export function decodePrivateKey(input: PrivateKeyInput): KeyObject {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) {
    if (input.type !== 'private')
      throw badKey('private key: a KeyObject of type "private" is required');
    return input;
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : toKeyBytes(input);
  return looksLikePem(bytes) ? pemKey(bytes) : derKey(bytes);
}

function toKeyBytes(input: unknown): Buffer {
  if (input instanceof Uint8Array) return Buffer.from(input);
  throw new TypeError('private key must be a Uint8Array, a string or a KeyObject');
}

function pemKey(bytes: Buffer): KeyObject {
  const blocks = decodePem(bytes.toString('utf8'));
  if (typeof blocks === 'string') throw badKey(`private key: not well-formed pem: ${blocks}`);
  if (blocks.length !== 1) throw badKey('private key: want exactly one pem block');
  const [block] = blocks as [{ label: string; bytes: Buffer }];
  if (!PEM_KEY_LABELS.has(block.label)) {
    throw badKey(
      `private key: pem block is "${block.label}", want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY`,
    );
  }
  return derKey(block.bytes);
}

function derKey(der: Buffer): KeyObject {
  if (splitDerSequences(der)?.length !== 1)
    throw badKey('private key: not exactly one der element');
  for (const type of DER_KEY_TYPES) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // Try the next encoding; the error below names all three.
    }
  }
  throw badKey('private key: der is neither pkcs#8, sec1 nor pkcs#1');
}

function badKey(message: string): X509SvidError {
  return new X509SvidError(X509SvidErrorCode.MalformedKey, message);
}
