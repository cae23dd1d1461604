/**
 * The public key of a certificate signing request: which keys the server accepts and how each is
 * imported for the proof-of-possession check. Accepted, as Go's crypto/x509 parses them for SPIRE:
 * RSA, Ed25519, and ECDSA keys on P-224, P-256, P-384 or P-521 given as a named curve and an
 * uncompressed point (RFC 5480 §2.1.1.1, §2.2). Anything else is refused before OpenSSL sees an EC
 * key: OpenSSL 3.0 imports an SPKI whose point is the point at infinity and then verifies
 * signatures that anyone can make for it (and Node.js 20 aborts the process when asked for that
 * key's details or its JWK).
 */
import { createPublicKey, type KeyObject, verify, webcrypto } from 'node:crypto';
import { type EcdsaCurve, opensslEcdsa } from '../../../common/crypto/openssl-ecdsa.js';
import { bitString, oid, seq } from '../../credtemplate/der.js';
import { bytesOf, children, type Tlv } from '../../credtemplate/der-reader.js';
import { CsrError, malformed } from './csr-error.js';

/** The key families a CSR may carry; each signature algorithm names one. */
export type CsrKeyType = 'ec' | 'rsa' | 'ed25519';

/** The hashes of the CSR signature algorithms (none for Ed25519). */
export type CsrHash = 'sha256' | 'sha384' | 'sha512' | null;

/** A CSR key ready to check the request's signature. */
export interface CsrKey {
  readonly type: CsrKeyType;
  /** Whether `signature` over `data` verifies with this key; false for one that does not decode. */
  verify(hash: CsrHash, data: Uint8Array, signature: Uint8Array): boolean;
}

interface EcCurve {
  readonly name: EcdsaCurve;
  /** The DER SPKI of every key on this curve, up to and including the point's 0x04 tag. */
  readonly prefix: Buffer;
  /** Bytes of X || Y. */
  readonly pointBytes: number;
  /** Hex of the DER of the curve's OID. */
  readonly oidHex: string;
}

const EC_PUBLIC_KEY = oid('1.2.840.10045.2.1');

function ecCurve(name: EcCurve['name'], curveOid: string, pointBytes: number): EcCurve {
  // SubjectPublicKeyInfo{ {id-ecPublicKey, namedCurve}, BIT STRING(0x04 || X || Y) }: the only
  // DER form of such a key, so a byte comparison is a parse.
  const curve = oid(curveOid);
  const spki = seq(seq(EC_PUBLIC_KEY, curve), bitString(Buffer.alloc(1 + pointBytes, 4)));
  const prefix = spki.subarray(0, spki.length - pointBytes);
  return { name, prefix, pointBytes, oidHex: curve.toString('hex') };
}

const EC_CURVES: readonly EcCurve[] = [
  ecCurve('P-256', '1.2.840.10045.3.1.7', 64),
  ecCurve('P-384', '1.3.132.0.34', 96),
  ecCurve('P-521', '1.3.132.0.35', 132),
  ecCurve('P-224', '1.3.132.0.33', 56),
];

/** The curves of {@link EC_CURVES} by the DER of their OID. */
const EC_CURVE_OIDS = new Set(EC_CURVES.map((curve) => curve.oidHex));

/**
 * The CSR key. An ECDSA key is checked by OpenSSL's ECDSA_verify on its point where the process
 * allows it (`openssl-ecdsa.ts`: no key import at all); otherwise, and for RSA and Ed25519, it is
 * imported from the DER SPKI with `createPublicKey` (OpenSSL's decoder checks that an EC point
 * lies on its curve).
 * @throws CsrError ERR_CSR_MALFORMED, ERR_CSR_UNSUPPORTED_KEY
 */
export function importCsrKey(der: Uint8Array, spki: Tlv): CsrKey {
  const bytes = bytesOf(der, spki);
  const { ec, parameters } = algorithmOf(der, spki);
  if (!ec) {
    const key = decoded(bytes);
    return nodeKey(checkedNonEcType(key), key);
  }
  const curve = canonicalCurve(bytes);
  if (!curve) throw ecRefusal(der, parameters);
  return opensslKey(curve, bytes) ?? nodeKey('ec', decoded(bytes));
}

/**
 * {@link importCsrKey} for the signing hot path: the same refusals, and where OpenSSL's
 * ECDSA_verify cannot be used, a P-256, P-384 or P-521 point is imported raw through WebCrypto
 * (OpenSSL checks that it lies on the curve), which costs less than decoding the SPKI.
 */
export async function importCsrKeyFast(der: Uint8Array, spki: Tlv): Promise<CsrKey> {
  const bytes = bytesOf(der, spki);
  const curve = canonicalCurve(bytes);
  if (!curve) return importCsrKey(der, spki);
  const direct = opensslKey(curve, bytes);
  if (direct) return direct;
  if (curve.name === 'P-224') return importCsrKey(der, spki);
  try {
    const algorithm = { name: 'ECDSA', namedCurve: curve.name };
    const key = await webcrypto.subtle.importKey('raw', pointOf(curve, bytes), algorithm, false, [
      'verify',
    ]);
    // crypto.verify takes a CryptoKey as it takes a KeyObject (documented since Node.js 15;
    // @types/node does not list it), which saves building a KeyObject with `KeyObject.from`.
    return nodeKey('ec', key as unknown as KeyObject);
  } catch (cause) {
    throw invalidKey(cause);
  }
}

function nodeKey(type: CsrKeyType, key: KeyObject): CsrKey {
  return { type, verify: (hash, data, signature) => verify(hash, data, key, signature) };
}

/** The key checked by OpenSSL's ECDSA_verify on its point, or `undefined` where it cannot be. */
function opensslKey(curve: EcCurve, spki: Buffer): CsrKey | undefined {
  const ecdsa = opensslEcdsa();
  if (!ecdsa) return undefined;
  const point = pointOf(curve, spki);
  // Checked now, as an import would check it: a point off its curve is a malformed key, refused
  // before the signature algorithm is looked at (the order of every other route).
  if (!ecdsa.isPoint(curve.name, point)) throw invalidKey(undefined);
  return {
    type: 'ec',
    // The point was checked above: a failure here is a signature that does not verify.
    verify: (hash, data, signature) =>
      hash !== null && ecdsa.verify(curve.name, point, hash, data, signature),
  };
}

/** 0x04 || X || Y of a canonical SPKI of the curve. */
function pointOf(curve: EcCurve, spki: Buffer): Buffer {
  return spki.subarray(curve.prefix.length - 1);
}

/** The curve of an SPKI that is byte for byte the canonical form of a key on an accepted curve. */
function canonicalCurve(bytes: Buffer): EcCurve | undefined {
  for (const curve of EC_CURVES) {
    if (
      bytes.length === curve.prefix.length + curve.pointBytes &&
      curve.prefix.equals(bytes.subarray(0, curve.prefix.length))
    ) {
      return curve;
    }
  }
  return undefined;
}

/**
 * Why an id-ecPublicKey SPKI not in canonical form is refused: another curve or explicit
 * parameters are unsupported; an accepted curve with any other point (compressed, the point at
 * infinity, the wrong size) is malformed.
 */
function ecRefusal(der: Uint8Array, parameters: Tlv | undefined): CsrError {
  if (!parameters || !EC_CURVE_OIDS.has(bytesOf(der, parameters).toString('hex'))) {
    return unsupportedKey();
  }
  return malformed('ec public key must be an uncompressed point of its curve');
}

/** The SPKI's AlgorithmIdentifier (RFC 5280 §4.1.1.2): is it id-ecPublicKey, its parameters. */
function algorithmOf(der: Uint8Array, spki: Tlv): { ec: boolean; parameters: Tlv | undefined } {
  try {
    const [algorithm] = children(der, spki);
    if (algorithm?.tag !== 0x30) throw malformed('bad subject public key info');
    const [id, parameters] = children(der, algorithm);
    if (id?.tag !== 0x06) throw malformed('bad subject public key info');
    return { ec: bytesOf(der, id).equals(EC_PUBLIC_KEY), parameters };
  } catch (err) {
    if (err instanceof CsrError) throw err;
    throw malformed('bad subject public key info', err);
  }
}

function decoded(spki: Buffer): KeyObject {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw invalidKey(cause);
  }
}

function invalidKey(cause: unknown): CsrError {
  return malformed('unsupported or invalid public key', cause);
}

/**
 * The type of a key that is not id-ecPublicKey: RSA or Ed25519, nothing else, and never a key
 * for which a signature proves nothing. OpenSSL verifies signatures for both of these, which
 * anyone can make without a private key:
 * - RSA with public exponent 1 (the signature is the padded digest itself), or with a modulus
 *   small enough to factor. Refused as Go refuses them for SPIRE (crypto/rsa: exponent below 2
 *   or above 2^31-1, modulus below 1024 bits), and an even exponent, which no RSA key has.
 * - Ed25519 points of small order (RFC 8032 §5.1): for the identity, R = identity and S = 0
 *   verify for every message.
 */
function checkedNonEcType(key: KeyObject): CsrKeyType {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
    if (modulusLength < MIN_RSA_BITS || publicExponent < 3n || publicExponent > MAX_RSA_EXPONENT) {
      throw weakRsa();
    }
    if (publicExponent % 2n === 0n) throw weakRsa();
    return type;
  }
  if (type === 'ed25519') {
    const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
    if (isSmallOrderEd25519(raw)) throw malformed('ed25519 public key is a point of small order');
    return type;
  }
  throw unsupportedKey();
}

const MIN_RSA_BITS = 1024;
const MAX_RSA_EXPONENT = 2n ** 31n - 1n;

/** 2^255 - 19, the field of Ed25519 (RFC 8032 §5.1). */
const ED25519_P = 2n ** 255n - 19n;

/** y of an Ed25519 point of order 8: a root of d·y⁴ + 2y² − 1 (from doubling to y = 0). */
const ED25519_ORDER_8_Y = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;

/**
 * y of every Ed25519 point of small order (the 8-torsion; each y is shared by a point and its
 * negation): 1 (order 1), p - 1 (order 2), 0 (order 4), ±y8 (order 8).
 */
const ED25519_SMALL_ORDER_Y: ReadonlySet<bigint> = new Set([
  1n,
  ED25519_P - 1n,
  0n,
  ED25519_ORDER_8_Y,
  ED25519_P - ED25519_ORDER_8_Y,
]);

/**
 * Whether an encoded Ed25519 point (RFC 8032 §5.1.2: y little-endian, x's sign in the top bit)
 * has small order. y is reduced mod p, so that an unreduced encoding of such a point is caught.
 */
function isSmallOrderEd25519(encoded: Uint8Array): boolean {
  let y = 0n;
  for (let i = encoded.length - 1; i >= 0; i--) y = (y << 8n) | BigInt(encoded[i] as number);
  y &= (1n << 255n) - 1n;
  return ED25519_SMALL_ORDER_Y.has(y % ED25519_P);
}

function weakRsa(): CsrError {
  return new CsrError(
    'ERR_CSR_UNSUPPORTED_KEY',
    'csr rsa public key must have a modulus of at least 1024 bits and an odd exponent from 3 to 2^31-1',
  );
}

function unsupportedKey(): CsrError {
  return new CsrError(
    'ERR_CSR_UNSUPPORTED_KEY',
    'csr public key must be rsa, ed25519 or ecdsa on p-224, p-256, p-384 or p-521',
  );
}
