import { derElementLength } from './der.js';

/** The issuer and subject Name fields of a certificate, as their exact DER bytes. */
export interface RawNames {
  issuer: Buffer;
  subject: Buffer;
}

const cache = new WeakMap<Buffer, RawNames>();

/**
 * Cuts issuer and subject out of a certificate's DER (RFC 5280 §4.1: Certificate = SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject, ...
 * } ...}). Names chain by exact byte equality of these fields, as Go's crypto/x509 does.
 * Returns undefined when the DER does not have that shape.
 */
export function rawNames(raw: Buffer): RawNames | undefined {
  const cached = cache.get(raw);
  if (cached) return cached;

  const fields = tbsFields(raw);
  if (!fields) return undefined;
  // With the explicit [0] version tag present, issuer is the 4th field and subject the 6th.
  const base = raw[fields[0] ?? 0] === 0xa0 ? 0 : -1;
  const issuer = fields[base + 3];
  const subject = fields[base + 5];
  const after = (i: number) => fields[i + 1];
  if (issuer === undefined || subject === undefined) return undefined;

  const names = {
    issuer: raw.subarray(issuer, after(base + 3)),
    subject: raw.subarray(subject, after(base + 5)),
  };
  cache.set(raw, names);
  return names;
}

/** Offsets of the first seven elements inside tbsCertificate (plus the offset after the last). */
function tbsFields(raw: Buffer): number[] | undefined {
  const outerHeader = headerLength(raw, 0);
  if (outerHeader === undefined) return undefined;
  const tbsHeader = headerLength(raw, outerHeader);
  if (tbsHeader === undefined) return undefined;

  const offsets: number[] = [];
  let offset = outerHeader + tbsHeader;
  for (let i = 0; i < 7; i++) {
    offsets.push(offset);
    const length = derElementLength(raw, offset);
    if (length === undefined) return undefined;
    offset += length;
  }
  offsets.push(offset);
  return offsets;
}

function headerLength(bytes: Buffer, offset: number): number | undefined {
  if (derElementLength(bytes, offset) === undefined) return undefined;
  const first = bytes[offset + 1] as number;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

/** True when both certificates name the same entity: `child`'s issuer is `parent`'s subject. */
export function namesChain(child: Buffer, parent: Buffer): boolean {
  const c = rawNames(child);
  const p = rawNames(parent);
  return c !== undefined && p !== undefined && c.issuer.equals(p.subject);
}

/** RFC 5280 §6.1: a certificate is self-issued when its issuer and subject names are equal. */
export function isSelfIssued(raw: Buffer): boolean {
  const names = rawNames(raw);
  return names?.issuer.equals(names.subject) === true;
}
