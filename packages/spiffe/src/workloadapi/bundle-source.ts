import type {
  BundleSet,
  JwtBundle,
  JwtBundleSource,
  X509Bundle,
  X509BundleSource,
} from '../bundle/index.js';
import type { TrustDomain } from '../spiffeid/index.js';
import { type Feed, SourceCore, type SourceOptions } from './source-core.js';

/**
 * X.509 and JWT bundles of every trust domain the workload trusts, kept current from the
 * FetchX509Bundles and FetchJWTBundles streams (go-spiffe's `BundleSource`). For workloads that
 * only verify peers and need no SVID of their own.
 *
 * @example
 * const bundles = await BundleSource.create();
 * X509Svid.verify(peerChain, bundles);
 */
export class BundleSource extends SourceCore implements X509BundleSource, JwtBundleSource {
  #x509: BundleSet | undefined;
  #jwt: BundleSet | undefined;

  /** Starts both watches and resolves once each delivered its first update. */
  static async create(options: SourceOptions = {}): Promise<BundleSource> {
    const source = new BundleSource(options);
    const x509: Feed<BundleSet> = {
      what: 'x509 bundles',
      watch: (client, opts) => client.watchX509Bundles(opts),
      apply: (set) => {
        source.#x509 = set;
      },
    };
    const jwt: Feed<BundleSet> = {
      what: 'jwt bundles',
      watch: (client, opts) => client.watchJwtBundles(opts),
      apply: (set) => {
        source.#jwt = set;
      },
    };
    await source.start([x509, jwt] as Feed<unknown>[], options.timeoutMs);
    return source;
  }

  /** The current X.509 bundles. */
  getX509BundleSet(): BundleSet {
    this.requireOpen('bundle source');
    return this.#x509 as BundleSet;
  }

  /** The current JWT bundles. */
  getJwtBundleSet(): BundleSet {
    this.requireOpen('bundle source');
    return this.#jwt as BundleSet;
  }

  /** The current X.509 bundle of `td`, or `undefined`. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    return this.getX509BundleSet().getX509BundleForTrustDomain(td);
  }

  /** The current JWT bundle of `td`, or `undefined`. */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined {
    return this.getJwtBundleSet().getJwtBundleForTrustDomain(td);
  }
}
