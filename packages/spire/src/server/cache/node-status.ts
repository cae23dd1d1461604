/**
 * The node-status cache: what the agent checks of reference §3.8 need from an attested-node
 * record (attested or not, banned or not, current and new serial), held in memory so that an
 * agent's call costs no datastore round trip.
 *
 * A record is read from the datastore on the first call of an agent and kept until a change to
 * that node is heard: the change notifier (local writes: attestation, renewal, ban, evict, serial
 * promotion) and the event follower (other servers' writes) both end in
 * `AuthorizedEntriesCache.setAgent` / `removeAgent`, which call {@link NodeStatusCache.invalidate}.
 * A write made through this server is therefore seen by the very next call; one made by another
 * server when the event follower next polls; and, should an event be missed, when the record
 * reaches its maximum age.
 */

/** The parts of an attested-node record that decide whether an agent may call. */
export interface NodeStatus {
  /** The node record is banned: its current serial is empty (SPIRE's rule). */
  readonly banned: boolean;
  /** Current SVID serial, lower-case hex without leading zeros; '' when banned. */
  readonly serial: string;
  /** Serial of the renewed SVID not used yet, same form; '' when there is none. */
  readonly newSerial: string;
  /** The renewed SVID's serial exactly as stored (what a promotion writes back). */
  readonly newCertSerialNumber: string;
  /** notAfter of the renewed SVID, Unix seconds (0 when there is none). */
  readonly newCertNotAfter: number;
}

/** Options of {@link NodeStatusCache}. */
export interface NodeStatusCacheOptions {
  /** Most records kept; the oldest is dropped past it (default 500,000). */
  readonly maxRecords?: number;
  /**
   * A record older than this is read again even if no change was heard (default 30 s): a
   * safety net that bounds how long a change missed by the event feed can go unseen.
   */
  readonly maxAgeMs?: number;
  /** The clock, milliseconds (default `Date.now`). */
  readonly now?: () => number;
}

const DEFAULT_MAX_RECORDS = 500_000;
const DEFAULT_MAX_AGE_MS = 30_000;

/** A record, or the knowledge that the node has no record (not attested, or evicted). */
interface Held {
  readonly status: NodeStatus | undefined;
  readonly readAtMs: number;
}

/** Node statuses by agent SPIFFE ID, filled on demand, dropped on every change to the node. */
export class NodeStatusCache {
  readonly #records = new Map<string, Held>();
  /** Reads under way, with the epoch they started in: concurrent misses share one read. */
  readonly #loading = new Map<string, { epoch: number; status: Promise<NodeStatus | undefined> }>();
  readonly #maxRecords: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** Grows on every invalidation: a read that started before one must not be stored. */
  #epoch = 0;

  constructor(options: NodeStatusCacheOptions = {}) {
    this.#maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Number of agents whose status is held. */
  get size(): number {
    return this.#records.size;
  }

  /**
   * The agent's status from memory, or from `load` (the datastore) on a miss; concurrent misses
   * share one read, and callers get the same status object until it is replaced. A loaded value
   * is kept only if no change was heard while it was being read, so a stale read is never cached.
   */
  async get(
    agentId: string,
    load: (agentId: string) => Promise<NodeStatus | undefined>,
  ): Promise<NodeStatus | undefined> {
    const held = this.#records.get(agentId);
    const now = this.#now();
    if (held && now - held.readAtMs < this.#maxAgeMs) return held.status;

    const pending = this.#loading.get(agentId);
    if (pending?.epoch === this.#epoch) return pending.status;

    const epoch = this.#epoch;
    const status = load(agentId);
    this.#loading.set(agentId, { epoch, status });
    try {
      const loaded = await status;
      if (epoch === this.#epoch) this.#store(agentId, loaded, now);
      return loaded;
    } finally {
      if (this.#loading.get(agentId)?.status === status) this.#loading.delete(agentId);
    }
  }

  /** Forgets what is held for the agent; the next call reads the datastore again. */
  invalidate(agentId: string): void {
    this.#epoch++;
    this.#records.delete(agentId);
  }

  /** Forgets everything (a full cache reload). */
  clear(): void {
    this.#epoch++;
    this.#records.clear();
  }

  #store(agentId: string, status: NodeStatus | undefined, readAtMs: number): void {
    this.#records.delete(agentId);
    if (this.#records.size >= this.#maxRecords) {
      const oldest = this.#records.keys().next();
      if (!oldest.done) this.#records.delete(oldest.value);
    }
    this.#records.set(agentId, { status, readAtMs });
  }
}

/** A certificate serial as the node records are compared: lower-case hex, no leading zeros. */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** The status of a stored attested-node record. */
export function nodeStatusOf(node: {
  readonly certSerialNumber: string;
  readonly newCertSerialNumber: string;
  readonly newCertNotAfter: number;
}): NodeStatus {
  const banned = node.certSerialNumber === '';
  return {
    banned,
    serial: banned ? '' : normalizeSerial(node.certSerialNumber),
    newSerial: node.newCertSerialNumber === '' ? '' : normalizeSerial(node.newCertSerialNumber),
    newCertSerialNumber: node.newCertSerialNumber,
    newCertNotAfter: node.newCertNotAfter,
  };
}
