import { X509Certificate } from 'node:crypto';
import { certificateKeyProblem } from '../keys/public-key.js';
import { BundleError, BundleErrorCode } from './errors.js';

const BEGIN = /^-----BEGIN ([^-]*)-----$/;
const END = /^-----END ([^-]*)-----$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads every certificate of a PEM document, in order. Text outside blocks is ignored (RFC 7468
 * §5 allows explanatory text), but every block must be a `CERTIFICATE`; an input that has text
 * and no block at all is an error. Empty or blank input yields no certificates.
 */
export function parsePemCertificates(pem: string | Uint8Array): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  const lines = text.split(/\r?\n/);
  const certs: X509Certificate[] = [];
  let index = 0;
  while (index < lines.length) {
    const begin = BEGIN.exec((lines[index] ?? '').trim());
    index += 1;
    if (begin === null) continue;
    const label = begin[1] ?? '';
    const body: string[] = [];
    index = readPemBody(lines, index, label, body);
    certs.push(
      certificateFromDer(decodePemBody(label, body.join('')), `PEM block ${certs.length}`),
    );
  }
  if (certs.length === 0 && text.trim() !== '') {
    throw new BundleError(BundleErrorCode.InvalidPem, 'pem input holds no CERTIFICATE block');
  }
  return certs;
}

/** Collects the base64 lines of one block into `body`; returns the index after its END line. */
function readPemBody(lines: string[], start: number, label: string, body: string[]): number {
  if (label !== 'CERTIFICATE') {
    throw new BundleError(
      BundleErrorCode.InvalidPem,
      `pem block "${label.slice(0, 40)}" is not a CERTIFICATE: a bundle holds certificates only`,
    );
  }
  for (let index = start; index < lines.length; index += 1) {
    const line = (lines[index] ?? '').trim();
    const end = END.exec(line);
    if (end !== null) {
      if (end[1] !== label) {
        throw new BundleError(BundleErrorCode.InvalidPem, 'pem END label does not match BEGIN');
      }
      return index + 1;
    }
    body.push(line);
  }
  throw new BundleError(BundleErrorCode.InvalidPem, 'pem CERTIFICATE block has no END line');
}

function decodePemBody(label: string, body: string): Uint8Array {
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
    throw new BundleError(BundleErrorCode.InvalidPem, `pem ${label} block body is not base64`);
  }
  return Buffer.from(body, 'base64');
}

/**
 * Splits concatenated DER certificates (each an ASN.1 SEQUENCE) and parses each one. Empty input
 * yields no certificates.
 */
export function parseDerCertificates(der: Uint8Array): X509Certificate[] {
  const certs: X509Certificate[] = [];
  let offset = 0;
  while (offset < der.length) {
    const length = derElementLength(der, offset);
    certs.push(
      certificateFromDer(der.subarray(offset, offset + length), `DER certificate ${certs.length}`),
    );
    offset += length;
  }
  return certs;
}

/** Total length (header and content) of the DER SEQUENCE starting at `offset`. */
function derElementLength(der: Uint8Array, offset: number): number {
  const fail = (rule: string): never => {
    throw new BundleError(
      BundleErrorCode.InvalidCertificate,
      `der input at byte ${offset} is not a certificate: ${rule}`,
    );
  };
  if (der[offset] !== 0x30) fail('expected an ASN.1 SEQUENCE');
  const first = der[offset + 1];
  if (first === undefined) return fail('truncated length');
  if (first < 0x80) return checkFits(der, offset, 2, first, fail);
  const count = first & 0x7f;
  if (count === 0 || count > 4) return fail('unsupported length form');
  let length = 0;
  for (let i = 0; i < count; i += 1) {
    const byte = der[offset + 2 + i];
    if (byte === undefined) return fail('truncated length');
    length = length * 256 + byte;
  }
  return checkFits(der, offset, 2 + count, length, fail);
}

function checkFits(
  der: Uint8Array,
  offset: number,
  header: number,
  length: number,
  fail: (rule: string) => never,
): number {
  if (offset + header + length > der.length) fail('length runs past the end of the input');
  return header + length;
}

/**
 * Parses exactly one DER certificate. Node's parser also accepts PEM text and ignores trailing
 * bytes, so the result's own encoding must equal the input byte for byte.
 */
export function certificateFromDer(der: Uint8Array, what: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.InvalidCertificate,
      `${what} is not a DER X.509 certificate`,
      { cause },
    );
  }
  if (!Buffer.from(der).equals(cert.raw)) {
    throw new BundleError(
      BundleErrorCode.InvalidCertificate,
      `${what} is not exactly one DER X.509 certificate`,
    );
  }
  assertUsableCertificateKey(cert, what);
  return cert;
}

/**
 * Refuses a certificate whose EC public key must not be used (the point at infinity, a
 * compressed or wrongly sized point): Node aborts the process when such a key's details are read
 * or it is exported as a JWK, so it is stopped where it enters a bundle. A key Node cannot load
 * at all is left to the code that uses it, which gets a clean exception.
 */
export function assertUsableCertificateKey(cert: X509Certificate, what: string): void {
  let problem: string | undefined;
  try {
    problem = certificateKeyProblem(cert);
  } catch {
    return;
  }
  if (problem !== undefined) {
    throw new BundleError(BundleErrorCode.InvalidCertificate, `${what} public key ${problem}`);
  }
}

/** PEM text of one certificate, 64-column base64 lines, ending in a newline. */
export function certificateToPem(cert: X509Certificate): string {
  const body = cert.raw.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
