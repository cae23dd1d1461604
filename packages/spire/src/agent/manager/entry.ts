import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { formatSelector, makeSelector } from '../../common/selector/index.js';
import type { Entry } from '../../gen/spire/api/types/entry_pb.js';

/**
 * A registration entry as the agent's cache keeps it: only the fields the agent itself uses. The
 * server's full message is not kept (issue 4: memory per cached SVID); what the next sync must
 * tell the server about a held entry is its revision and creation time, both kept here.
 *
 * Fields the agent does not use are dropped: DNS names and TTLs are applied by the server when it
 * signs, and a change to any of them bumps the revision, which re-mints the SVID (D07).
 */
export interface CachedEntry {
  readonly id: string;
  readonly spiffeId: SpiffeId;
  /** `type:value` keys of the entry's selectors, interned (entries share most of them). */
  readonly selectorKeys: readonly string[];
  /** Trust domain names the entry federates with. */
  readonly federatesWith: readonly string[];
  readonly hint: string;
  /** `revision_number`: the server bumps it on every change to the entry. */
  readonly revision: bigint;
  /** `created_at` in seconds: an entry deleted and created again under the same id restarts. */
  readonly createdAt: bigint;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Shares the strings and trust domains that many entries hold (`k8s:ns:prod`, `example.org`), so
 * 10,000 entries in one namespace keep one copy of its selector rather than 10,000. Entries keep
 * what they were read with; a string no entry uses any more stays until {@link retain} is called
 * with the entries still cached.
 */
export class EntryInterner {
  readonly #strings = new Map<string, string>();
  readonly #trustDomains = new Map<string, TrustDomain>();

  /** The shared copy of `s`. */
  string(s: string): string {
    const held = this.#strings.get(s);
    if (held !== undefined) return held;
    this.#strings.set(s, s);
    return s;
  }

  /** The shared trust domain named `name` (parsed once; throws if `name` is not valid). */
  trustDomain(name: string): TrustDomain {
    const held = this.#trustDomains.get(name);
    if (held) return held;
    const td = TrustDomain.fromString(name);
    // Only canonical names are shared: `Example.org` parses to the same domain under its own key.
    this.#trustDomains.set(name, td);
    return td;
  }

  /** Forgets every string and trust domain that none of `entries` uses. */
  retain(entries: Iterable<CachedEntry>): void {
    const strings = new Set<string>();
    const tds = new Set<string>();
    for (const entry of entries) {
      for (const key of entry.selectorKeys) strings.add(key);
      for (const td of entry.federatesWith) strings.add(td);
      tds.add(entry.spiffeId.trustDomain.name);
    }
    for (const s of this.#strings.keys()) if (!strings.has(s)) this.#strings.delete(s);
    for (const [name, td] of this.#trustDomains)
      if (!tds.has(td.name)) this.#trustDomains.delete(name);
  }

  /** How many distinct strings are shared now (for tests). */
  get size(): number {
    return this.#strings.size;
  }
}

/**
 * Reads a server entry into a {@link CachedEntry}, or returns undefined for an entry the agent
 * cannot serve (no SPIFFE ID, no selectors, a malformed selector): such an entry never matches
 * anything rather than matching everything. Nothing of `proto` is kept but its strings.
 */
export function cachedEntry(
  proto: Entry,
  interner: EntryInterner = new EntryInterner(),
): CachedEntry | undefined {
  if (!proto.id || !proto.spiffeId || proto.selectors.length === 0) return undefined;
  try {
    const td = interner.trustDomain(proto.spiffeId.trustDomain);
    const spiffeId = SpiffeId.fromPath(td, proto.spiffeId.path);
    const selectorKeys = proto.selectors.map((s) =>
      interner.string(formatSelector(makeSelector(s.type, s.value))),
    );
    const federatesWith =
      proto.federatesWith.length === 0
        ? NONE
        : Object.freeze(
            proto.federatesWith.map((name) =>
              interner.string(TrustDomain.fromString(name).toString()),
            ),
          );
    return Object.freeze({
      id: proto.id,
      spiffeId,
      selectorKeys: Object.freeze(selectorKeys),
      federatesWith,
      hint: proto.hint,
      revision: proto.revisionNumber,
      createdAt: proto.createdAt,
    });
  } catch {
    return undefined;
  }
}
