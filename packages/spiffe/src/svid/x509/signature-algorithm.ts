import type { CertInfo } from './certinfo.js';
import { derChildren, derHeaderLength } from './der.js';
import { X509SvidErrorCode as Code, X509SvidError } from './errors.js';

/**
 * Signature algorithms built on a hash with practical collisions, as [name, hash]. A collision
 * lets whoever obtains one signature reuse it on a certificate the CA never issued, so Go's
 * crypto/x509 (and so go-spiffe) refuses them in a verified path, and so do we.
 */
const INSECURE_ALGORITHMS: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['1.2.840.113549.1.1.2', ['md2WithRSAEncryption', 'MD2']],
  ['1.2.840.113549.1.1.4', ['md5WithRSAEncryption', 'MD5']],
  ['1.2.840.113549.1.1.5', ['sha1WithRSAEncryption', 'SHA-1']],
  ['1.3.14.3.2.29', ['sha1WithRSASignature', 'SHA-1']],
  ['1.2.840.10045.4.1', ['ecdsa-with-SHA1', 'SHA-1']],
  ['1.2.840.10040.4.3', ['dsa-with-sha1', 'SHA-1']],
]);

/** Hash algorithm identifiers that may appear inside RSASSA-PSS parameters (RFC 4055 §2.1). */
const HASHES: ReadonlyMap<string, { name: string; insecure: boolean }> = new Map([
  ['1.2.840.113549.2.2', { name: 'MD2', insecure: true }],
  ['1.2.840.113549.2.5', { name: 'MD5', insecure: true }],
  ['1.3.14.3.2.26', { name: 'SHA-1', insecure: true }],
  ['2.16.840.1.101.3.4.2.4', { name: 'SHA-224', insecure: false }],
  ['2.16.840.1.101.3.4.2.1', { name: 'SHA-256', insecure: false }],
  ['2.16.840.1.101.3.4.2.2', { name: 'SHA-384', insecure: false }],
  ['2.16.840.1.101.3.4.2.3', { name: 'SHA-512', insecure: false }],
]);

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
/** RFC 4055 §3.1: hashAlgorithm and the MGF1 hash both default to SHA-1 when left out. */
const SHA1 = '1.3.14.3.2.26';

/** Decoded certificates (cached per certificate) whose algorithm was already found sound. */
const passed = new WeakSet<CertInfo>();

/**
 * Refuses a certificate whose signature is about to be checked when that signature rests on
 * MD2, MD5 or SHA-1: the PKCS#1 v1.5, ECDSA and DSA variants, and RSASSA-PSS whose hash or
 * mask-generation hash is one of them (including the SHA-1 defaults of RFC 4055 §3.1).
 *
 * @throws X509SvidError `ERR_X509SVID_INSECURE_SIGNATURE_ALGORITHM` naming the certificate and
 *   the algorithm, or `ERR_X509SVID_MALFORMED_CERTIFICATE` when the identifier cannot be read
 */
export function checkSignatureAlgorithm(info: CertInfo, label: string): void {
  if (passed.has(info)) return;
  const [oid, params] = algorithmIdentifier(info.signatureAlgorithm, label, 'signatureAlgorithm');
  const weak = oid === RSASSA_PSS ? weakPss(params, label) : INSECURE_ALGORITHMS.get(oid);
  if (!weak) {
    passed.add(info);
    return;
  }

  const [name, hash] = weak;
  throw new X509SvidError(
    Code.InsecureSignatureAlgorithm,
    `${label} is signed with ${name}, which relies on the broken hash ${hash}; ` +
      'it must be re-issued with sha-256 or stronger',
  );
}

/** RFC 4055 §3.1 RSASSA-PSS-params: [0] hashAlgorithm, [1] maskGenAlgorithm (MGF1 + hash). */
function weakPss(params: Uint8Array | undefined, label: string): [string, string] | undefined {
  const fields = params && params[0] !== 0x05 ? readChildren(params, label) : [];
  let hash = SHA1;
  let mgfHash = SHA1;
  for (const field of fields) {
    // [2] saltLength and [3] trailerField do not change the hash.
    if (field[0] !== 0xa0 && field[0] !== 0xa1) continue;
    const [inner] = readChildren(field, label);
    if (!inner) throw malformed(label);
    const [fieldOid, fieldParams] = algorithmIdentifier(inner, label, 'rsassa-pss parameters');
    if (field[0] === 0xa0) hash = fieldOid;
    if (field[0] === 0xa1 && fieldOid === MGF1 && fieldParams) {
      mgfHash = algorithmIdentifier(fieldParams, label, 'rsassa-pss mgf1 hash')[0];
    }
  }

  const broken = [hash, mgfHash].map((h) => HASHES.get(h)).find((h) => h?.insecure);
  if (!broken) return undefined;
  const named = (h: string) => HASHES.get(h)?.name ?? h;
  return [`RSASSA-PSS (hash ${named(hash)}, mgf1 hash ${named(mgfHash)})`, broken.name];
}

/** RFC 5280 §4.1.1.2 AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
function algorithmIdentifier(
  der: Uint8Array,
  label: string,
  what: string,
): [string, Uint8Array | undefined] {
  const [oid, params] = readChildren(der, label);
  const dotted = oid && oid[0] === 0x06 ? decodeOid(oid) : undefined;
  if (dotted === undefined) throw malformed(label, what);
  return [dotted, params];
}

function readChildren(der: Uint8Array, label: string): Uint8Array[] {
  const children = derChildren(der);
  if (!children) throw malformed(label);
  return children;
}

/** X.690 §8.19: an OBJECT IDENTIFIER as dotted decimal; undefined when malformed. */
function decodeOid(element: Uint8Array): string | undefined {
  const header = derHeaderLength(element, 0);
  if (header === undefined || header === element.length) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (const byte of element.subarray(header)) {
    // X.690 §8.19.2: a subidentifier never starts with 0x80 (no leading zero groups).
    if (!started && byte === 0x80) return undefined;
    value = value * 128n + BigInt(byte & 0x7f);
    started = (byte & 0x80) !== 0;
    if (started) continue;
    arcs.push(value);
    value = 0n;
  }
  if (started) return undefined;

  // X.690 §8.19.4: the first subidentifier packs the first two arcs as 40 * X + Y.
  const [first, ...rest] = arcs as [bigint, ...bigint[]];
  const top = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [top, first - 40n * top, ...rest].join('.');
}

function malformed(label: string, what = 'signatureAlgorithm'): X509SvidError {
  return new X509SvidError(
    Code.MalformedCertificate,
    `${label} ${what} is not a valid der algorithm identifier`,
  );
}
