import { SpiffeId } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { JWTSVID } from '../../gen/spire/api/types/jwtsvid_pb.js';
import type { ServerApi } from '../client/server-api.js';
import type { CachedEntry } from './entry.js';
import { AgentManagerError, AgentManagerErrorCode } from './errors.js';
import { JwtSvidCache, jwtCacheKey, jwtIsFresh } from './jwt-cache.js';
import type { WorkloadJwtSvid } from './workload-view.js';

/** What {@link JwtFetcher} needs. */
export interface JwtFetcherOptions {
  readonly api: () => ServerApi;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly maxSize: number;
  readonly hitTimeoutMs: number;
}

/**
 * Fetches JWT-SVIDs on demand with `SVID.NewJWTSVID` and caches them per (SPIFFE ID, audience
 * set). A cached token is reused while more than half its lifetime remains; when the server fails
 * or takes longer than `jwt_svid_cache_hit_timeout`, a still-valid cached token is served instead
 * (reference §4.4; SPIRE #6454).
 */
export class JwtFetcher {
  readonly #o: JwtFetcherOptions;
  readonly #cache: JwtSvidCache;

  constructor(options: JwtFetcherOptions) {
    this.#o = options;
    this.#cache = new JwtSvidCache(options.maxSize);
  }

  /** A token for the entry's SPIFFE ID and the audience. */
  async fetch(entry: CachedEntry, audience: readonly string[]): Promise<WorkloadJwtSvid> {
    const key = jwtCacheKey(entry.spiffeId.toString(), audience);
    const cached = this.#cache.get(key);
    const now = this.#o.clock.now();
    if (cached && jwtIsFresh(cached, now)) return cached;

    const stillValid = cached && cached.expiresAtMs > now ? cached : undefined;
    const request = this.#request(entry, audience);
    if (!stillValid) return request;
    request.catch(() => undefined);
    const fallback = new Promise<WorkloadJwtSvid>((resolve) => {
      this.#o.clock.setTimer(this.#o.hitTimeoutMs, () => resolve(stillValid));
    });
    try {
      return await Promise.race([request, fallback]);
    } catch (err) {
      this.#o.log.warn(
        { [LogField.Error]: err, [LogField.SpiffeId]: entry.spiffeId.toString() },
        'Failed to refresh JWT-SVID; serving the cached one',
      );
      return stillValid;
    }
  }

  /** Keeps only tokens whose SPIFFE ID is in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    this.#cache.retain((svid) => ids.has(svid.spiffeId.toString()));
  }

  async #request(entry: CachedEntry, audience: readonly string[]): Promise<WorkloadJwtSvid> {
    let proto: JWTSVID;
    try {
      proto = await this.#o.api().newJwtSvid(entry.id, audience);
    } catch (err) {
      throw new AgentManagerError(
        AgentManagerErrorCode.JwtUnavailable,
        `failed to fetch a jwt-svid for ${entry.spiffeId}: the server did not answer and no valid token is cached`,
        { cause: err },
      );
    }
    const svid = jwtFromProto(proto, entry);
    // D31: the token is cached under the SPIFFE ID the server signed, not the one asked for.
    this.#cache.set(jwtCacheKey(svid.spiffeId.toString(), audience), svid);
    return svid;
  }
}

function jwtFromProto(proto: JWTSVID, entry: CachedEntry): WorkloadJwtSvid {
  if (!proto.token || !proto.id || proto.expiresAt <= 0n) {
    throw new AgentManagerError(
      AgentManagerErrorCode.BadSvid,
      `server returned an incomplete jwt-svid for entry ${entry.id}: token, id and expires_at are required`,
    );
  }
  return Object.freeze({
    spiffeId: SpiffeId.fromPath(proto.id.trustDomain, proto.id.path),
    token: proto.token,
    hint: proto.hint || entry.hint,
    expiresAtMs: Number(proto.expiresAt) * 1000,
    issuedAtMs: Number(proto.issuedAt) * 1000,
  });
}
