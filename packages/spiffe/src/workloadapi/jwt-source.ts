import type { BundleSet, JwtBundle, JwtBundleSource } from '../bundle/index.js';
import { JwtSvidCache, type JwtSvidCacheOptions } from '../jwt/cache.js';
import type { SpiffeId, TrustDomain } from '../spiffeid/index.js';
import { JwtSvid, type JwtSvidValidateOptions } from '../svid/jwt/index.js';
import { type Feed, SourceCore, type SourceOptions } from './source-core.js';

/** Options of {@link JwtSource.create}. */
export interface JwtSourceOptions extends SourceOptions {
  /** Token cache tuning (refresh point, size). */
  cache?: JwtSvidCacheOptions;
}

/**
 * JWT-SVIDs on demand (cached, refreshed before expiry) and JWT bundles kept current from the
 * Workload API (go-spiffe's `JWTSource`). Validates peers' tokens locally with the bundle of the
 * token subject's trust domain.
 *
 * @example
 * const jwt = await JwtSource.create();
 * const svid = await jwt.fetchJwtSvid({ audience: ['spiffe://example.org/api'] });
 * const peer = jwt.validate(token, ['spiffe://example.org/api']);
 */
export class JwtSource extends SourceCore implements JwtBundleSource {
  #bundles: BundleSet | undefined;
  readonly #cache: JwtSvidCache;

  private constructor(options: JwtSourceOptions) {
    super(options);
    this.#cache = new JwtSvidCache(this.client, options.cache);
  }

  /** Starts the JWT bundle watch and resolves on its first update. */
  static async create(options: JwtSourceOptions = {}): Promise<JwtSource> {
    const source = new JwtSource(options);
    const feed: Feed<BundleSet> = {
      what: 'jwt bundles',
      watch: (client, opts) => client.watchJwtBundles(opts),
      apply: (set) => {
        source.#bundles = set;
      },
    };
    await source.start([feed as Feed<unknown>], options.timeoutMs);
    return source;
  }

  /** A JWT-SVID for `audience` (and `subject`, else the default identity), from the cache when fresh. */
  fetchJwtSvid(params: {
    audience: readonly string[];
    subject?: SpiffeId | string;
  }): Promise<JwtSvid> {
    this.requireOpen('jwt source');
    return this.#cache.get(params);
  }

  /** Validates a peer's token locally for one of `audience` (JWT-SVID §4). */
  validate(
    token: string,
    audience: readonly string[],
    options: JwtSvidValidateOptions = {},
  ): JwtSvid {
    return JwtSvid.parseAndValidate(token, this, audience, options);
  }

  /** The current JWT bundles. */
  getJwtBundleSet(): BundleSet {
    this.requireOpen('jwt source');
    return this.#bundles as BundleSet;
  }

  /** The current JWT bundle of `td`, or `undefined` (then tokens of `td` are untrusted). */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined {
    return this.getJwtBundleSet().getJwtBundleForTrustDomain(td);
  }
}
