import type { X509Certificate } from 'node:crypto';
import type { X509BundleSource } from '../../bundle/index.js';
import type { SpiffeId } from '../../spiffeid/index.js';
import { certInfo } from './certinfo.js';
import { type CertificateInput, certLabel, decodeCertificates, publicKeyOf } from './decode.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';
import { verifyPath } from './path.js';
import { checkLeaf } from './rules.js';

/** Options of {@link verifyX509Svid}. */
export interface VerifyOptions {
  /** The instant the chain must be valid at; defaults to now. */
  at?: Date;
}

/** What a successful verification proves: the leaf's SPIFFE ID and the path that vouches for it. */
export interface VerifiedX509Svid {
  /** The SPIFFE ID of the leaf. */
  id: SpiffeId;
  /** The validated path: leaf first, then intermediates, then the bundle authority. */
  verifiedChain: X509Certificate[];
}

/**
 * Verifies a peer's X509-SVID chain (leaf first, then any intermediates) per X509-SVID §5:
 * the leaf rules of §5.2, then RFC 5280 path validation (§5.1) to an authority of the bundle of
 * the leaf's own trust domain. No host name is checked (C13): the identity is the SPIFFE ID.
 * `options` may be left out or `null`.
 */
export function verifyX509Svid(
  chain: CertificateInput,
  bundles: X509BundleSource,
  options?: VerifyOptions | null,
): VerifiedX509Svid {
  // `null` reads as no options, as `undefined` does.
  const at = validationInstant(options ?? {});
  if (typeof bundles?.getX509BundleForTrustDomain !== 'function') {
    throw new TypeError('bundles must be an X509BundleSource (getX509BundleForTrustDomain)');
  }
  const certs = decodeCertificates(chain);
  for (const [i, cert] of certs.entries()) certInfo(cert, certLabel(i));
  const id = checkLeaf(certInfo(certs[0] as X509Certificate, 'leaf'));
  // A peer's key at the ec point at infinity would abort whoever reads its details later.
  publicKeyOf(certs[0] as X509Certificate, 'leaf');

  // Workload API §4.6, Federation §7.3 (C12): the bundle is chosen by the leaf's trust domain only.
  const bundle = bundles.getX509BundleForTrustDomain(id.trustDomain);
  if (!bundle?.trustDomain.equals(id.trustDomain)) {
    throw new X509SvidError(
      X509SvidErrorCode.NoBundle,
      `no x509 bundle for trust domain "${id.trustDomain}" of leaf spiffe id "${id}"`,
    );
  }
  const verifiedChain = verifyPath(certs, bundle.x509Authorities(), at);
  return { id, verifiedChain };
}

/**
 * RFC 5280 §6.1.1 (b): the instant the path is checked at. An Invalid Date compares false with
 * every bound, which would let an expired chain through, so it is refused like a non-Date.
 */
function validationInstant(options: VerifyOptions): Date {
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new TypeError('option at must be a valid Date');
  }
  return at;
}
