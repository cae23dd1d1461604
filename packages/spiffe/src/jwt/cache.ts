import type { SpiffeId } from '../spiffeid/index.js';
import type { JwtSvid } from '../svid/jwt/index.js';

/** What the cache fetches from: a {@link WorkloadApiClient} fits. */
export interface JwtSvidFetcher {
  fetchJwtSvids(params: {
    audience: readonly string[];
    subject?: SpiffeId | string;
  }): Promise<JwtSvid[]>;
}

/** Options of {@link JwtSvidCache}. */
export interface JwtSvidCacheOptions {
  /** Refresh once this share of the token's lifetime (iat to exp) has passed; default 0.5. */
  refreshRatio?: number;
  /** Most entries kept; the oldest goes first (default 1 000). */
  maxEntries?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

interface Entry {
  svid: JwtSvid;
  refreshAtMs: number;
}

/** Used when a token carries no usable `iat`: refresh this long before `exp`. */
const NO_IAT_MARGIN_MS = 30_000;

/**
 * Caches JWT-SVIDs per (subject, audience set) and fetches a new one once half the token's
 * lifetime has passed, so every request does not cost a workload attestation (java-spiffe #115).
 * The key holds the subject and the sorted, de-duplicated audiences as a JSON array, so two
 * different audience lists never share an entry (bug case C19). Concurrent misses share one fetch.
 *
 * @example
 * const cache = new JwtSvidCache(client);
 * const svid = await cache.get({ audience: ['spiffe://example.org/api'] });
 */
export class JwtSvidCache {
  readonly #fetcher: JwtSvidFetcher;
  readonly #ratio: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<JwtSvid>>();

  constructor(fetcher: JwtSvidFetcher, options: JwtSvidCacheOptions = {}) {
    this.#fetcher = fetcher;
    this.#ratio = options.refreshRatio ?? 0.5;
    this.#max = options.maxEntries ?? 1_000;
    this.#now = options.now ?? Date.now;
    if (!(this.#ratio > 0 && this.#ratio <= 1))
      throw new RangeError('refreshRatio must be in (0, 1]');
  }

  /** The cache key of a request: subject and sorted unique audiences (C19). */
  static key(audience: readonly string[], subject?: SpiffeId | string): string {
    return JSON.stringify([
      subject === undefined ? '' : String(subject),
      [...new Set(audience)].sort(),
    ]);
  }

  /** A fresh JWT-SVID for `audience` (and `subject`, else the default identity). */
  async get(params: {
    audience: readonly string[];
    subject?: SpiffeId | string;
  }): Promise<JwtSvid> {
    const key = JwtSvidCache.key(params.audience, params.subject);
    const hit = this.#entries.get(key);
    if (hit && this.#now() < hit.refreshAtMs) return hit.svid;

    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const fetching = this.#fetch(key, params).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, fetching);
    return fetching;
  }

  /** Forgets every cached token. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#entries.size;
  }

  async #fetch(
    key: string,
    params: { audience: readonly string[]; subject?: SpiffeId | string },
  ): Promise<JwtSvid> {
    const [svid] = await this.#fetcher.fetchJwtSvids(params);
    const got = svid as JwtSvid;
    this.#entries.delete(key);
    this.#entries.set(key, { svid: got, refreshAtMs: this.#refreshAt(got) });
    while (this.#entries.size > this.#max) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    return got;
  }

  #refreshAt(svid: JwtSvid): number {
    const exp = svid.expiresAt.getTime();
    const iat = svid.claims.iat;
    if (typeof iat !== 'number' || iat * 1000 >= exp) return exp - NO_IAT_MARGIN_MS;
    return iat * 1000 + (exp - iat * 1000) * this.#ratio;
  }
}
