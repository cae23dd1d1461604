import { createHash } from 'node:crypto';
import type { WorkloadJwtSvid } from './workload-view.js';

/**
 * The JWT-SVID cache key of one SPIFFE ID and audience set: SHA-256 over the JSON list of the ID
 * followed by the sorted audiences, in base64. JSON quotes and escapes every member, so
 * `["ab","cd"]` and `["a","bcd"]` (C19, JWT-C1), or `["a,b"]` and `["a","b"]`, never share a key;
 * an audience set given in another order is the same request (JWT-C2) and shares one.
 */
export function jwtCacheKey(spiffeId: string, audience: readonly string[]): string {
  const members = JSON.stringify([spiffeId, ...[...audience].sort()]);
  return createHash('sha256').update(members).digest('base64');
}

/**
 * JWT-SVIDs by {@link jwtCacheKey}, bounded by `jwt_svid_cache_max_size` (a hard limit: the least
 * recently used token goes first).
 */
export class JwtSvidCache {
  readonly #max: number;
  readonly #tokens = new Map<string, WorkloadJwtSvid>();

  constructor(maxSize: number) {
    this.#max = Math.max(1, maxSize);
  }

  /** The cached token under `key`, marking it recently used. */
  get(key: string): WorkloadJwtSvid | undefined {
    const svid = this.#tokens.get(key);
    if (svid) {
      this.#tokens.delete(key);
      this.#tokens.set(key, svid);
    }
    return svid;
  }

  /** Stores a token, evicting the least recently used one beyond the limit. */
  set(key: string, svid: WorkloadJwtSvid): void {
    this.#tokens.delete(key);
    this.#tokens.set(key, svid);
    while (this.#tokens.size > this.#max) {
      const oldest = this.#tokens.keys().next().value as string;
      this.#tokens.delete(oldest);
    }
  }

  /** Drops every token of a SPIFFE ID no longer served (its entries were removed). */
  retain(keep: (svid: WorkloadJwtSvid) => boolean): void {
    for (const [key, svid] of this.#tokens) if (!keep(svid)) this.#tokens.delete(key);
  }

  get size(): number {
    return this.#tokens.size;
  }
}

/** True while more than half of the token's lifetime remains (reference §4.4). */
export function jwtIsFresh(svid: WorkloadJwtSvid, nowMs: number): boolean {
  const halfLife = (svid.expiresAtMs - svid.issuedAtMs) / 2;
  return svid.expiresAtMs - nowMs > halfLife;
}
