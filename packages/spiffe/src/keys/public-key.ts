/**
 * A guard for EC keys that come from outside (certificates, JWKs, bundles, tokens' signers).
 *
 * Node 20 (OpenSSL 3.0) loads an EC subjectPublicKeyInfo whose point is the point at infinity
 * (the BIT STRING holding the single byte 00) without complaint, but then aborts the whole
 * process, with no exception to catch, when the key's `asymmetricKeyDetails` is read or the key
 * is exported as a JWK, and crashes in `crypto.verify` with `dsaEncoding: 'ieee-p1363'` (the form
 * JOSE uses). The check below touches none of those calls: it exports the key as SPKI DER (which
 * fails cleanly for the point at infinity) and reads the curve and the point encoding itself.
 */
import { createPublicKey, KeyObject, type X509Certificate } from 'node:crypto';
import { SpiffeError } from '../errors.js';
import { derChildren, derHeaderLength } from '../svid/x509/der.js';

/** Codes of {@link PublicKeyError}. */
export const PublicKeyErrorCode = {
  /** An EC key whose point is the point at infinity, compressed, or of the wrong size. */
  Unusable: 'ERR_PUBLIC_KEY_UNUSABLE',
} as const;

/** A public key that must not be used: names the key and what is wrong with it. */
export class PublicKeyError extends SpiffeError {}

const EC_PUBLIC_KEY_OID = '06072a8648ce3d0201';
const EC_PUBLIC_KEY_OID_DER = Buffer.from(EC_PUBLIC_KEY_OID, 'hex');

/** The problem phrase for the point at infinity, the one encoding that aborts Node 20. */
export const EC_POINT_AT_INFINITY = 'is the ec point at infinity';

/** Named curves by the DER of their OID: name and the byte length of one coordinate. */
const CURVES = new Map<string, { readonly name: string; readonly size: number }>([
  ['06082a8648ce3d030107', { name: 'P-256', size: 32 }],
  ['06052b81040022', { name: 'P-384', size: 48 }],
  ['06052b81040023', { name: 'P-521', size: 66 }],
]);

let infinityKeys: KeyObject[] | undefined;

/** One key at the point at infinity per named curve, to recognise one by `KeyObject.equals`. */
function pointsAtInfinity(): KeyObject[] {
  infinityKeys ??= [...CURVES.keys()].map((oid) => {
    const algorithm = `${EC_PUBLIC_KEY_OID}${oid}`;
    const body = `30${hexLength(algorithm)}${algorithm}03020000`;
    const der = Buffer.from(`30${hexLength(body)}${body}`, 'hex');
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  });
  return infinityKeys;
}

function hexLength(hex: string): string {
  return (hex.length / 2).toString(16).padStart(2, '0');
}

/**
 * What makes `key` unusable, as a phrase to follow the key's name ("is the ec point at
 * infinity"), or undefined when it is usable. Keys that are not EC are not examined. A private
 * key is judged by its public half. Safe on any KeyObject: it never reads
 * `asymmetricKeyDetails` nor exports a JWK.
 */
export function ecPublicKeyProblem(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  // The SPKI export in examine() costs about 140 us (OpenSSL 3's encoder); a KeyObject never changes,
  // so its verdict is kept. JWT validation asks this for the same bundle key on every token.
  const known = verdicts.get(key);
  if (known !== undefined) return known === '' ? undefined : known;
  const problem = examine(key);
  verdicts.set(key, problem ?? '');
  return problem;
}

const verdicts = new WeakMap<KeyObject, string>();

function examine(key: KeyObject): string | undefined {
  let pub: KeyObject;
  let spki: Buffer;
  try {
    pub = key.type === 'private' ? createPublicKey(key) : key;
  } catch {
    return 'is an ec key whose public key cannot be derived';
  }
  try {
    spki = pub.export({ type: 'spki', format: 'der' });
  } catch {
    if (pointsAtInfinity().some((inf) => inf.equals(pub))) return EC_POINT_AT_INFINITY;
    return 'is an ec key whose point cannot be encoded';
  }
  return spkiPointProblem(spki);
}

/**
 * The problem of an EC subjectPublicKeyInfo's DER (see {@link ecPublicKeyProblem}): the curve
 * must be named, and the point uncompressed (04 || x || y) with coordinates of the curve's size.
 */
export function spkiPointProblem(spki: Uint8Array): string | undefined {
  return spkiVerdict(spki) ?? undefined;
}

/** As {@link spkiPointProblem}, but null when `spki` does not walk as DER at all. */
function spkiVerdict(spki: Uint8Array): string | undefined | null {
  const [algorithm, bits] = derChildren(spki) ?? [];
  const [oid, params] = (algorithm && derChildren(algorithm)) ?? [];
  if (!bits || !oid) return null;
  if (!EC_PUBLIC_KEY_OID_DER.equals(oid)) return undefined;
  if (params?.[0] !== 0x06) return 'is an ec key that does not name its curve';
  const header = derHeaderLength(bits, 0) ?? bits.length;
  if (bits[0] !== 0x03 || bits.length < header + 2 || bits[header] !== 0) {
    return 'is an ec key whose point is not a whole-byte bit string';
  }
  const point = bits.subarray(header + 1);
  if (point.length === 1 && point[0] === 0) return EC_POINT_AT_INFINITY;
  if (point[0] !== 0x04) return 'is an ec point not in uncompressed form (04 || x || y)';
  const curve = CURVES.get(Buffer.from(params).toString('hex'));
  const size = curve?.size ?? (point.length - 1) / 2;
  if (point.length !== 1 + 2 * size || size < 1 || !Number.isInteger(size)) {
    const want = curve ? `; ${curve.name} points are ${1 + 2 * size} bytes` : '';
    return `is an ec point of ${point.length} bytes${want}`;
  }
  return undefined;
}

/**
 * The problem of a certificate's EC public key (see {@link ecPublicKeyProblem}), read from the
 * subjectPublicKeyInfo bytes the certificate carries, which is what OpenSSL loads the key from:
 * no key export, a few microseconds. A certificate whose fields do not walk as DER falls back to
 * its KeyObject. Throws what `cert.publicKey` throws for a key Node cannot load.
 */
export function certificateKeyProblem(cert: X509Certificate): string | undefined {
  // Bundle authorities are checked as issuers on every verification: keep each one's verdict.
  const known = certVerdicts.get(cert);
  if (known !== undefined) return known === '' ? undefined : known;
  const spki = subjectPublicKeyInfo(cert.raw);
  const verdict = spki === undefined ? null : spkiVerdict(spki);
  const problem = verdict === null ? ecPublicKeyProblem(cert.publicKey) : verdict;
  certVerdicts.set(cert, problem ?? '');
  return problem;
}

const certVerdicts = new WeakMap<X509Certificate, string>();

/** Certificate { tbsCertificate { [0] version?, serial, sigAlg, issuer, validity, subject, spki } } */
function subjectPublicKeyInfo(raw: Uint8Array): Uint8Array | undefined {
  const [tbs] = derChildren(raw) ?? [];
  const fields = tbs && derChildren(tbs);
  if (!fields) return undefined;
  const spki = fields[fields[0]?.[0] === 0xa0 ? 6 : 5];
  return spki?.[0] === 0x30 ? spki : undefined;
}

/**
 * Throws {@link PublicKeyError} (`ERR_PUBLIC_KEY_UNUSABLE`) when `key` is an EC key that must not
 * be used (see {@link ecPublicKeyProblem}); `what` names the key, e.g. "x509pop certificate
 * public key". Call it before `asymmetricKeyDetails`, a JWK export or a signature check on any key
 * that did not come from our own key generation.
 * @throws TypeError when `key` is not a KeyObject
 */
export function assertUsablePublicKey(key: KeyObject, what: string): void {
  if (!(key instanceof KeyObject)) throw new TypeError(`${what} must be a node:crypto KeyObject`);
  const problem = ecPublicKeyProblem(key);
  if (problem !== undefined) {
    throw new PublicKeyError(PublicKeyErrorCode.Unusable, `${what} ${problem}`);
  }
}
