// X.509 CA credentials: the self-signed root and the CSR an UpstreamAuthority signs.
import {
  bitString,
  explicit,
  ia5String,
  octetString,
  seq,
  set,
  smallInteger,
  time,
} from './der.js';
import { type KeySigner, NOT_BEFORE_CUSHION_MS, wholeSeconds } from './issuer.js';
import {
  encodeName,
  extension,
  Oid,
  randomSerial,
  signatureAlgorithm,
  subjectKeyId,
  VERSION_3,
  type X509Subject,
} from './x509-profile.js';

/** What a CA certificate or CSR needs. */
export interface X509CaParams {
  /** `spiffe://<trust domain>`: the CA's URI SAN (no path, no trailing slash). */
  readonly trustDomainId: string;
  /** `ca_subject`; the serial number attribute is added as SPIRE does. */
  readonly subject: X509Subject;
  /** The CA key, held by a KeyManager. */
  readonly key: KeySigner;
}

/** A signed self-signed CA certificate. */
export interface MintedX509Ca {
  readonly der: Buffer;
  readonly subjectKeyId: Buffer;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

// X509-SVID §4.3 and §4.1: a signing certificate has keyCertSign (SPIRE adds cRLSign), both
// critical, and cA=true without a path length. Bits 5 and 6 = 0x06, one unused trailing bit.
const CA_KEY_USAGE = extension(Oid.keyUsage, true, bitString(Uint8Array.of(0x06), 1));
const CA_BASIC_CONSTRAINTS = extension(Oid.basicConstraints, true, seq(Uint8Array.of(1, 1, 0xff)));

function caSan(trustDomainId: string): Buffer {
  const uri = ia5String(trustDomainId);
  uri[0] = 0x86;
  return extension(Oid.subjectAltName, false, seq(uri));
}

/** The CA subject: `ca_subject` plus the certificate serial as the serialNumber attribute. */
function caSubject(subject: X509Subject, serial: Buffer): X509Subject {
  const decimal = BigInt(`0x${serial.toString('hex')}`).toString();
  return { ...subject, serialNumber: subject.serialNumber ?? decimal };
}

/**
 * Builds and signs a self-signed root: notBefore back-dated 10 s (C29), notAfter `now + ttl`.
 */
export async function mintSelfSignedCa(
  params: X509CaParams & { readonly ttlMs: number; readonly nowMs: number },
): Promise<MintedX509Ca> {
  const algorithm = signatureAlgorithm(params.key.keyType);
  const serial = randomSerial();
  const name = encodeName(caSubject(params.subject, serial.magnitude));
  const skid = subjectKeyId(params.key.spki);
  const notBeforeMs = wholeSeconds(params.nowMs - NOT_BEFORE_CUSHION_MS);
  const notAfterMs = wholeSeconds(params.nowMs + params.ttlMs);
  const extensions = seq(
    CA_KEY_USAGE,
    CA_BASIC_CONSTRAINTS,
    extension(Oid.subjectKeyId, false, octetString(skid)),
    caSan(params.trustDomainId),
  );
  const tbs = seq(
    VERSION_3,
    serial.der,
    algorithm.identifier,
    name,
    seq(time(notBeforeMs), time(notAfterMs)),
    name,
    params.key.spki,
    explicit(3, extensions),
  );
  const signature = await params.key.sign(tbs, { hash: algorithm.hash });
  const der = seq(tbs, algorithm.identifier, bitString(signature));
  return { der, subjectKeyId: skid, notBeforeMs, notAfterMs };
}

/**
 * Builds and signs the PKCS#10 request (RFC 2986 §4) for an upstream-signed intermediate: the
 * CA subject and the trust domain URI SAN in an extensionRequest attribute.
 */
export async function buildCaCsr(params: X509CaParams): Promise<Buffer> {
  const algorithm = signatureAlgorithm(params.key.keyType);
  const name = encodeName(caSubject(params.subject, randomSerial().magnitude));
  const extensionRequest = seq(Oid.extensionRequest, set(seq(caSan(params.trustDomainId))));
  const info = seq(smallInteger(0), name, params.key.spki, explicit(0, extensionRequest));
  const signature = await params.key.sign(info, { hash: algorithm.hash });
  return seq(info, algorithm.identifier, bitString(signature));
}
