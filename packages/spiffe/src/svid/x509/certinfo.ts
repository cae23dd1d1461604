import type { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  type Extension,
  Extensions,
  type GeneralName,
  KeyUsage,
  NameConstraints,
  SubjectAlternativeName,
  Validity,
} from '@peculiar/asn1-x509';
import { derChildren, isSingleDerElement } from './der.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';

/** RFC 5280 §4.2.1 extension identifiers this validator reads. */
export const Oid = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/**
 * RFC 5280 §6.1.4 (o) / §6.1.5 (e): a critical extension the validator does not process fails
 * the path. These are the ones processed here; SKI/AKI are informational (never critical).
 */
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(Oid));

/** RFC 5280 §4.2.1.3 bit values of keyUsage, as @peculiar/asn1-x509 numbers them. */
export const KeyUsageBit = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

/** What the SVID rules need from one certificate, read from its DER alone. */
export interface CertFields {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER of the outer signatureAlgorithm (an AlgorithmIdentifier, RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: Uint8Array;
  /** DER of the subjectPublicKeyInfo, as the certificate holds it (RFC 5280 §4.1.2.7). */
  readonly publicKeyInfo: Uint8Array;
  readonly subjectEmpty: boolean;
  readonly basicConstraints?: { cA: boolean; pathLen?: number };
  readonly keyUsage?: { bits: number; critical: boolean };
  readonly extKeyUsage?: readonly string[];
  readonly sanCritical: boolean;
  readonly sans: readonly GeneralName[];
  readonly nameConstraints?: NameConstraints;
  readonly unknownCritical: readonly string[];
}

/** {@link CertFields} with the parsed certificate they were read from, decoded once per object. */
export interface CertInfo extends CertFields {
  readonly cert: X509Certificate;
}

const cache = new WeakMap<X509Certificate, CertInfo>();

/** Decodes `cert` (cached); `label` names it in errors, such as `leaf` or `intermediate 1`. */
export function certInfo(cert: X509Certificate, label: string): CertInfo {
  const cached = cache.get(cert);
  if (cached) return cached;

  const info = { cert, ...certFields(cert.raw, label) };
  cache.set(cert, info);
  return info;
}

/** Decodes the fields the rules read from a certificate's DER; `label` names it in errors. */
export function certFields(raw: Uint8Array, label: string): CertFields {
  const tbs = splitCertificate(raw, label);
  const extensions = indexExtensions(tbs.extensions, label);
  const san = extensions.get(Oid.subjectAltName);
  const validity = parseAsn(tbs.validity, Validity, label, 'validity');
  return {
    notBefore: validity.notBefore.getTime(),
    notAfter: validity.notAfter.getTime(),
    signatureAlgorithm: tbs.signatureAlgorithm,
    publicKeyInfo: tbs.publicKeyInfo,
    // An empty Name is the two bytes of an empty SEQUENCE.
    subjectEmpty: tbs.subject.length === 2,
    basicConstraints: decodeBasicConstraints(extensions, label),
    keyUsage: decodeKeyUsage(extensions, label),
    extKeyUsage: decodeOptional(extensions, Oid.extKeyUsage, ExtendedKeyUsage, label)?.map(String),
    sanCritical: san?.critical ?? false,
    sans: decodeOptional(extensions, Oid.subjectAltName, SubjectAlternativeName, label) ?? [],
    nameConstraints: decodeOptional(extensions, Oid.nameConstraints, NameConstraints, label),
    unknownCritical: [...extensions.values()]
      .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.extnID))
      .map((e) => e.extnID),
  };
}

/** The tbsCertificate fields the rules read, cut out of the DER without decoding the rest. */
interface TbsParts {
  signatureAlgorithm: Uint8Array;
  publicKeyInfo: Uint8Array;
  validity: Uint8Array;
  subject: Uint8Array;
  extensions: Extension[];
}

/** DER of `[0] EXPLICIT INTEGER 2`. */
const V3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);

/**
 * RFC 5280 §4.1: Certificate = SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue },
 * tbsCertificate = SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo, [1] [2] unique IDs, [3] extensions }. Walked by hand: decoding the
 * whole certificate with the ASN.1 library costs more than verifying its signature.
 */
function splitCertificate(raw: Uint8Array, label: string): TbsParts {
  const malformed = () =>
    new X509SvidError(X509SvidErrorCode.MalformedCertificate, `${label} is not a der certificate`);
  const outer = derChildren(raw);
  const tbs = outer?.[0] && derChildren(outer[0]);
  if (outer?.length !== 3 || !tbs) throw malformed();

  // RFC 5280 §4.1.2.1: v3 is INTEGER 2 in an explicit [0]; SVIDs need v3 for their extensions.
  const [version] = tbs;
  if (!version || !Buffer.from(version).equals(V3)) {
    throw new X509SvidError(
      X509SvidErrorCode.NotVersion3,
      `${label} is not an x.509 v3 certificate`,
    );
  }
  const [, , signature, , validity, subject, spki, ...optional] = tbs;
  if (!signature || !validity || !subject || !spki) throw malformed();
  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal the signature field inside tbsCertificate.
  if (!Buffer.from(signature).equals(outer[1] as Uint8Array)) {
    throw new X509SvidError(
      X509SvidErrorCode.SignatureAlgorithmMismatch,
      `${label} signatureAlgorithm differs from its tbsCertificate signature field`,
    );
  }

  const extensionsTag = optional.find((e) => e[0] === 0xa3);
  const extensionsDer = extensionsTag && derChildren(extensionsTag)?.[0];
  if (extensionsTag && !extensionsDer) throw malformed();
  const extensions = extensionsDer
    ? [...parseAsn(extensionsDer, Extensions, label, 'extensions')]
    : [];
  return { signatureAlgorithm: signature, publicKeyInfo: spki, validity, subject, extensions };
}

function indexExtensions(list: Iterable<Extension>, label: string): Map<string, Extension> {
  const byOid = new Map<string, Extension>();
  for (const ext of list) {
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
    if (byOid.has(ext.extnID)) {
      throw new X509SvidError(
        X509SvidErrorCode.DuplicateExtension,
        `${label} has extension ${ext.extnID} more than once`,
      );
    }
    byOid.set(ext.extnID, ext);
  }
  return byOid;
}

function decodeBasicConstraints(extensions: Map<string, Extension>, label: string) {
  const ext = extensions.get(Oid.basicConstraints);
  if (ext && !isBasicConstraintsDer(new Uint8Array(ext.extnValue.buffer))) {
    throw new X509SvidError(
      X509SvidErrorCode.MalformedCertificate,
      `${label} extension ${Oid.basicConstraints} is not valid der`,
    );
  }
  const bc = decodeOptional(extensions, Oid.basicConstraints, BasicConstraints, label);
  if (!bc) return undefined;
  return bc.pathLenConstraint === undefined
    ? { cA: bc.cA }
    : { cA: bc.cA, pathLen: bc.pathLenConstraint };
}

/**
 * RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
 * pathLenConstraint INTEGER (0..MAX) OPTIONAL }, in that order and nothing else, checked before
 * the ASN.1 library reads it: the library takes a BOOLEAN of any length (none as false, two bytes
 * as true), an empty, padded or negative INTEGER, fields out of order and fields after them, all
 * of which OpenSSL and Go refuse, so a malformed extension passed as a CA or a path length. As
 * OpenSSL, a one-byte BOOLEAN is true when non-zero and an explicit FALSE is read.
 */
function isBasicConstraintsDer(value: Uint8Array): boolean {
  const fields = value[0] === 0x30 ? derChildren(value) : undefined;
  if (!fields) return false;
  let i = 0;
  if (fields[i]?.[0] === 0x01) {
    if (fields[i]?.length !== 3) return false;
    i++;
  }
  const pathLen = fields[i];
  if (pathLen) {
    if (!isNonNegativeInteger(pathLen)) return false;
    i++;
  }
  return i === fields.length;
}

/** A DER INTEGER (short form) of at least one byte, not padded, not negative (X.690 §8.3). */
function isNonNegativeInteger(element: Uint8Array): boolean {
  const length = element.length - 2;
  if (element[0] !== 0x02 || element[1] !== length || length < 1) return false;
  const first = element[2] as number;
  if (first & 0x80) return false;
  return length === 1 || first !== 0 || ((element[3] as number) & 0x80) !== 0;
}

function decodeKeyUsage(extensions: Map<string, Extension>, label: string) {
  const ku = decodeOptional(extensions, Oid.keyUsage, KeyUsage, label);
  if (!ku) return undefined;
  return { bits: ku.toNumber(), critical: extensions.get(Oid.keyUsage)?.critical === true };
}

function decodeOptional<T>(
  extensions: Map<string, Extension>,
  oid: string,
  type: new () => T,
  label: string,
): T | undefined {
  const ext = extensions.get(oid);
  if (!ext) return undefined;
  return parseAsn(new Uint8Array(ext.extnValue.buffer), type, label, `extension ${oid}`);
}

function parseAsn<T>(bytes: Uint8Array, type: new () => T, label: string, what: string): T {
  // The ASN.1 library ignores bytes after the first element; DER does not allow them.
  if (!isSingleDerElement(bytes)) {
    throw new X509SvidError(
      X509SvidErrorCode.MalformedCertificate,
      `${label} ${what} is not a single der element`,
    );
  }
  try {
    return AsnConvert.parse(bytes, type);
  } catch (cause) {
    throw new X509SvidError(
      X509SvidErrorCode.MalformedCertificate,
      `${label} ${what} is not valid der`,
      { cause },
    );
  }
}
