/**
 * Certificates and keys whose EC public point is the point at infinity: Node 20 loads them, then
 * aborts the process on `asymmetricKeyDetails`, a JWK export or an ieee-p1363 verify.
 */
import { createPublicKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

/** P-256 subjectPublicKeyInfo whose BIT STRING is the single byte 00: the point at infinity. */
export const INFINITY_P256_SPKI = Buffer.from(
  '3019301306072a8648ce3d020106082a8648ce3d03010703020000',
  'hex',
);

/** A P-256 public KeyObject at the point at infinity. */
export function infinityKey(): KeyObject {
  return createPublicKey({ key: INFINITY_P256_SPKI, format: 'der', type: 'spki' });
}

/**
 * `cert` with its subjectPublicKeyInfo replaced by `spki` (the point at infinity unless told),
 * signed again with `issuerKey` (ECDSA or RSA with SHA-256, as `cert` says), so that the result
 * still chains to the issuer.
 */
export function withSubjectKey(
  cert: X509Certificate | Uint8Array,
  issuerKey: KeyObject,
  spki: Uint8Array = INFINITY_P256_SPKI,
): X509Certificate {
  const raw = cert instanceof X509Certificate ? cert.raw : cert;
  const parsed = AsnConvert.parse(raw, Certificate);
  parsed.tbsCertificate.subjectPublicKeyInfo = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  const tbs = Buffer.from(AsnConvert.serialize(parsed.tbsCertificate));
  parsed.signatureValue = new Uint8Array(sign('sha256', tbs, issuerKey)).buffer;
  return new X509Certificate(Buffer.from(AsnConvert.serialize(parsed)));
}

/**
 * PEM of a P-256 SEC1 private key (d = 1) that states its public key as the point at infinity:
 * Node loads it, then aborts on its `asymmetricKeyDetails`.
 */
export const INFINITY_P256_SEC1_PEM = `-----BEGIN EC PRIVATE KEY-----\n${Buffer.from(
  `30370201010420${'00'.repeat(31)}01a00a06082a8648ce3d030107a10403020000`,
  'hex',
).toString('base64')}\n-----END EC PRIVATE KEY-----\n`;
