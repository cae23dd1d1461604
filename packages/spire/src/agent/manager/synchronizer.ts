import type { SpiffeBundle } from '@spire-ts/spiffe';
import { checkX509SvidDer, TrustDomain } from '@spire-ts/spiffe';
import type { Timer } from '../../common/clock/index.js';
import { LogField } from '../../common/log/index.js';
import { releaseAfterBurst } from '../../common/memory/release.js';
import type { X509SVID } from '../../gen/spire/api/types/x509svid_pb.js';
import { bundleFromProto } from '../client/bundle.js';
import type { ServerApi } from '../client/server-api.js';
import { buildWorkloadCsr } from '../keymanager/csr.js';
import { newWorkloadKey, type WorkloadKey } from '../plugin/keymanager/index.js';
import { type CachedEntry, cachedEntry } from './entry.js';
import type { CacheManager, CacheManagerOptions } from './manager.js';
import { entryFields } from './manager.js';
import { type Random, shouldRotate } from './rotation.js';
import { federatedTrustDomains } from './state.js';
import { cachedSvid } from './svid-cache.js';

/** Most CSRs sent in one `BatchNewX509SVID` call: the server's per-IP signing limit (§2.2). */
export const MAX_CSRS_PER_BATCH = 500;
/**
 * A sync that minted this many SVIDs gives the C-heap memory it freed back to the kernel: keys,
 * CSRs and server responses of a burst (a first sync, a mass rotation) are garbage once cached,
 * and without it the agent stays resident at the burst's high-water mark (issue 4, docs/agent.md
 * "Memory"). Smaller syncs leave the allocator its free lists.
 */
export const RELEASE_MEMORY_AFTER_MINTED = 100;
/** Sync interval jitter, ±10% (reference §4.4). */
const SYNC_JITTER = 0.1;
/** Backoff growth after a failed sync. */
const BACKOFF_FACTOR = 1.5;
/** Longest wait between failing syncs: min(8 minutes, 48 sync intervals). */
const MAX_BACKOFF_MS = 8 * 60_000;
const MAX_BACKOFF_INTERVALS = 48;

/** What the {@link Synchronizer} needs: the manager's options and the manager. */
export interface SynchronizerOptions extends CacheManagerOptions {
  readonly manager: CacheManager;
}

/**
 * The sync loop (reference §4.4): every `sync_interval` (±10%), fetch the authorized entries,
 * the bundle and the federated bundles of the entries' `federates_with`, then mint SVIDs for
 * entries that lack a fresh one, 500 CSRs per batch. A failed sync backs off ×1.5 per failure up
 * to min(8 min, 48 intervals) (only up to one interval while no SVID is cached).
 */
export class Synchronizer {
  readonly #o: SynchronizerOptions;
  readonly #random: Random;
  #running: Promise<void> | undefined;
  #timer: Timer | undefined;
  #failures = 0;
  #stopped = true;

  constructor(options: SynchronizerOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Starts the loop; the first sync runs after `firstDelayMs`. */
  start(firstDelayMs = 0): void {
    this.#stopped = false;
    this.#schedule(firstDelayMs);
  }

  /** Stops the loop; resolves once a sync under way has finished (its files written). */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    return (this.#running ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Runs one sync after any sync under way; rejects with its error. */
  runOnce(): Promise<void> {
    const previous = this.#running ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#cycle());
    this.#running = run;
    return run;
  }

  #schedule(delayMs: number): void {
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimer(delayMs, () => void this.#tick());
  }

  async #tick(): Promise<void> {
    try {
      await this.runOnce();
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      this.#o.log.error({ [LogField.Error]: err }, 'Synchronization failed');
      this.#o.onSyncError?.(err);
    }
    if (!this.#stopped) this.#schedule(this.#nextDelayMs());
  }

  #nextDelayMs(): number {
    const interval = this.#o.syncIntervalMs;
    if (this.#failures === 0) {
      return interval * (1 + (this.#random() * 2 - 1) * SYNC_JITTER);
    }
    const cap =
      this.#o.manager.cache.svids().size === 0
        ? interval
        : Math.min(MAX_BACKOFF_MS, MAX_BACKOFF_INTERVALS * interval);
    return Math.min(cap, interval * BACKOFF_FACTOR ** this.#failures);
  }

  async #cycle(): Promise<void> {
    const api = this.#o.api();
    const { manager } = this.#o;
    await this.#syncEntries(api);
    await this.#syncBundles(api);
    manager.pruneJwtSvids();
    const minted = await this.#mintSvids(api);
    this.#evict();
    manager.markReady();
    if (minted >= RELEASE_MEMORY_AFTER_MINTED) (this.#o.releaseFreedMemory ?? releaseAfterBurst)();
  }

  async #syncEntries(api: ServerApi): Promise<void> {
    const { manager, log } = this.#o;
    // The cached entries carry their revision and creation time: all the sync asks of them.
    const held = manager.cache.entries();
    const { kept, fetched } = await api.fetchEntries(held);
    const entries: CachedEntry[] = [];
    for (const id of kept) {
      const entry = held.get(id);
      if (entry) entries.push(entry);
    }
    for (const proto of fetched) {
      const entry = cachedEntry(proto, manager.cache.interner);
      if (entry) entries.push(entry);
      else
        log.warn({ [LogField.RegistrationId]: proto.id }, 'Received malformed entry from server');
    }
    if (manager.cache.replaceEntries(entries)) manager.notify();
  }

  async #syncBundles(api: ServerApi): Promise<void> {
    const { manager, log } = this.#o;
    const own = bundleFromProto(await api.fetchBundle(), manager.bundleState.trustDomain);
    let changed = manager.bundleState.setBundle(own);
    if (changed) this.#o.onBundleChanged?.(own);
    const fetched = new Map<string, SpiffeBundle | undefined>();
    for (const td of federatedTrustDomains(manager.cache.entries().values())) {
      const proto = await api.fetchFederatedBundle(td);
      if (!proto) log.warn({ [LogField.TrustDomain]: td }, 'Federated bundle not found');
      fetched.set(td, proto ? bundleFromProto(proto, TrustDomain.fromString(td)) : undefined);
    }
    changed = manager.bundleState.setFederated(fetched) || changed;
    if (changed) manager.notify();
  }

  /** Mints what {@link #entriesToMint} finds; returns how many SVIDs were asked for. */
  async #mintSvids(api: ServerApi): Promise<number> {
    const todo = this.#entriesToMint();
    for (let i = 0; i < todo.length; i += MAX_CSRS_PER_BATCH) {
      await this.#mintBatch(api, todo.slice(i, i + MAX_CSRS_PER_BATCH));
      this.#o.manager.notify();
    }
    return todo.length;
  }

  /** Entries whose SVID is missing, minted for another revision, or past its rotation point. */
  #entriesToMint(): CachedEntry[] {
    const { manager, clock } = this.#o;
    const now = clock.now();
    const subscribed = manager.subscribedEntryIds();
    const renew: CachedEntry[] = [];
    const wanted: CachedEntry[] = [];
    const optional: CachedEntry[] = [];
    for (const entry of manager.cache.entries().values()) {
      const svid = manager.cache.svids().get(entry.id);
      if (!svid) (subscribed.has(entry.id) ? wanted : optional).push(entry);
      else if (!svid.mintedFor(entry)) renew.push(entry);
      else if (shouldRotate(now, svid.notBeforeMs, svid.notAfterMs, this.#random))
        renew.push(entry);
    }
    // x509_svid_cache_max_size is soft: subscribed entries always get SVIDs, others while room.
    const room = Math.max(
      0,
      this.#o.x509SvidCacheMaxSize - manager.cache.svids().size - wanted.length,
    );
    return [...renew, ...wanted, ...optional.slice(0, room)];
  }

  async #mintBatch(api: ServerApi, batch: readonly CachedEntry[]): Promise<void> {
    // Keys as DER, not KeyObjects: native key objects would linger until a full GC (issue 4).
    const keys = await Promise.all(batch.map(() => newWorkloadKey(this.#o.keyType)));
    const requests = batch.map((entry, i) => ({
      entryId: entry.id,
      csr: buildWorkloadCsr(keys[i] as WorkloadKey),
    }));
    const results = await api.newX509Svids(requests);
    batch.forEach((entry, i) => {
      const proto = results[i];
      if (!proto) {
        this.#o.log.warn(entryFields(entry), 'Failed to mint X509 SVID');
        return;
      }
      this.#store(entry, proto, keys[i] as WorkloadKey);
    });
  }

  #store(entry: CachedEntry, proto: X509SVID, key: WorkloadKey): void {
    const { manager, log } = this.#o;
    try {
      // Every X509-SVID rule of the SDK's parse, and the leaf must certify the key made for it;
      // read from the DER: no X509Certificate or KeyObject per SVID to linger until a full GC
      // (issue 4).
      const svid = checkX509SvidDer(proto.certChain, key.spki);
      if (!svid.id.equals(entry.spiffeId)) {
        throw new Error(`svid is for ${svid.id}, entry is for ${entry.spiffeId}`);
      }
      manager.cache.putSvid(cachedSvid(entry, svid, key.pkcs8));
    } catch (err) {
      log.warn(
        { ...entryFields(entry), [LogField.Error]: err },
        'Server returned an unusable X509 SVID',
      );
    }
  }

  #evict(): void {
    const { manager } = this.#o;
    const excess = manager.cache.svids().size - this.#o.x509SvidCacheMaxSize;
    if (excess <= 0) return;
    const subscribed = manager.subscribedEntryIds();
    const victims: string[] = [];
    for (const id of manager.cache.leastRecentlyUsed()) {
      if (victims.length >= excess) break;
      if (!subscribed.has(id)) victims.push(id);
    }
    for (const id of victims) manager.cache.evictSvid(id);
  }
}
