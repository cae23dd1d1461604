/**
 * A minimal PKCS #10 reader for the signing hot path: finds the public key, the requested URI and
 * DNS SANs, and checks the request's self-signature. Node's crypto cannot parse CSRs, and a full
 * ASN.1 decode costs more than the signature the server makes afterwards.
 */
import { createPublicKey, KeyObject, verify, webcrypto } from 'node:crypto';
import { SpiffeError } from '@spire-ts/spiffe';
import { oid } from '../../credtemplate/der.js';
import { bytesOf, children, readTlv, type Tlv } from '../../credtemplate/der-reader.js';

/** Errors of CSR parsing; codes `ERR_CSR_*`. */
export class CsrError extends SpiffeError {}

/** What the server reads from a certificate signing request. */
export interface ParsedCsr {
  /** The requested key as a DER SubjectPublicKeyInfo. */
  readonly publicKeyDer: Buffer;
  /** URI SANs of the extensionRequest attribute, in order. */
  readonly uris: readonly string[];
  /** DNS SANs of the extensionRequest attribute, in order. */
  readonly dnsNames: readonly string[];
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BIT_STRING = 0x03;
const ATTRIBUTES = 0xa0;
const SAN_DNS = 0x82;
const SAN_URI = 0x86;

const hex = (dotted: string) => oid(dotted).toString('hex');
const EXTENSION_REQUEST = hex('1.2.840.113549.1.9.14');
const SUBJECT_ALT_NAME = hex('2.5.29.17');

/** Signature algorithms a CSR may use, by the hex of their DER OID, with the hash they name. */
const SIGNATURE_HASHES = new Map<string, string | null>([
  [hex('1.2.840.10045.4.3.2'), 'sha256'],
  [hex('1.2.840.10045.4.3.3'), 'sha384'],
  [hex('1.2.840.10045.4.3.4'), 'sha512'],
  [hex('1.2.840.113549.1.1.11'), 'sha256'],
  [hex('1.2.840.113549.1.1.12'), 'sha384'],
  [hex('1.2.840.113549.1.1.13'), 'sha512'],
  [hex('1.3.101.112'), null],
]);

/**
 * Parses a DER PKCS #10 request and verifies that it is signed by the key it carries (RFC 2986
 * §3: the signature proves possession of the private key). Throws {@link CsrError}
 * `ERR_CSR_MALFORMED`, `ERR_CSR_UNSUPPORTED_ALGORITHM` or `ERR_CSR_BAD_SIGNATURE`.
 */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const parts = structure(der);
  return finish(der, parts, publicKey(der, parts.spki));
}

/**
 * {@link parseCsr} for the signing hot path: the same checks and errors, but a P-256 or P-384
 * key in its one canonical SPKI form (uncompressed point) is imported from the raw point, which
 * costs OpenSSL about half of decoding the SPKI. Any other key takes the {@link parseCsr} route.
 */
export async function readCsr(der: Uint8Array): Promise<ParsedCsr> {
  const parts = structure(der);
  const key = (await rawEcKey(der, parts.spki)) ?? publicKey(der, parts.spki);
  return finish(der, parts, key);
}

/**
 * The requested key (DER SubjectPublicKeyInfo) of a request whose signature verifies, for callers
 * that take nothing else from it (BatchNewX509SVID takes the names from the entry). It refuses
 * exactly what {@link readCsr} refuses, a malformed extension request included, with the same
 * errors; it only does not collect the requested names.
 */
export async function readCsrPublicKey(der: Uint8Array): Promise<Buffer> {
  const parts = structure(der);
  const key = (await rawEcKey(der, parts.spki)) ?? publicKey(der, parts.spki);
  checkSignature(der, parts, key);
  if (parts.attributes) requestedSans(der, parts.attributes);
  return bytesOf(der, parts.spki);
}

function finish(der: Uint8Array, parts: CsrParts, key: KeyObject): ParsedCsr {
  checkSignature(der, parts, key);
  const sans = parts.attributes ? requestedSans(der, parts.attributes) : { uris: [], dnsNames: [] };
  return { publicKeyDer: bytesOf(der, parts.spki), ...sans };
}

interface CsrParts {
  readonly info: Tlv;
  readonly spki: Tlv;
  readonly attributes: Tlv | undefined;
  readonly algorithm: Tlv;
  readonly signature: Tlv;
}

function structure(der: Uint8Array): CsrParts {
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== SEQUENCE || outer.end !== der.length) throw malformed('not one sequence');
    const [info, algorithm, signature, extra] = children(der, outer);
    if (!info || !algorithm || !signature || extra) throw malformed('wrong number of parts');
    if (info.tag !== SEQUENCE || algorithm.tag !== SEQUENCE || signature.tag !== BIT_STRING) {
      throw malformed('wrong part types');
    }
    const [, , spki, attributes] = children(der, info);
    if (spki?.tag !== SEQUENCE) throw malformed('no subject public key info');
    if (attributes && attributes.tag !== ATTRIBUTES) throw malformed('bad attributes');
    return { info, spki, attributes, algorithm, signature };
  } catch (err) {
    if (err instanceof CsrError) throw err;
    throw malformed('bad der encoding', err);
  }
}

function publicKey(der: Uint8Array, spki: Tlv): KeyObject {
  try {
    return createPublicKey({ key: bytesOf(der, spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw malformed('unsupported or invalid public key', cause);
  }
}

/**
 * The DER SPKI prefix of each curve's uncompressed point (RFC 5480 §2: id-ecPublicKey with the
 * named curve, then the BIT STRING with no unused bits and the 0x04 point tag), and point size.
 */
const EC_SPKI_PREFIXES = [
  {
    namedCurve: 'P-256',
    algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    prefix: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex'),
    pointBytes: 64,
  },
  {
    namedCurve: 'P-384',
    algorithm: { name: 'ECDSA', namedCurve: 'P-384' },
    prefix: Buffer.from('3076301006072a8648ce3d020106052b81040022036200' + '04', 'hex'),
    pointBytes: 96,
  },
] as const;

/**
 * The key of an SPKI that is byte for byte the canonical form of a P-256 or P-384 key, or
 * undefined for any other SPKI. The import checks that the point lies on the curve; a point
 * that does not is a malformed request, as with {@link publicKey}.
 */
async function rawEcKey(der: Uint8Array, spki: Tlv): Promise<KeyObject | undefined> {
  const bytes = bytesOf(der, spki);
  const curve = EC_SPKI_PREFIXES.find(
    (c) =>
      bytes.length === c.prefix.length + c.pointBytes &&
      c.prefix.equals(bytes.subarray(0, c.prefix.length)),
  );
  if (!curve) return undefined;
  try {
    const point = bytes.subarray(curve.prefix.length - 1);
    const key = await webcrypto.subtle.importKey('raw', point, curve.algorithm, false, ['verify']);
    return KeyObject.from(key);
  } catch (cause) {
    throw malformed('unsupported or invalid public key', cause);
  }
}

function checkSignature(der: Uint8Array, parts: CsrParts, key: KeyObject): void {
  const algOid = readTlv(der, parts.algorithm.bodyStart, parts.algorithm.end);
  if (algOid.tag !== OID) throw malformed('bad signature algorithm');
  const hash = SIGNATURE_HASHES.get(bytesOf(der, algOid).toString('hex'));
  if (hash === undefined) {
    throw new CsrError(
      'ERR_CSR_UNSUPPORTED_ALGORITHM',
      'csr signature algorithm must be ecdsa or rsa pkcs#1 v1.5 with sha-2, or ed25519',
    );
  }
  const { bodyStart, end } = parts.signature;
  if (der[bodyStart] !== 0) throw malformed('signature bit string has unused bits');
  const sig = Buffer.from(der.buffer, der.byteOffset + bodyStart + 1, end - bodyStart - 1);
  let ok = false;
  try {
    ok = verify(hash, bytesOf(der, parts.info), key, sig);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new CsrError(
      'ERR_CSR_BAD_SIGNATURE',
      'csr signature does not verify with the public key it carries',
    );
  }
}

function requestedSans(der: Uint8Array, attributes: Tlv): { uris: string[]; dnsNames: string[] } {
  const uris: string[] = [];
  const dnsNames: string[] = [];
  try {
    for (const attr of children(der, attributes)) {
      const [type, values] = children(der, attr);
      if (!type || !values || bytesOf(der, type).toString('hex') !== EXTENSION_REQUEST) continue;
      for (const extensions of children(der, values)) {
        for (const ext of children(der, extensions)) collectSans(der, ext, uris, dnsNames);
      }
    }
  } catch (err) {
    if (err instanceof CsrError) throw err;
    throw malformed('bad extension request', err);
  }
  return { uris, dnsNames };
}

function collectSans(der: Uint8Array, ext: Tlv, uris: string[], dnsNames: string[]): void {
  const fields = children(der, ext);
  const id = fields[0];
  const value = fields[fields.length - 1];
  if (!id || !value || bytesOf(der, id).toString('hex') !== SUBJECT_ALT_NAME) return;
  const names = readTlv(der, value.bodyStart, value.end);
  for (const name of children(der, names)) {
    const text = Buffer.from(der.subarray(name.bodyStart, name.end)).toString('latin1');
    if (name.tag === SAN_URI) uris.push(text);
    else if (name.tag === SAN_DNS) dnsNames.push(text);
  }
}

function malformed(what: string, cause?: unknown): CsrError {
  return new CsrError('ERR_CSR_MALFORMED', `csr is not a der pkcs#10 request: ${what}`, { cause });
}
