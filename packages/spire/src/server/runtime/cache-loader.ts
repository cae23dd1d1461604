/**
 * Builds the authorized-entries cache from the datastore once, then follows the datastore's
 * entry and node change events so that writes made by other servers sharing the database show up
 * within one `experimental.cache_reload_interval`.
 */
import type { Clock, Timer } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { AuthorizedEntriesCache } from '../cache/authorized-entries.js';
import type { DataStore, RegistrationEntry } from '../datastore/index.js';
import type { CacheChangeNotifier } from './change-notifier.js';

const PAGE_SIZE = 1000;
const EVENT_BATCH = 1000;

/** Fills the cache with every entry and every non-banned agent's node selectors. */
export async function loadCache(
  datastore: DataStore,
  cache: AuthorizedEntriesCache<RegistrationEntry>,
): Promise<void> {
  let pageToken = '';
  do {
    const page = await datastore.listEntries({}, { pageSize: PAGE_SIZE, pageToken });
    for (const entry of page.items) cache.upsertEntry(entry);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');

  const selectors = await datastore.listNodeSelectors();
  pageToken = '';
  do {
    const page = await datastore.listAttestedNodes(
      { byBanned: false },
      { pageSize: PAGE_SIZE, pageToken },
    );
    for (const node of page.items)
      cache.setAgent(node.spiffeId, selectors.get(node.spiffeId) ?? []);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
}

/** Options of {@link EventFollower}. */
export interface EventFollowerOptions {
  readonly datastore: DataStore;
  readonly notifier: CacheChangeNotifier;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly intervalMs: number;
}

/** Polls the entry and node event feeds and applies each changed record to the cache. */
export class EventFollower {
  readonly #opts: EventFollowerOptions;
  #lastEntryEvent = 0;
  #lastNodeEvent = 0;
  #timer: Timer | undefined;
  #polling: Promise<void> = Promise.resolve();

  constructor(opts: EventFollowerOptions) {
    this.#opts = opts;
  }

  /**
   * Remembers the newest existing events; call it before loading the cache, so a write made
   * while loading is seen again by the first poll rather than lost.
   */
  async markCurrent(): Promise<void> {
    this.#lastEntryEvent = await lastEventId((after) =>
      this.#opts.datastore.listEntryEvents(after, EVENT_BATCH),
    );
    this.#lastNodeEvent = await lastEventId((after) =>
      this.#opts.datastore.listNodeEvents(after, EVENT_BATCH),
    );
  }

  /** Polls every `intervalMs` from now on. */
  start(): void {
    this.#timer = this.#opts.clock.setInterval(this.#opts.intervalMs, () => {
      void this.poll();
    });
  }

  /** Applies every event newer than the last one seen; concurrent calls run one at a time. */
  poll(): Promise<void> {
    this.#polling = this.#polling
      .then(() => this.#pollOnce())
      .catch((err: unknown) => {
        this.#opts.log.error({ [LogField.Error]: err }, 'Failed to follow datastore events');
      });
    return this.#polling;
  }

  /** Stops polling. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  async #pollOnce(): Promise<void> {
    const { datastore, notifier } = this.#opts;
    for (;;) {
      const events = await datastore.listEntryEvents(this.#lastEntryEvent, EVENT_BATCH);
      if (events.length === 0) break;
      this.#lastEntryEvent = events[events.length - 1]?.eventId ?? this.#lastEntryEvent;
      await notifier.entries(events.map((e) => e.key));
    }
    for (;;) {
      const events = await datastore.listNodeEvents(this.#lastNodeEvent, EVENT_BATCH);
      if (events.length === 0) break;
      this.#lastNodeEvent = events[events.length - 1]?.eventId ?? this.#lastNodeEvent;
      await notifier.nodes(events.map((e) => e.key));
    }
  }
}

async function lastEventId(
  list: (after: number) => Promise<readonly { eventId: number }[]>,
): Promise<number> {
  let last = 0;
  for (;;) {
    const events = await list(last);
    if (events.length === 0) return last;
    last = events[events.length - 1]?.eventId ?? last;
  }
}
