import type { TrustDomain } from '../spiffeid/index.js';
import { JwtBundle } from './jwt-bundle.js';
import type { JwtBundleSource, X509BundleSource } from './source.js';
import { SpiffeBundle } from './spiffe-bundle.js';
import { type TrustDomainArg, toTrustDomain } from './trust-domain-arg.js';
import { X509Bundle } from './x509-bundle.js';

/**
 * Bundles of several trust domains, at most one per trust domain, e.g. a workload's own bundle
 * and its federated ones (Workload API §5.2.1, bug case C26). Serves both source interfaces, so
 * an SVID is always checked against the bundle of its own trust domain. Iteration is in trust
 * domain name order, whatever the order of insertion.
 *
 * @example
 * const set = new BundleSet([ownBundle, federatedBundle]);
 * set.getX509BundleForTrustDomain(TrustDomain.fromString('other.org'));
 */
export class BundleSet implements X509BundleSource, JwtBundleSource, Iterable<SpiffeBundle> {
  readonly #bundles = new Map<string, SpiffeBundle>();

  /** A set holding `bundles`; a later bundle of the same trust domain replaces an earlier one. */
  constructor(bundles: Iterable<SpiffeBundle | X509Bundle | JwtBundle> = []) {
    for (const bundle of bundles) this.add(bundle);
  }

  /**
   * Adds the bundle of its trust domain, replacing the whole entry there if there was one, and
   * returns the replaced bundle. An {@link X509Bundle} or {@link JwtBundle} is stored as a SPIFFE
   * bundle with only that kind of authority.
   */
  add(bundle: SpiffeBundle | X509Bundle | JwtBundle): SpiffeBundle | undefined {
    const spiffe = toSpiffeBundle(bundle);
    const previous = this.#bundles.get(spiffe.trustDomain.name);
    this.#bundles.set(spiffe.trustDomain.name, spiffe);
    return previous;
  }

  /** Removes the bundle of `td` (a TrustDomain or a name); true when there was one. */
  remove(td: TrustDomainArg): boolean {
    return this.#bundles.delete(toTrustDomain(td).name);
  }

  /** Removes every bundle. */
  clear(): void {
    this.#bundles.clear();
  }

  /** The bundle of `td` (a TrustDomain or a name), or `undefined`. */
  get(td: TrustDomainArg): SpiffeBundle | undefined {
    return this.#bundles.get(toTrustDomain(td).name);
  }

  /** True when the set has a bundle for `td` (a TrustDomain or a name). */
  has(td: TrustDomainArg): boolean {
    return this.#bundles.has(toTrustDomain(td).name);
  }

  /** Number of trust domains in the set. */
  get size(): number {
    return this.#bundles.size;
  }

  /** The trust domains, in name order. */
  trustDomains(): TrustDomain[] {
    return this.bundles().map((b) => b.trustDomain);
  }

  /** The bundles, in trust domain name order. */
  bundles(): SpiffeBundle[] {
    return [...this.#bundles.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, bundle]) => bundle);
  }

  /** Iterates the bundles in trust domain name order. */
  [Symbol.iterator](): Iterator<SpiffeBundle> {
    return this.bundles()[Symbol.iterator]();
  }

  /** The X.509 authorities of `td` (possibly empty), or `undefined` when `td` is not in the set. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    return this.get(td)?.x509Bundle();
  }

  /** The JWT authorities of `td` (possibly empty), or `undefined` when `td` is not in the set. */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined {
    return this.get(td)?.jwtBundle();
  }
}

function toSpiffeBundle(bundle: SpiffeBundle | X509Bundle | JwtBundle): SpiffeBundle {
  if (bundle instanceof SpiffeBundle) return bundle;
  if (bundle instanceof X509Bundle) return SpiffeBundle.fromX509Bundle(bundle);
  if (bundle instanceof JwtBundle) return SpiffeBundle.fromJwtBundle(bundle);
  throw new TypeError('a bundle set holds SpiffeBundle, X509Bundle or JwtBundle objects');
}
