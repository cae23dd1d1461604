/**
 * Keeps the in-memory authorized-entries cache in step with the datastore. Local writes call it
 * directly through `ServerContext.changed`; the event follower calls it for other servers'
 * writes. Listeners (open agent streams) hear about every change through `on('change')`.
 */
import { EventEmitter } from 'node:events';
import type { ChangeNotifier } from '../api/context.js';
import type { AuthorizedEntriesCache } from '../cache/authorized-entries.js';
import type { DataStore, RegistrationEntry } from '../datastore/index.js';

/** What changed, as heard by listeners. */
export type ChangeEvent =
  | { readonly kind: 'entries'; readonly ids: readonly string[] }
  | { readonly kind: 'nodes'; readonly ids: readonly string[] }
  | { readonly kind: 'bundles' };

/** A {@link ChangeNotifier} that re-reads the changed records and updates the cache. */
export class CacheChangeNotifier
  extends EventEmitter<{ change: [ChangeEvent] }>
  implements ChangeNotifier
{
  readonly #datastore: DataStore;
  readonly #cache: AuthorizedEntriesCache<RegistrationEntry>;

  constructor(datastore: DataStore, cache: AuthorizedEntriesCache<RegistrationEntry>) {
    super();
    this.#datastore = datastore;
    this.#cache = cache;
  }

  async entries(ids: readonly string[]): Promise<void> {
    for (const id of new Set(ids)) {
      const entry = await this.#datastore.fetchEntry(id);
      if (entry) this.#cache.upsertEntry(entry);
      else this.#cache.removeEntry(id);
    }
    if (ids.length > 0) this.emit('change', { kind: 'entries', ids });
  }

  async nodes(agentIds: readonly string[]): Promise<void> {
    for (const id of new Set(agentIds)) {
      const node = await this.#datastore.fetchAttestedNode(id);
      // A banned or evicted agent is forgotten: none of its node aliases apply any more.
      if (node && !node.banned) {
        this.#cache.setAgent(id, await this.#datastore.getNodeSelectors(id));
      } else {
        this.#cache.removeAgent(id);
      }
    }
    if (agentIds.length > 0) this.emit('change', { kind: 'nodes', ids: agentIds });
  }

  async bundles(): Promise<void> {
    this.emit('change', { kind: 'bundles' });
  }
}
