import type { KeyObject, X509Certificate } from 'node:crypto';
import { type CachedEntry, EntryInterner } from './entry.js';
import { chainValidity } from './rotation.js';
import type { WorkloadX509Identity } from './workload-view.js';

/**
 * A workload X509-SVID the agent holds for one entry. It is itself what workloads are handed (one
 * object per SVID, not two): built once, so equal state compares by identity (C27).
 */
export interface CachedSvid extends WorkloadX509Identity {
  /** The entry revision the SVID was minted for; a newer revision re-mints it (D07). */
  readonly revision: bigint;
  readonly notBeforeMs: number;
  /** The earliest notAfter of the chain (C28). */
  readonly notAfterMs: number;
}

/**
 * Builds the cached form of a freshly minted (and already verified) SVID. The parsed certificates
 * and key are not kept: the chain and key are stored as DER in one buffer, with the times read
 * from them, so the cache holds no native OpenSSL objects per SVID (issue 4).
 */
export function cachedSvid(
  entry: CachedEntry,
  certificates: readonly X509Certificate[],
  privateKey: KeyObject,
): CachedSvid {
  const { notBeforeMs, notAfterMs } = chainValidity(certificates);
  const key = privateKey.export({ type: 'pkcs8', format: 'der' });
  const bytes = ownBytes([...certificates.map((cert) => cert.raw), key]);
  const chainLength = bytes.length - key.length;
  return Object.freeze({
    entryId: entry.id,
    spiffeId: entry.spiffeId,
    hint: entry.hint,
    certChainDer: bytes.subarray(0, chainLength),
    privateKeyPkcs8: bytes.subarray(chainLength),
    expiresAtMs: Date.parse((certificates[0] as X509Certificate).validTo),
    federatesWith: entry.federatesWith,
    entryCreatedAt: Number(entry.createdAt),
    revision: entry.revision,
    notBeforeMs,
    notAfterMs,
  });
}

// One exact-size allocation for chain and key (the two fields are views of it): not a slice of
// Node's shared Buffer pool, which would keep a whole 8 KiB slab alive per long-lived SVID.
function ownBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The agent's entries and workload SVIDs, indexed by selector so a workload's entries are found
 * from its own selectors without scanning every entry.
 */
export class EntryCache {
  /** Shares selector strings and trust domains among the cached entries. */
  readonly interner = new EntryInterner();
  readonly #entries = new Map<string, CachedEntry>();
  /** Entry ids by selector key: one id alone (most selectors), or a set when several share it. */
  readonly #bySelector = new Map<string, string | Set<string>>();
  /** SVIDs by entry id, in order of last use, least recent first (for the soft LRU limit). */
  readonly #svids = new Map<string, CachedSvid>();

  /** Every cached entry by id. */
  entries(): ReadonlyMap<string, CachedEntry> {
    return this.#entries;
  }

  /** Cached SVIDs by entry id (iterated least recently used first). */
  svids(): ReadonlyMap<string, CachedSvid> {
    return this.#svids;
  }

  /**
   * Replaces the entry set. Returns true when anything a workload sees changed: an entry came,
   * went, or changed revision (or was created anew under its id). An entry equal in both keeps
   * the cached object. SVIDs of removed entries are dropped at once (D27).
   */
  replaceEntries(next: readonly CachedEntry[]): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const entry of next) {
      seen.add(entry.id);
      const old = this.#entries.get(entry.id);
      if (old && old.revision === entry.revision && old.createdAt === entry.createdAt) continue;
      if (old) this.#unindex(old);
      this.#entries.set(entry.id, entry);
      this.#index(entry);
      changed = true;
    }
    for (const [id, old] of this.#entries) {
      if (seen.has(id)) continue;
      this.#unindex(old);
      this.#entries.delete(id);
      this.#svids.delete(id);
      changed = true;
    }
    if (changed) this.interner.retain(this.#entries.values());
    return changed;
  }

  /** Stores a minted SVID, unless its entry went away meanwhile. */
  putSvid(svid: CachedSvid): boolean {
    if (!this.#entries.has(svid.entryId)) return false;
    this.#svids.delete(svid.entryId);
    this.#svids.set(svid.entryId, svid);
    return true;
  }

  /** Drops an SVID (LRU eviction). */
  evictSvid(entryId: string): void {
    this.#svids.delete(entryId);
  }

  /** Marks an entry's SVID as just used by a workload (it moves to the most recent end). */
  touch(entryId: string): void {
    const svid = this.#svids.get(entryId);
    if (!svid) return;
    this.#svids.delete(entryId);
    this.#svids.set(entryId, svid);
  }

  /** Entry ids with an SVID, least recently used first. */
  leastRecentlyUsed(): IterableIterator<string> {
    return this.#svids.keys();
  }

  /**
   * The entries that apply to a workload with these selector keys: every selector of the entry
   * is among the workload's (reference §3.8), sorted by entry id as SPIRE sorts identities (D29).
   */
  matching(workloadKeys: ReadonlySet<string>): CachedEntry[] {
    const candidates = new Set<string>();
    for (const key of workloadKeys) {
      const ids = this.#bySelector.get(key);
      if (typeof ids === 'string') candidates.add(ids);
      else if (ids) for (const id of ids) candidates.add(id);
    }
    const out: CachedEntry[] = [];
    for (const id of candidates) {
      const entry = this.#entries.get(id);
      if (entry?.selectorKeys.every((k) => workloadKeys.has(k))) out.push(entry);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  // An entry matches only when every one of its selectors is the workload's, so indexing it under
  // one of them (the one shared by the fewest entries) finds it as surely as indexing all.
  #index(entry: CachedEntry): void {
    let best: string | undefined;
    let bestSize = 0;
    for (const key of entry.selectorKeys) {
      const size = this.#indexed(key);
      if (best === undefined || size < bestSize) {
        best = key;
        bestSize = size;
      }
    }
    if (best === undefined) return;
    const ids = this.#bySelector.get(best);
    if (ids === undefined) this.#bySelector.set(best, entry.id);
    else if (typeof ids === 'string') this.#bySelector.set(best, new Set([ids, entry.id]));
    else ids.add(entry.id);
  }

  #indexed(key: string): number {
    const ids = this.#bySelector.get(key);
    return ids === undefined ? 0 : typeof ids === 'string' ? 1 : ids.size;
  }

  #unindex(entry: CachedEntry): void {
    for (const key of entry.selectorKeys) {
      const ids = this.#bySelector.get(key);
      if (ids === entry.id) {
        this.#bySelector.delete(key);
        return;
      }
      if (typeof ids !== 'object' || !ids.delete(entry.id)) continue;
      // Back to the single-id form once one entry is left under the key.
      if (ids.size === 1) this.#bySelector.set(key, ids.values().next().value as string);
      return;
    }
  }
}
