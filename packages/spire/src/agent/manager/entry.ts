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
 *
 * `revision_number` and `created_at` are int64 on the wire. They are held as plain numbers when
 * they fit exactly (a small integer costs V8 nothing beyond the field; a bigint is a heap object
 * per entry) and as bigints otherwise, so no value is ever rounded; {@link revision} and
 * {@link createdAt} give them back as the bigints the server sent.
 */
export class CachedEntry {
  readonly id: string;
  readonly spiffeId: SpiffeId;
  /** `type:value` keys of the entry's selectors, shared (entries share most of them). */
  readonly selectorKeys: readonly string[];
  /** Trust domain names the entry federates with. */
  readonly federatesWith: readonly string[];
  readonly hint: string;
  readonly #revision: number | bigint;
  readonly #createdAt: number | bigint;

  constructor(fields: {
    id: string;
    spiffeId: SpiffeId;
    selectorKeys: readonly string[];
    federatesWith: readonly string[];
    hint: string;
    revision: bigint;
    createdAt: bigint;
  }) {
    this.id = fields.id;
    this.spiffeId = fields.spiffeId;
    this.selectorKeys = fields.selectorKeys;
    this.federatesWith = fields.federatesWith;
    this.hint = fields.hint;
    this.#revision = compactInt64(fields.revision);
    this.#createdAt = compactInt64(fields.createdAt);
    Object.freeze(this);
  }

  /** `revision_number`: the server bumps it on every change to the entry. */
  get revision(): bigint {
    return BigInt(this.#revision);
  }

  /** `created_at` in seconds: an entry deleted and created again under the same id restarts. */
  get createdAt(): bigint {
    return BigInt(this.#createdAt);
  }

  /**
   * `created_at` as a number, for ordering identities as SPIRE does (D29). Exact up to 2^53
   * seconds; beyond that (no real clock) it is the nearest number, which orders the same way.
   */
  get createdAtNumber(): number {
    return Number(this.#createdAt);
  }

  /**
   * True when `other` is this version of the entry: the same revision and creation time. An entry
   * deleted and created again under its id restarts its revisions, so the revision alone could
   * match the old entry (D07). Compares the exact values, never a rounded copy.
   */
  sameVersion(other: CachedEntry): boolean {
    return this.#revision === other.#revision && this.#createdAt === other.#createdAt;
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An int64 as a number when the number holds it exactly, else the bigint itself. One value has
 * one form, so two compact values are equal (`===`) exactly when the int64s are.
 */
export function compactInt64(value: bigint): number | bigint {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * One flat copy of `s` shared by every holder of an equal string. A property name is kept in
 * V8's string table, which holds each distinct name once (and forgets it when no one holds it),
 * and flat: a string built by concatenation or slicing would otherwise keep its pieces or its
 * parent alive. So 10,000 entries with the selector `k8s:ns:prod` hold one copy of it, and a
 * selector used by one entry costs only its own characters (issue 4).
 */
export function sharedString(s: string): string {
  const holder: Record<string, true> = { [s]: true };
  for (const name in holder) return name;
  return s;
}

/**
 * Shares the trust domains that entries name (`example.org`): parsed once, one object for all.
 * A trust domain no cached entry uses any more is forgotten by {@link retain}.
 */
export class EntryInterner {
  readonly #trustDomains = new Map<string, TrustDomain>();

  /** The shared trust domain named `name` (parsed once; throws if `name` is not valid). */
  trustDomain(name: string): TrustDomain {
    const held = this.#trustDomains.get(name);
    if (held) return held;
    const td = TrustDomain.fromString(name);
    this.#trustDomains.set(sharedString(name), td);
    return td;
  }

  /** Forgets every trust domain that none of `entries` is in. */
  retain(entries: Iterable<CachedEntry>): void {
    const used = new Set<TrustDomain>();
    for (const entry of entries) used.add(entry.spiffeId.trustDomain);
    for (const [name, td] of this.#trustDomains) if (!used.has(td)) this.#trustDomains.delete(name);
  }

  /** How many trust domains are held now. */
  get size(): number {
    return this.#trustDomains.size;
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
    const spiffeId = SpiffeId.fromPath(td, sharedString(proto.spiffeId.path));
    const selectorKeys = proto.selectors.map((s) =>
      sharedString(formatSelector(makeSelector(s.type, s.value))),
    );
    const federatesWith =
      proto.federatesWith.length === 0
        ? NONE
        : Object.freeze(
            proto.federatesWith.map((name) => sharedString(TrustDomain.fromString(name).name)),
          );
    return new CachedEntry({
      id: sharedString(proto.id),
      spiffeId,
      selectorKeys: Object.freeze(selectorKeys),
      federatesWith,
      hint: sharedString(proto.hint),
      revision: proto.revisionNumber,
      createdAt: proto.createdAt,
    });
  } catch {
    return undefined;
  }
}
