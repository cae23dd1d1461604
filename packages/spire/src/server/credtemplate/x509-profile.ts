// Building blocks shared by the CA and SVID templates: names, extensions, algorithms, key ids.
import { createHash, randomFillSync } from 'node:crypto';
import type { HashAlgorithm, KeyType } from '../plugin/keymanager/types.js';
import {
  directoryString,
  explicit,
  NULL,
  octetString,
  oid,
  seq,
  set,
  smallInteger,
  TRUE,
  unsignedInteger,
} from './der.js';
import { spkiKeyBits } from './der-reader.js';

/** Object identifiers used by the profiles. */
export const Oid = {
  country: oid('2.5.4.6'),
  organization: oid('2.5.4.10'),
  commonName: oid('2.5.4.3'),
  serialNumber: oid('2.5.4.5'),
  uniqueIdentifier: oid('2.5.4.45'),
  subjectKeyId: oid('2.5.29.14'),
  keyUsage: oid('2.5.29.15'),
  subjectAltName: oid('2.5.29.17'),
  basicConstraints: oid('2.5.29.19'),
  authorityKeyId: oid('2.5.29.35'),
  extKeyUsage: oid('2.5.29.37'),
  serverAuth: oid('1.3.6.1.5.5.7.3.1'),
  clientAuth: oid('1.3.6.1.5.5.7.3.2'),
  extensionRequest: oid('1.2.840.113549.1.9.14'),
} as const;

/** X.509 subject or issuer attributes, in the order Go's pkix.Name writes them. */
export interface X509Subject {
  readonly country?: readonly string[];
  readonly organization?: readonly string[];
  readonly commonName?: string;
  readonly serialNumber?: string;
  /** x500UniqueIdentifier (2.5.4.45), as SPIRE's `uniqueid` credential composer adds it. */
  readonly uniqueId?: string;
}

/** Encodes a Name: one RDN per attribute type, values of one type sharing the RDN. */
export function encodeName(subject: X509Subject): Buffer {
  const rdns: Buffer[] = [];
  const add = (type: Buffer, values: readonly string[] | undefined) => {
    if (values && values.length > 0) {
      // X.690 §11.6: the members of a DER SET OF are in ascending order of their encodings.
      const members = values.map((v) => seq(type, directoryString(v))).sort(Buffer.compare);
      rdns.push(set(...members));
    }
  };
  add(Oid.country, subject.country);
  add(Oid.organization, subject.organization);
  add(Oid.commonName, subject.commonName ? [subject.commonName] : undefined);
  add(Oid.serialNumber, subject.serialNumber ? [subject.serialNumber] : undefined);
  add(Oid.uniqueIdentifier, subject.uniqueId ? [subject.uniqueId] : undefined);
  return seq(...rdns);
}

/** One Extension (RFC 5280 §4.1): `critical` is written only when true, as DER requires. */
export function extension(type: Buffer, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(type, TRUE, octetString(value)) : seq(type, octetString(value));
}

/** The signature algorithm a CA key of `type` signs certificates with, as SPIRE picks it. */
export interface SignatureAlgorithm {
  readonly hash: HashAlgorithm;
  /** DER AlgorithmIdentifier. */
  readonly identifier: Buffer;
}

const ALGORITHMS: Record<KeyType, SignatureAlgorithm> = {
  'ec-p256': { hash: 'sha256', identifier: seq(oid('1.2.840.10045.4.3.2')) },
  'ec-p384': { hash: 'sha384', identifier: seq(oid('1.2.840.10045.4.3.3')) },
  'rsa-2048': { hash: 'sha256', identifier: seq(oid('1.2.840.113549.1.1.11'), NULL) },
  'rsa-4096': { hash: 'sha256', identifier: seq(oid('1.2.840.113549.1.1.11'), NULL) },
};

/** The signature algorithm for certificates signed by a key of `type`. */
export function signatureAlgorithm(type: KeyType): SignatureAlgorithm {
  return ALGORITHMS[type];
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function subjectKeyId(spki: Uint8Array): Buffer {
  return createHash('sha1').update(spkiKeyBits(spki)).digest();
}

/** The version field `[0] INTEGER 2` (v3). */
export const VERSION_3 = explicit(0, smallInteger(2));

const SERIAL_BYTES = 16;
const pool = Buffer.alloc(SERIAL_BYTES * 512);
let poolOffset = pool.length;

/**
 * A random positive serial of up to 128 bits, as SPIRE draws it (CA/B Forum §7.1: at least 64
 * bits from a CSPRNG, non-zero). Returns the DER INTEGER and its magnitude bytes.
 */
export function randomSerial(): { der: Buffer; magnitude: Buffer } {
  for (;;) {
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const magnitude = Buffer.from(pool.subarray(poolOffset, poolOffset + SERIAL_BYTES));
    poolOffset += SERIAL_BYTES;
    if (magnitude.some((b) => b !== 0)) return { der: unsignedInteger(magnitude), magnitude };
  }
}
