import type { TrustDomain } from '../spiffeid/index.js';
import type { JwtBundle } from './jwt-bundle.js';
import type { X509Bundle } from './x509-bundle.js';

/** Anything that can hand out the X.509 authorities of a trust domain (a bundle, a set, a source). */
export interface X509BundleSource {
  /** The X.509 bundle of `td`, or `undefined` when this source has none for it. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined;
}

/** Anything that can hand out the JWT authorities of a trust domain (a bundle, a set, a source). */
export interface JwtBundleSource {
  /** The JWT bundle of `td`, or `undefined` when this source has none for it. */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined;
}
