import { X509Certificate } from 'node:crypto';
import type { TrustDomain } from '../spiffeid/index.js';
import {
  assertUsableCertificateKey,
  certificateToPem,
  parseDerCertificates,
  parsePemCertificates,
} from './certificates.js';
import type { X509BundleSource } from './source.js';
import { type TrustDomainArg, toTrustDomain } from './trust-domain-arg.js';

/**
 * The X.509 authorities (CA certificates) of one trust domain: what an X.509-SVID of that trust
 * domain must chain to. Immutable; duplicate certificates are kept once, in first-seen order.
 * An empty bundle is valid and trusts nothing (Bundle §4.1.3: an empty key set revokes all keys).
 *
 * @example
 * const bundle = X509Bundle.fromPem(TrustDomain.fromString('example.org'), pemText);
 * bundle.x509Authorities().length;
 */
export class X509Bundle implements X509BundleSource {
  /** The trust domain these authorities belong to. */
  readonly trustDomain: TrustDomain;

  readonly #authorities: readonly X509Certificate[];

  /**
   * Builds a bundle from certificates already parsed; `authorities` is copied. The trust domain
   * may be given by name (`'example.org'`).
   */
  constructor(trustDomain: TrustDomainArg, authorities: Iterable<X509Certificate>) {
    this.trustDomain = toTrustDomain(trustDomain);
    this.#authorities = Object.freeze(uniqueCertificates(authorities));
    Object.freeze(this);
  }

  /**
   * Parses PEM text holding zero or more concatenated `CERTIFICATE` blocks. Any other block type
   * (a private key, a CRL) is an `ERR_BUNDLE_INVALID_PEM` error that names it.
   */
  static fromPem(td: TrustDomainArg, pem: string | Uint8Array): X509Bundle {
    const trustDomain = toTrustDomain(td);
    return new X509Bundle(trustDomain, parsePemCertificates(pem));
  }

  /** Parses concatenated DER certificates (the Workload API's `bundle` field form). */
  static fromDer(td: TrustDomainArg, der: Uint8Array): X509Bundle {
    const trustDomain = toTrustDomain(td);
    return new X509Bundle(trustDomain, parseDerCertificates(der));
  }

  /** The authorities, in order (a frozen array). */
  x509Authorities(): readonly X509Certificate[] {
    return this.#authorities;
  }

  /** True when `cert` (compared by its DER encoding) is one of the authorities. */
  hasX509Authority(cert: X509Certificate): boolean {
    return this.#authorities.some((a) => a.raw.equals(cert.raw));
  }

  /** True when this bundle has no authorities: every X.509-SVID of its trust domain is untrusted. */
  isEmpty(): boolean {
    return this.#authorities.length === 0;
  }

  /** Same trust domain and the same certificates in the same order. */
  equals(other: X509Bundle): boolean {
    return (
      this.trustDomain.equals(other.trustDomain) &&
      this.#authorities.length === other.#authorities.length &&
      this.#authorities.every((a, i) => a.raw.equals(other.#authorities[i]?.raw ?? Buffer.alloc(0)))
    );
  }

  /** Concatenated DER of the authorities, as the Workload API carries an X.509 bundle. */
  toDer(): Buffer {
    return Buffer.concat(this.#authorities.map((a) => a.raw));
  }

  /** PEM text of the authorities, one `CERTIFICATE` block each; empty string when empty. */
  toPem(): string {
    return this.#authorities.map(certificateToPem).join('');
  }

  /** This bundle when `td` is its trust domain, otherwise `undefined`. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    return this.trustDomain.equals(td) ? this : undefined;
  }
}

/**
 * The certificates without repeats, in first-seen order. Repeats are found through a set of the
 * exact DER bytes, so a bundle of thousands of authorities loads in linear time.
 */
function uniqueCertificates(certs: Iterable<X509Certificate>): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  for (const cert of certs) {
    if (!(cert instanceof X509Certificate)) {
      throw new TypeError('x509 bundle authorities must be node:crypto X509Certificate objects');
    }
    const der = cert.raw.toString('latin1');
    if (seen.has(der)) continue;
    assertUsableCertificateKey(cert, `x509 authority ${out.length}`);
    seen.add(der);
    out.push(cert);
  }
  return out;
}
