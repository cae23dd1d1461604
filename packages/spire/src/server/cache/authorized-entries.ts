/**
 * The authorized-entries cache: which registration entries an agent may see and mint SVIDs for.
 *
 * An agent is authorized for (reference §3.8, SPIRE's entry cache):
 *   1. every entry whose parent is the agent's own SPIFFE ID;
 *   2. every entry whose parent is a node alias the agent belongs to, where a node alias is an
 *      entry parented to the server (`spiffe://<td>/spire/server`) whose selectors are all among
 *      the agent's node selectors;
 *   3. recursively, every entry whose parent is the SPIFFE ID of an entry already authorized.
 * Node-alias entries themselves are not returned: they name groups of agents, not workloads.
 *
 * The cache is built once from the datastore, then kept current by `upsertEntry`, `removeEntry`,
 * `setAgent` and `removeAgent` as changes arrive, so that a lookup reads memory only. The same
 * agent changes drop the agent's record from {@link AuthorizedEntriesCache.nodeStatus}, the
 * statuses the per-call agent checks read.
 */
import { NodeStatusCache } from './node-status.js';

/** A selector as stored on entries and nodes. */
export interface CacheSelector {
  readonly type: string;
  readonly value: string;
}

/** The fields of a registration entry the cache needs; the rest is carried along untouched. */
export interface CacheableEntry {
  readonly id: string;
  readonly spiffeId: string;
  readonly parentId: string;
  readonly selectors: readonly CacheSelector[];
}

/** The entries under one parent SPIFFE ID, with the walk that last visited it. */
interface ParentNode<E> {
  readonly children: Map<string, E>;
  /** The number of the last walk that visited this parent: a visit mark without a Set. */
  visited: number;
}

interface AliasRecord<E> {
  readonly entry: E;
  readonly selectorKeys: ReadonlySet<string>;
}

/** Options of {@link AuthorizedEntriesCache}. */
export interface AuthorizedEntriesCacheOptions {
  /** The server's own SPIFFE ID, `spiffe://<td>/spire/server`: entries parented to it are aliases. */
  readonly serverId: string;
}

/** Key of a selector in the cache's indexes; NUL cannot appear in a selector type. */
export function selectorKey(s: CacheSelector): string {
  return `${s.type}\u0000${s.value}`;
}

/** In-memory index answering "which entries may this agent see" without touching the datastore. */
export class AuthorizedEntriesCache<E extends CacheableEntry = CacheableEntry> {
  readonly #serverId: string;
  readonly #entries = new Map<string, E>();
  /** parent SPIFFE ID -> (entry id -> entry), for entries that are not node aliases. */
  readonly #byParent = new Map<string, ParentNode<E>>();
  /** Numbers the walks of {@link authorizedEntries}, for {@link ParentNode.visited}. */
  #walks = 0;
  /** SPIFFE ID -> (entry id -> entry), for entries that are not node aliases. */
  readonly #bySpiffeId = new Map<string, Map<string, E>>();
  /** entry id -> alias record, for entries parented to the server. */
  readonly #aliases = new Map<string, AliasRecord<E>>();
  /** selector key -> ids of aliases that carry that selector. */
  readonly #aliasesBySelector = new Map<string, Set<string>>();
  /** agent SPIFFE ID -> its node selector keys. */
  readonly #agents = new Map<string, ReadonlySet<string>>();
  /**
   * agent SPIFFE ID -> its frozen {@link authorizedEntries} answer. Any change to an entry or an
   * agent clears them all (one change may move entries between many agents), so an answer is
   * never older than the last change; the next lookup of each agent builds its answer again.
   */
  readonly #snapshots = new Map<string, readonly E[]>();

  /**
   * Attested-node statuses for the agent checks (reference §3.8), dropped for an agent whenever
   * {@link setAgent} or {@link removeAgent} hears of a change to its node.
   */
  readonly nodeStatus = new NodeStatusCache();

  constructor(options: AuthorizedEntriesCacheOptions) {
    this.#serverId = options.serverId;
  }

  /** Number of entries held (aliases included). */
  get entryCount(): number {
    return this.#entries.size;
  }

  /** Number of agents whose node selectors are held. */
  get agentCount(): number {
    return this.#agents.size;
  }

  /** The entry with this id, if cached. */
  getEntry(id: string): E | undefined {
    return this.#entries.get(id);
  }

  /** Adds an entry or replaces the cached entry with the same id. */
  upsertEntry(entry: E): void {
    this.removeEntry(entry.id);
    this.#changed();
    this.#entries.set(entry.id, entry);

    if (entry.parentId === this.#serverId) {
      const selectorKeys = new Set(entry.selectors.map(selectorKey));
      this.#aliases.set(entry.id, { entry, selectorKeys });
      for (const key of selectorKeys) getOrCreate(this.#aliasesBySelector, key).add(entry.id);
      return;
    }

    let parent = this.#byParent.get(entry.parentId);
    if (!parent) {
      parent = { children: new Map(), visited: 0 };
      this.#byParent.set(entry.parentId, parent);
    }
    parent.children.set(entry.id, entry);
    getOrCreateMap(this.#bySpiffeId, entry.spiffeId).set(entry.id, entry);
  }

  /** Forgets an entry; a no-op for an unknown id. */
  removeEntry(id: string): void {
    const old = this.#entries.get(id);
    if (!old) return;
    this.#changed();
    this.#entries.delete(id);

    const alias = this.#aliases.get(id);
    if (alias) {
      this.#aliases.delete(id);
      for (const key of alias.selectorKeys) deleteFromSet(this.#aliasesBySelector, key, id);
      return;
    }

    const parent = this.#byParent.get(old.parentId);
    if (parent) {
      parent.children.delete(id);
      if (parent.children.size === 0) this.#byParent.delete(old.parentId);
    }
    deleteFromMap(this.#bySpiffeId, old.spiffeId, id);
  }

  /** Records (or replaces) an attested agent's node selectors. */
  setAgent(agentId: string, selectors: readonly CacheSelector[]): void {
    this.nodeStatus.invalidate(agentId);
    this.#changed();
    this.#agents.set(agentId, new Set(selectors.map(selectorKey)));
  }

  /** Forgets an agent (evicted, banned or pruned); its aliases no longer apply. */
  removeAgent(agentId: string): void {
    this.nodeStatus.invalidate(agentId);
    this.#changed();
    this.#agents.delete(agentId);
  }

  /** True when the agent's node selectors are cached. */
  hasAgent(agentId: string): boolean {
    return this.#agents.has(agentId);
  }

  /**
   * The node aliases (entries parented to the server) whose selectors are all among the agent's
   * node selectors. An alias with no selectors matches no agent.
   */
  aliasesOf(agentId: string): E[] {
    const nodeSelectors = this.#agents.get(agentId);
    if (!nodeSelectors) return [];

    const matched: E[] = [];
    const checked = new Set<string>();
    for (const key of nodeSelectors) {
      const candidates = this.#aliasesBySelector.get(key);
      if (!candidates) continue;
      for (const aliasId of candidates) {
        if (checked.has(aliasId)) continue;
        checked.add(aliasId);
        const alias = this.#aliases.get(aliasId);
        if (alias && isSubset(alias.selectorKeys, nodeSelectors)) matched.push(alias.entry);
      }
    }
    return matched;
  }

  /**
   * Every entry the agent is authorized for, each once, parents before their descendants. The
   * answer is a frozen array shared by every lookup of this agent until the next change to the
   * cache, so a lookup allocates nothing once the agent's answer is built.
   */
  authorizedEntries(agentId: string): readonly E[] {
    let snapshot = this.#snapshots.get(agentId);
    if (!snapshot) {
      snapshot = Object.freeze(this.#walkAuthorized(agentId));
      this.#snapshots.set(agentId, snapshot);
    }
    return snapshot;
  }

  #changed(): void {
    if (this.#snapshots.size > 0) this.#snapshots.clear();
  }

  #walkAuthorized(agentId: string): E[] {
    const roots = [agentId];
    for (const alias of this.aliasesOf(agentId)) roots.push(alias.spiffeId);

    const result: E[] = [];
    // Each parent is expanded once per walk (an ID reached twice, or a cycle of entries, adds
    // nothing more): marked with the walk's number instead of collected in a Set.
    const walk = ++this.#walks;
    const queue = roots;
    for (let i = 0; i < queue.length; i++) {
      const parent = this.#byParent.get(queue[i] as string);
      if (!parent || parent.visited === walk) continue;
      parent.visited = walk;
      for (const child of parent.children.values()) {
        result.push(child);
        queue.push(child.spiffeId);
      }
    }
    return result;
  }

  /**
   * The entry if, and only if, the agent is authorized for it: the same answer as looking it up
   * in {@link authorizedEntries}, found by walking from the entry up its parents to the agent or
   * one of its node aliases, so the cost follows the entry's depth, not the agent's entry count.
   */
  authorizedEntry(agentId: string, entryId: string): E | undefined {
    const entry = this.#entries.get(entryId);
    if (!entry || this.#aliases.has(entryId)) return undefined;
    if (entry.parentId === agentId) return entry;

    let roots: ReadonlySet<string> | undefined;
    const isRoot = (id: string) => {
      roots ??= new Set([agentId, ...this.aliasesOf(agentId).map((a) => a.spiffeId)]);
      return roots.has(id);
    };
    return this.#reachesRoot(entry.parentId, isRoot) ? entry : undefined;
  }

  /** True when `id` is a root or the SPIFFE ID of an entry whose parent reaches a root. */
  #reachesRoot(id: string, isRoot: (id: string) => boolean): boolean {
    const seen = new Set<string>([id]);
    const stack = [id];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      if (isRoot(current)) return true;
      for (const holder of this.#bySpiffeId.get(current)?.values() ?? []) {
        if (seen.has(holder.parentId)) continue;
        seen.add(holder.parentId);
        stack.push(holder.parentId);
      }
    }
    return false;
  }
}

function isSubset(sub: ReadonlySet<string>, whole: ReadonlySet<string>): boolean {
  if (sub.size === 0 || sub.size > whole.size) return false;
  for (const key of sub) if (!whole.has(key)) return false;
  return true;
}

function getOrCreate<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function getOrCreateMap<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function deleteFromMap<K, K2, V>(map: Map<K, Map<K2, V>>, key: K, inner: K2): void {
  const m = map.get(key);
  m?.delete(inner);
  if (m?.size === 0) map.delete(key);
}

function deleteFromSet<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}
