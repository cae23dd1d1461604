import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { X509BundleSource } from '../../bundle/index.js';
import type { SpiffeId } from '../../spiffeid/index.js';
import { certInfo } from './certinfo.js';
import {
  type CertificateInput,
  certLabel,
  decodeCertificates,
  decodePrivateKey,
  type PrivateKeyInput,
  publicKeyOf,
} from './decode.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';
import { encodePem } from './pem.js';
import { checkCriticalExtensions, checkLeaf, checkSigningCert } from './rules.js';
import { type VerifiedX509Svid, type VerifyOptions, verifyX509Svid } from './verify.js';

/** Options of {@link X509Svid.parse}. */
export interface ParseOptions {
  /** The Workload API hint that came with this SVID, if any. */
  hint?: string;
}

/** An X509-SVID serialised as PEM, as {@link X509Svid.marshal} returns it. */
export interface MarshaledX509Svid {
  /** The leaf and its intermediates, one CERTIFICATE block each. */
  certificates: string;
  /** The private key as one PKCS#8 PRIVATE KEY block. */
  privateKey: string;
}

/**
 * An X509-SVID with its private key: a workload's own identity. Immutable.
 *
 * ```ts
 * const svid = X509Svid.parse(readFileSync('svid.pem'), readFileSync('svid.key'));
 * svid.id.toString(); // 'spiffe://example.org/workload'
 * ```
 */
export class X509Svid {
  /** The SPIFFE ID of the leaf certificate. */
  readonly id: SpiffeId;
  /** The leaf first, then the intermediates that lead to the trust domain's authorities. */
  readonly certificates: readonly X509Certificate[];
  /** The private key of the leaf. */
  readonly privateKey: KeyObject;
  /** The Workload API hint, when one came with the SVID. */
  readonly hint?: string;

  private constructor(id: SpiffeId, certs: X509Certificate[], key: KeyObject, hint?: string) {
    this.id = id;
    this.certificates = Object.freeze(certs);
    this.privateKey = key;
    if (hint !== undefined) this.hint = hint;
    Object.freeze(this);
  }

  /** When the leaf stops being valid (its notAfter). */
  get expiresAt(): Date {
    return new Date(certInfo(this.certificates[0] as X509Certificate, 'leaf').notAfter);
  }

  /**
   * Parses certificates (PEM, one or several concatenated DER, or an array of X509Certificate
   * and/or DER byte arrays, leaf first) and a private key (PEM or DER;
   * PKCS#8, SEC1 or PKCS#1) into an SVID, checking the leaf rules of X509-SVID §2-§4.4, that
   * every further certificate may sign (§4.1, §4.3), and that the key is the leaf's. The chain
   * is not verified against a bundle here: use {@link X509Svid.verify} for a peer's chain.
   * `options` may be left out or `null`.
   *
   * @throws X509SvidError with the code of the rule broken
   */
  static parse(
    certs: CertificateInput,
    key: PrivateKeyInput,
    options?: ParseOptions | null,
  ): X509Svid {
    const chain = decodeCertificates(certs);
    const id = checkLeaf(certInfo(chain[0] as X509Certificate, 'leaf'));
    checkCriticalExtensions(certInfo(chain[0] as X509Certificate, 'leaf'), 'leaf');
    for (const [i, cert] of chain.entries()) {
      if (i === 0) continue;
      const info = certInfo(cert, certLabel(i));
      checkCriticalExtensions(info, certLabel(i));
      checkSigningCert(info, certLabel(i));
    }

    const privateKey = decodePrivateKey(key);
    requireMatchingKey(chain[0] as X509Certificate, privateKey);
    return new X509Svid(id, chain, privateKey, options?.hint);
  }

  /**
   * Verifies a peer's chain (leaf first) against the bundle of the leaf's trust domain taken from
   * `bundles`: X509-SVID §5.2 leaf rules plus RFC 5280 path validation at `options.at`. `chain`
   * takes the forms `parse` takes; `options` may be left out or `null`.
   *
   * @throws X509SvidError naming the certificate (leaf, intermediate N, bundle authority N) and rule
   */
  static verify(
    chain: CertificateInput,
    bundles: X509BundleSource,
    options?: VerifyOptions | null,
  ): VerifiedX509Svid {
    return verifyX509Svid(chain, bundles, options);
  }

  /** The certificates and the key as PEM (certificates leaf first; key as PKCS#8). */
  marshal(): MarshaledX509Svid {
    return {
      certificates: this.certificates.map((c) => encodePem('CERTIFICATE', c.raw)).join(''),
      privateKey: this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  }
}

function requireMatchingKey(leaf: X509Certificate, key: KeyObject): void {
  const fromKey = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const fromCert = publicKeyOf(leaf, 'leaf').export({ format: 'der', type: 'spki' });
  if (!fromKey.equals(fromCert)) {
    throw new X509SvidError(
      X509SvidErrorCode.KeyMismatch,
      'private key does not match the leaf public key',
    );
  }
}
