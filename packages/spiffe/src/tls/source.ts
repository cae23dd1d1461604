import type { BundleSet } from '../bundle/index.js';
import type { X509Svid } from '../svid/x509/index.js';

/** Where TLS gets the SVID to present and the bundles to verify peers: {@link X509Source} fits. */
export interface X509TlsSource {
  /** The SVID to present now. */
  getX509Svid(): X509Svid;
  /** The bundles of every trusted trust domain now. */
  getX509BundleSet(): BundleSet;
}

/** A source that never changes, e.g. from files: `fixedTlsSource(X509Svid.parse(...), set)`. */
export function fixedTlsSource(svid: X509Svid, bundles: BundleSet): X509TlsSource {
  return { getX509Svid: () => svid, getX509BundleSet: () => bundles };
}
