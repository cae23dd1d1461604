// The hot path: X.509-SVID leaves encoded straight to DER and signed by the CA's key manager.
import { createHash, type KeyObject } from 'node:crypto';
import type { SpiffeId } from '@spire-ts/spiffe';
import { bitString, header, ia5String, octetString, seq, Tag, time, tlv } from './der.js';
import { certificateSubject } from './der-reader.js';
import { CredTemplateError } from './errors.js';
import { NOT_BEFORE_CUSHION_MS, wholeSeconds, type X509Issuer } from './issuer.js';
import {
  encodeName,
  extension,
  Oid,
  randomSerial,
  type SignatureAlgorithm,
  signatureAlgorithm,
  subjectKeyId,
  VERSION_3,
  type X509Subject,
} from './x509-profile.js';

/** What one X.509-SVID carries beyond the fixed profile. */
export interface X509SvidParams {
  readonly spiffeId: SpiffeId;
  /** The subject's public key, as a KeyObject or a DER SubjectPublicKeyInfo. */
  readonly publicKey: KeyObject | Uint8Array;
  /** DNS SANs (X509-SVID §2 allows other SAN types); the first also becomes the subject CN. */
  readonly dnsNames?: readonly string[];
  /** Subject before the CN; SPIRE's default is C=US, O=SPIRE. */
  readonly subject: X509Subject;
  /** Adds x500UniqueIdentifier = hex(SHA-256(id))[0:32], like SPIRE's `uniqueid` composer. */
  readonly uniqueId?: boolean;
  /** Requested lifetime in milliseconds; capped at the issuer's notAfter (C28). */
  readonly ttlMs: number;
  readonly nowMs: number;
}

/** A signed X.509-SVID leaf. */
export interface MintedX509Svid {
  readonly der: Buffer;
  readonly serial: Buffer;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

// X509-SVID §4.3: leaf keyUsage must include digitalSignature and be critical. SPIRE adds
// keyEncipherment and keyAgreement: bits 0, 2, 4 = 0xa8, three unused trailing bits.
const LEAF_KEY_USAGE = extension(Oid.keyUsage, true, bitString(Uint8Array.of(0xa8), 3));
const LEAF_EXT_KEY_USAGE = extension(Oid.extKeyUsage, false, seq(Oid.serverAuth, Oid.clientAuth));
// X509-SVID §4.1: a leaf has cA=false; DER leaves the default out, so the value is an empty SEQ.
const LEAF_BASIC_CONSTRAINTS = extension(Oid.basicConstraints, true, seq());
// RFC 5280 §4.2.1.2: subjectKeyIdentifier, the Extension up to its 20-byte SHA-1 key id.
const SUBJECT_KEY_ID_PREFIX = (() => {
  const whole = extension(Oid.subjectKeyId, false, octetString(Buffer.alloc(20)));
  return whole.subarray(0, whole.length - 20);
})();
// The signature BIT STRING's first content octet: no unused bits (X.690 §8.6.2).
const NO_UNUSED_BITS = Uint8Array.of(0);
// The extensions every leaf starts with, in the order they are written, as one piece.
const LEAF_FIXED_EXTENSIONS = Buffer.concat([
  LEAF_KEY_USAGE,
  LEAF_EXT_KEY_USAGE,
  LEAF_BASIC_CONSTRAINTS,
]);

/**
 * Signs X.509-SVID leaves for one CA. Everything that depends only on the CA (issuer name,
 * algorithm, authority key id, fixed extensions) is encoded once, so each leaf costs a few small
 * encodings, a SHA-1 and one signature.
 */
export class X509SvidMinter {
  readonly #issuer: X509Issuer;
  readonly #issuerName: Buffer;
  readonly #algorithm: SignatureAlgorithm;
  readonly #authorityKeyId: Buffer;

  constructor(issuer: X509Issuer) {
    this.#issuer = issuer;
    this.#issuerName = certificateSubject(issuer.certificate);
    this.#algorithm = signatureAlgorithm(issuer.keyType);
    const akid = seq(tlv(0x80, issuer.subjectKeyId));
    this.#authorityKeyId = extension(Oid.authorityKeyId, false, akid);
  }

  /** Builds and signs one leaf. */
  async mint(params: X509SvidParams): Promise<MintedX509Svid> {
    const { notBeforeMs, notAfterMs } = this.#validity(params);
    const spki = subjectPublicKeyInfo(params.publicKey);
    const serial = randomSerial();
    const identity = leafIdentity(params);
    const keyId = subjectKeyId(spki);
    // RFC 5280 §4.1: extensions [3] EXPLICIT SEQUENCE OF Extension, written as headers followed
    // by the pieces, so that the pieces are copied once, into the TBSCertificate.
    const extensions = [
      LEAF_FIXED_EXTENSIONS,
      SUBJECT_KEY_ID_PREFIX,
      keyId,
      this.#authorityKeyId,
      identity.subjectAltName,
    ];
    let extensionsLength = 0;
    for (const part of extensions) extensionsLength += part.length;
    const extensionsSeq = header(Tag.SEQUENCE, extensionsLength);
    const tbs = seq(
      VERSION_3,
      serial.der,
      this.#algorithm.identifier,
      this.#issuerName,
      validity(notBeforeMs, notAfterMs),
      identity.subject,
      spki,
      header(0xa3, extensionsSeq.length + extensionsLength),
      extensionsSeq,
      ...extensions,
    );
    const signature = await this.#issuer.sign(tbs, { hash: this.#algorithm.hash });
    const der = seq(
      tbs,
      this.#algorithm.identifier,
      header(Tag.BIT_STRING, signature.length + 1),
      NO_UNUSED_BITS,
      signature,
    );
    return { der, serial: serial.magnitude, notBeforeMs, notAfterMs };
  }

  #validity(params: X509SvidParams): { notBeforeMs: number; notAfterMs: number } {
    if (!(params.ttlMs > 0)) {
      throw new CredTemplateError(
        'ERR_CREDTEMPLATE_BAD_TTL',
        'svid ttl must be a positive duration',
      );
    }
    if (params.nowMs >= this.#issuer.notAfterMs) {
      throw new CredTemplateError(
        'ERR_CREDTEMPLATE_ISSUER_EXPIRED',
        'issuing ca has expired; rotate the ca before signing',
      );
    }
    // C28: the leaf never outlives the CA that signed it.
    const notAfterMs = wholeSeconds(Math.min(params.nowMs + params.ttlMs, this.#issuer.notAfterMs));
    // C29: back-date notBefore for relying parties whose clocks run behind ours.
    const notBeforeMs = wholeSeconds(params.nowMs - NOT_BEFORE_CUSHION_MS);
    return { notBeforeMs, notAfterMs };
  }
}

function subjectPublicKeyInfo(key: KeyObject | Uint8Array): Buffer {
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.length);
  if (key.type === 'private') {
    throw new CredTemplateError(
      'ERR_CREDTEMPLATE_BAD_PUBLIC_KEY',
      'svid public key must be a public key, not a private key',
    );
  }
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * The DER pieces of a leaf that depend only on who it names: the subject Name and the
 * subjectAltName extension. They are the same for every SVID of one registration entry, so they
 * are kept per SPIFFE ID object (the SVID API keeps one such object per entry revision) and used
 * again only when the DNS names, the subject template and the uniqueId setting are also the
 * same as when they were built: a changed entry never gets an old name.
 */
interface LeafIdentity {
  readonly dnsNames: readonly string[];
  readonly subjectTemplate: X509Subject;
  readonly uniqueId: boolean;
  /** DER Name. */
  readonly subject: Buffer;
  /** DER Extension (subjectAltName). */
  readonly subjectAltName: Buffer;
}

const identities = new WeakMap<SpiffeId, LeafIdentity>();

function leafIdentity(params: X509SvidParams): LeafIdentity {
  const dnsNames = params.dnsNames ?? [];
  const uniqueId = params.uniqueId === true;
  const held = identities.get(params.spiffeId);
  if (
    held &&
    held.subjectTemplate === params.subject &&
    held.uniqueId === uniqueId &&
    sameNames(held.dnsNames, dnsNames)
  ) {
    return held;
  }
  const built: LeafIdentity = {
    dnsNames: [...dnsNames],
    subjectTemplate: params.subject,
    uniqueId,
    subject: leafSubject(params.spiffeId, params.subject, dnsNames, uniqueId),
    subjectAltName: extension(
      Oid.subjectAltName,
      false,
      subjectAltNames(params.spiffeId, dnsNames),
    ),
  };
  identities.set(params.spiffeId, built);
  return built;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function leafSubject(
  id: SpiffeId,
  subject: X509Subject,
  dnsNames: readonly string[],
  uniqueId: boolean,
): Buffer {
  const commonName = dnsNames[0];
  return encodeName({ ...subject, commonName, uniqueId: uniqueId ? uniqueIdOf(id) : undefined });
}

/** SPIRE's x500UniqueIdentifier value: hex of the first 16 bytes of SHA-256(id). */
export function uniqueIdOf(id: SpiffeId): string {
  return createHash('sha256').update(id.toString()).digest().subarray(0, 16).toString('hex');
}

// X509-SVID §2: exactly one URI SAN, the SPIFFE ID. DNS names come first, as Go orders them.
function subjectAltNames(id: SpiffeId, dnsNames: readonly string[]): Buffer {
  const names = dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'latin1')));
  const uri = ia5String(id.toString());
  uri[0] = 0x86;
  return seq(...names, uri);
}

/**
 * The Validity SEQUENCE (RFC 5280 §4.1.2.5). Leaves signed within one second with one lifetime
 * share both times, so the last encoding is kept and returned again for the same pair.
 */
let lastValidity: { notBeforeMs: number; notAfterMs: number; der: Buffer } | undefined;

function validity(notBeforeMs: number, notAfterMs: number): Buffer {
  const last = lastValidity;
  if (last?.notBeforeMs === notBeforeMs && last.notAfterMs === notAfterMs) return last.der;
  const der = seq(time(notBeforeMs), time(notAfterMs));
  lastValidity = { notBeforeMs, notAfterMs, der };
  return der;
}
