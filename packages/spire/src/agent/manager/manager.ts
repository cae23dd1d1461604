import type { SpiffeBundle, SpiffeId } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import { selectorKey } from '../../common/selector/index.js';
import type { ServerApi } from '../client/server-api.js';
import type { AgentKeyType } from '../plugin/keymanager/index.js';
import type { CachedEntry } from './entry.js';
import { AgentManagerError, AgentManagerErrorCode } from './errors.js';
import { JwtFetcher } from './jwt-fetcher.js';
import type { Random } from './rotation.js';
import { BundleState } from './state.js';
import { Subscriber } from './subscribers.js';
import { EntryCache } from './svid-cache.js';
import { Synchronizer } from './synchronizer.js';
import type {
  SubscriptionSignal,
  WorkloadCacheView,
  WorkloadJwtSvid,
  WorkloadSelector,
  WorkloadState,
  WorkloadX509Identity,
} from './workload-view.js';

/** What {@link CacheManager} is built from. */
export interface CacheManagerOptions {
  /** The server API in use now; the agent swaps its client when its SVID rotates. */
  readonly api: () => ServerApi;
  /** The trust bundle the agent attested with. */
  readonly bundle: SpiffeBundle;
  readonly clock: Clock;
  readonly log: SpireLogger;
  /** `sync_interval` (default 5 s). */
  readonly syncIntervalMs: number;
  /** `workload_x509_svid_key_type` (default ec-p256). */
  readonly keyType: AgentKeyType;
  /** `x509_svid_cache_max_size`: soft limit of cached workload SVIDs (default 1000). */
  readonly x509SvidCacheMaxSize: number;
  /** `jwt_svid_cache_max_size`: hard limit of cached JWT-SVIDs (default 1000). */
  readonly jwtSvidCacheMaxSize: number;
  /** `jwt_svid_cache_hit_timeout`: how long a refresh may take before a cached token is served. */
  readonly jwtCacheHitTimeoutMs: number;
  /** Told when the trust domain's own bundle changed (the agent stores it, re-dials). */
  readonly onBundleChanged?: (bundle: SpiffeBundle) => void;
  /** Told about each failed sync of the loop (the agent decides: re-attest, shut down). */
  readonly onSyncError?: (err: unknown) => void;
  readonly random?: Random;
  /**
   * Called after a sync that minted at least 100 SVIDs (`RELEASE_MEMORY_AFTER_MINTED`), to give
   * the memory the burst freed back to the kernel; default `releaseAfterBurst` (glibc's
   * `malloc_trim` now and after the next full GC, `common/memory/release.ts`).
   */
  readonly releaseFreedMemory?: () => void;
}

/**
 * The agent's cache manager: keeps the authorized entries, bundles and workload SVIDs current by
 * syncing with the server every `sync_interval`, and serves them to workload-facing endpoints as
 * a {@link WorkloadCacheView}. Every change that alters what a subscriber would receive is pushed
 * to it at once; a subscriber whose state did not change hears nothing (C27, D28).
 */
export class CacheManager implements WorkloadCacheView {
  readonly cache = new EntryCache();
  /** The agent's own and federated bundles. */
  readonly bundleState: BundleState;
  readonly #subscribers = new Set<Subscriber>();
  readonly #jwt: JwtFetcher;
  readonly #sync: Synchronizer;
  #ready = false;

  constructor(options: CacheManagerOptions) {
    this.bundleState = new BundleState(options.bundle);
    this.#jwt = new JwtFetcher({
      api: options.api,
      clock: options.clock,
      log: options.log,
      maxSize: options.jwtSvidCacheMaxSize,
      hitTimeoutMs: options.jwtCacheHitTimeoutMs,
    });
    this.#sync = new Synchronizer({ ...options, manager: this });
  }

  /** Runs one sync now (entries, bundles, SVIDs); resolves when it is done. */
  synchronize(): Promise<void> {
    return this.#sync.runOnce();
  }

  /** Starts syncing every `sync_interval`, the first one after `firstDelayMs`. */
  start(firstDelayMs = 0): void {
    this.#sync.start(firstDelayMs);
  }

  /** Stops syncing; open subscriptions end when their signals abort. */
  stop(): Promise<void> {
    return this.#sync.stop();
  }

  /** Marks the first successful sync. */
  markReady(): void {
    this.#ready = true;
  }

  ready(): boolean {
    return this.#ready;
  }

  /** Entry ids that some open subscription matches (their SVIDs are never evicted). */
  subscribedEntryIds(): Set<string> {
    const ids = new Set<string>();
    for (const sub of this.#subscribers) {
      for (const entry of this.cache.matching(sub.keys)) ids.add(entry.id);
    }
    return ids;
  }

  snapshot(selectors: readonly WorkloadSelector[]): WorkloadState {
    return this.#state(selectorKeys(selectors));
  }

  async *subscribe(
    selectors: readonly WorkloadSelector[],
    signal: SubscriptionSignal,
  ): AsyncIterable<WorkloadState> {
    const sub = new Subscriber(selectorKeys(selectors));
    this.#subscribers.add(sub);
    try {
      const first = this.#state(sub.keys);
      sub.sent(first);
      yield first;
      for (let next = await sub.next(signal); next; next = await sub.next(signal)) yield next;
    } finally {
      this.#subscribers.delete(sub);
    }
  }

  async fetchJwtSvids(
    selectors: readonly WorkloadSelector[],
    audience: readonly string[],
    spiffeId?: SpiffeId,
  ): Promise<WorkloadJwtSvid[]> {
    if (audience.length === 0) {
      throw new AgentManagerError(
        AgentManagerErrorCode.InvalidArgument,
        'audience must name at least one audience (JWT-SVID §3)',
      );
    }
    const chosen = new Map<string, CachedEntry>();
    for (const entry of this.cache.matching(selectorKeys(selectors))) {
      if (spiffeId && !entry.spiffeId.equals(spiffeId)) continue;
      const id = entry.spiffeId.toString();
      if (!chosen.has(id)) chosen.set(id, entry);
    }
    const out: WorkloadJwtSvid[] = [];
    for (const entry of chosen.values()) out.push(await this.#jwt.fetch(entry, audience));
    return out;
  }

  bundles(): { bundle: SpiffeBundle; federated: ReadonlyMap<string, SpiffeBundle> } {
    return { bundle: this.bundleState.bundle, federated: this.bundleState.federated };
  }

  /** Pushes the current state to every subscriber whose state changed. */
  notify(): void {
    for (const sub of this.#subscribers) sub.offer(this.#state(sub.keys));
  }

  /** Drops JWT-SVIDs of SPIFFE IDs no cached entry has any more. */
  pruneJwtSvids(): void {
    const ids = new Set<string>();
    for (const entry of this.cache.entries().values()) ids.add(entry.spiffeId.toString());
    this.#jwt.retain(ids);
  }

  #state(keys: ReadonlySet<string>): WorkloadState {
    const identities: WorkloadX509Identity[] = [];
    const tds = new Set<string>();
    for (const entry of this.cache.matching(keys)) {
      const svid = this.cache.svids().get(entry.id);
      if (!svid) continue;
      this.cache.touch(entry.id);
      identities.push(svid);
      for (const td of entry.federatesWith) tds.add(td);
    }
    const federatedBundles = new Map<string, SpiffeBundle>();
    for (const td of [...tds].sort()) {
      const bundle = this.bundleState.federated.get(td);
      if (bundle) federatedBundles.set(td, bundle);
    }
    return { identities, bundle: this.bundleState.bundle, federatedBundles };
  }
}

function selectorKeys(selectors: readonly WorkloadSelector[]): Set<string> {
  const keys = new Set<string>();
  for (const s of selectors) {
    // A malformed workload selector cannot equal any entry selector; leaving it out is exact.
    const key = selectorKey(s.type, s.value);
    if (key !== undefined) keys.add(key);
  }
  return keys;
}

/** Log fields for an entry. */
export function entryFields(entry: CachedEntry): Record<string, string> {
  return { [LogField.RegistrationId]: entry.id, [LogField.SpiffeId]: entry.spiffeId.toString() };
}
