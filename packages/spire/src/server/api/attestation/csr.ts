/**
 * A minimal PKCS #10 reader for the signing hot path: finds the public key, the requested URI and
 * DNS SANs, and checks the request's self-signature. Node's crypto cannot parse CSRs, and a full
 * ASN.1 decode costs more than the signature the server makes afterwards.
 */
import { oid } from '../../credtemplate/der.js';
import { bytesOf, children, readTlv, type Tlv } from '../../credtemplate/der-reader.js';
import { CsrError, malformed } from './csr-error.js';
import {
  type CsrHash,
  type CsrKey,
  type CsrKeyType,
  importCsrKey,
  importCsrKeyFast,
} from './csr-key.js';

export { CsrError } from './csr-error.js';

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

interface SignatureAlgorithm {
  /** The hash the signature is made over (none for Ed25519). */
  readonly hash: CsrHash;
  /** The key family the algorithm signs with (RFC 5758 §3.2, RFC 4055 §5, RFC 8410 §6). */
  readonly keyType: CsrKeyType;
}

/** Signature algorithms a CSR may use, by the hex of their DER OID. */
const SIGNATURE_ALGORITHMS = new Map<string, SignatureAlgorithm>([
  [hex('1.2.840.10045.4.3.2'), { hash: 'sha256', keyType: 'ec' }],
  [hex('1.2.840.10045.4.3.3'), { hash: 'sha384', keyType: 'ec' }],
  [hex('1.2.840.10045.4.3.4'), { hash: 'sha512', keyType: 'ec' }],
  [hex('1.2.840.113549.1.1.11'), { hash: 'sha256', keyType: 'rsa' }],
  [hex('1.2.840.113549.1.1.12'), { hash: 'sha384', keyType: 'rsa' }],
  [hex('1.2.840.113549.1.1.13'), { hash: 'sha512', keyType: 'rsa' }],
  [hex('1.3.101.112'), { hash: null, keyType: 'ed25519' }],
]);

/**
 * Parses a DER PKCS #10 request and verifies that it is signed by the key it carries (RFC 2986
 * §3: the signature proves possession of the private key). The key must be one `csr-key.ts`
 * accepts. Throws {@link CsrError} `ERR_CSR_MALFORMED`, `ERR_CSR_UNSUPPORTED_KEY`,
 * `ERR_CSR_UNSUPPORTED_ALGORITHM` or `ERR_CSR_BAD_SIGNATURE`.
 */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const parts = structure(der);
  return finish(der, parts, importCsrKey(der, parts.spki));
}

/**
 * {@link parseCsr} for the signing hot path: the same checks and errors. Where OpenSSL's
 * ECDSA_verify cannot be bound (`openssl-ecdsa.ts`), a P-256, P-384 or P-521 key is imported from
 * its raw point, which costs OpenSSL about half of decoding the SPKI.
 */
export async function readCsr(der: Uint8Array): Promise<ParsedCsr> {
  const parts = structure(der);
  return finish(der, parts, await importCsrKeyFast(der, parts.spki));
}

/**
 * The requested key (DER SubjectPublicKeyInfo) of a request whose signature verifies, for callers
 * that take nothing else from it (BatchNewX509SVID takes the names from the entry). It refuses
 * exactly what {@link readCsr} refuses, a malformed extension request included, with the same
 * errors; it only does not collect the requested names.
 */
export async function readCsrPublicKey(der: Uint8Array): Promise<Buffer> {
  const parts = structure(der);
  checkSignature(der, parts, await importCsrKeyFast(der, parts.spki));
  if (parts.attributes) requestedSans(der, parts.attributes);
  return bytesOf(der, parts.spki);
}

/** What {@link readCsrPublicKeys} gives for one request: its key, or why it is refused. */
export type CsrKeyResult = { readonly publicKey: Buffer } | { readonly error: unknown };

/**
 * {@link readCsrPublicKey} for a batch: one result per request, in order, each the key or the
 * error that request is refused with (the same checks, in the same order, with the same errors).
 * The steps run across the batch, every key read (and imported, where a key needs it) and then
 * every signature verified, so that each step keeps its code and tables in the CPU caches
 * (`npm run bench -- ca`).
 */
export async function readCsrPublicKeys(ders: readonly Uint8Array[]): Promise<CsrKeyResult[]> {
  const imported: ({ parts: CsrParts; key: CsrKey } | { error: unknown })[] = [];
  for (const der of ders) {
    try {
      const parts = structure(der);
      imported.push({ parts, key: await importCsrKeyFast(der, parts.spki) });
    } catch (error) {
      imported.push({ error });
    }
  }
  return imported.map((step, i) => {
    if ('error' in step) return step;
    const der = ders[i] as Uint8Array;
    try {
      checkSignature(der, step.parts, step.key);
      if (step.parts.attributes) requestedSans(der, step.parts.attributes);
      return { publicKey: bytesOf(der, step.parts.spki) };
    } catch (error) {
      return { error };
    }
  });
}

function finish(der: Uint8Array, parts: CsrParts, key: CsrKey): ParsedCsr {
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

function checkSignature(der: Uint8Array, parts: CsrParts, key: CsrKey): void {
  let algOid: Tlv;
  try {
    algOid = readTlv(der, parts.algorithm.bodyStart, parts.algorithm.end);
  } catch (cause) {
    throw malformed('bad signature algorithm', cause);
  }
  if (algOid.tag !== OID) throw malformed('bad signature algorithm');
  const algorithm = SIGNATURE_ALGORITHMS.get(bytesOf(der, algOid).toString('hex'));
  if (algorithm === undefined) {
    throw new CsrError(
      'ERR_CSR_UNSUPPORTED_ALGORITHM',
      'csr signature algorithm must be ecdsa or rsa pkcs#1 v1.5 with sha-2, or ed25519',
    );
  }
  // The algorithm must be one of the key's own: never verify, say, an RSA key's signature under
  // an ECDSA algorithm identifier (Go's CheckSignature refuses the pair too).
  if (algorithm.keyType !== key.type) {
    throw new CsrError(
      'ERR_CSR_BAD_SIGNATURE',
      `csr signature algorithm is not one of its ${key.type} public key`,
    );
  }
  const { bodyStart, end } = parts.signature;
  if (der[bodyStart] !== 0) throw malformed('signature bit string has unused bits');
  const sig = Buffer.from(der.buffer, der.byteOffset + bodyStart + 1, end - bodyStart - 1);
  let ok = false;
  try {
    ok = key.verify(algorithm.hash, bytesOf(der, parts.info), sig);
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
