import { Buffer } from 'node:buffer';
import type { CheckedX509SvidDer, SpiffeId } from '@spire-ts/spiffe';
import { type CachedEntry, EntryInterner } from './entry.js';
import { nextNonce, openKey, sealKey } from './sealed-key.js';
import type { WorkloadX509Identity } from './workload-view.js';

/**
 * A workload X509-SVID the agent holds for one entry. It is itself what workloads are handed (one
 * object per SVID, not two): built once, so equal state compares by identity (C27); a new SVID
 * (rotation, entry change) is a new object.
 *
 * Laid out for memory per SVID (issue 4). The chain and key are held as one one-byte (latin1)
 * string, a byte per character: V8 keeps it inside an object on its own heap, which its
 * collector compacts. An ArrayBuffer per SVID was a C-heap allocation plus a native backing-store
 * record and a JS wrapper (about 250 bytes beyond the DER), and the C heap does not compact: the
 * 10,000 long-lived buffers of a sync sat scattered among the sync's freed garbage, and pages
 * holding one live buffer could not be given back (RSS 1-2 KB per SVID above what was held, and
 * varying from run to run). {@link certChainDer} and {@link privateKeyPkcs8} are copies made on
 * each read (a workload is handed the encoded message, built once per state by the response
 * cache), so nothing outside can change a cached SVID's bytes. The key is held sealed
 * (sealed-key.ts): heap snapshots write out string contents. The validity times are whole
 * seconds (X.509 times have no finer part, RFC 5280 §4.1.2.5), which V8 holds as small integers
 * where milliseconds would each be a boxed number; the entry's fields are read through the entry
 * the SVID was minted for, not copied. No parsed certificate or key object (native OpenSSL
 * memory) is kept.
 */
export class CachedSvid implements WorkloadX509Identity {
  /** The entry, as it was when this SVID was minted for it; a newer version re-mints it (D07). */
  readonly entry: CachedEntry;
  /** Chain DER then the sealed PKCS#8 DER, one byte per character (latin1). */
  readonly #der: string;
  readonly #chainLength: number;
  /** The nonce the key was sealed with (sealed-key.ts). */
  readonly #keyNonce: number;
  readonly #notBeforeS: number;
  readonly #notAfterS: number;
  readonly #leafNotAfterS: number;

  /**
   * Builds the cached form of a freshly minted SVID, as `checkX509SvidDer` accepted it: the
   * chain's DER (leaf first) and the PKCS#8 DER key, copied into one buffer, with the leaf's
   * notBefore and notAfter and the chain's earliest notAfter (C28).
   */
  constructor(entry: CachedEntry, svid: CheckedX509SvidDer, key: Uint8Array) {
    if (svid.certificates.length === 0) {
      throw new RangeError('an X509-SVID chain holds at least its leaf certificate');
    }
    this.entry = entry;
    this.#keyNonce = nextNonce();
    const sealed = sealKey(key, this.#keyNonce);
    this.#der = Buffer.concat([...svid.certificates, sealed]).toString('latin1');
    this.#chainLength = this.#der.length - sealed.length;
    this.#notBeforeS = seconds(svid.notBefore.getTime());
    this.#notAfterS = seconds(svid.chainNotAfter.getTime());
    this.#leafNotAfterS = seconds(svid.notAfter.getTime());
    Object.freeze(this);
  }

  get entryId(): string {
    return this.entry.id;
  }

  get spiffeId(): SpiffeId {
    return this.entry.spiffeId;
  }

  get hint(): string {
    return this.entry.hint;
  }

  get federatesWith(): readonly string[] {
    return this.entry.federatesWith;
  }

  get entryCreatedAt(): number {
    return this.entry.createdAtNumber;
  }

  /** The chain as concatenated DER, leaf first (a copy of the held bytes on each read). */
  get certChainDer(): Uint8Array {
    return bytesOf(this.#der, 0, this.#chainLength);
  }

  /** The PKCS#8 DER key (unsealed into a buffer of its own on each read). */
  get privateKeyPkcs8(): Uint8Array {
    return openKey(bytesOf(this.#der, this.#chainLength, this.#der.length), this.#keyNonce);
  }

  get expiresAtMs(): number {
    return this.#leafNotAfterS * 1000;
  }

  get notBeforeMs(): number {
    return this.#notBeforeS * 1000;
  }

  /** The earliest notAfter of the chain (C28). */
  get notAfterMs(): number {
    return this.#notAfterS * 1000;
  }

  /** True when this SVID was minted for this version of `entry` (same revision and creation). */
  mintedFor(entry: CachedEntry): boolean {
    return this.entry.id === entry.id && this.entry.sameVersion(entry);
  }
}

/** Builds the cached form of a freshly minted SVID that `checkX509SvidDer` accepted. */
export function cachedSvid(
  entry: CachedEntry,
  svid: CheckedX509SvidDer,
  pkcs8: Uint8Array,
): CachedSvid {
  return new CachedSvid(entry, svid, pkcs8);
}

// X.509 validity times are whole seconds; a certificate time that is not (it cannot be, once
// parsed from DER) is rounded down so that notAfter never moves later.
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

// Characters [from, to) of a latin1 string as bytes, in a buffer of their own: a caller may keep
// the chain, and a slice of Node's shared pool would keep a whole 8 KiB slab alive with it. (The
// key's part is ciphertext; openKey unseals it into a buffer of its own.)
function bytesOf(latin1: string, from: number, to: number): Uint8Array {
  const out = Buffer.allocUnsafeSlow(to - from);
  out.write(from === 0 ? latin1 : latin1.slice(from), 0, to - from, 'latin1');
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
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
      if (old?.sameVersion(entry)) continue;
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
