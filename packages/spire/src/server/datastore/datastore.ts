import type {
  AttestedNode,
  BatchCreateResult,
  Bundle,
  BundleDeleteMode,
  BundleMask,
  CaJournal,
  ChangeEvent,
  CreateEntryResult,
  EntryFilter,
  EntryMask,
  FederationRelationship,
  FederationRelationshipMask,
  JoinToken,
  NewAttestedNode,
  NewRegistrationEntry,
  NodeFilter,
  NodeMask,
  Page,
  Pagination,
  RegistrationEntry,
  Selector,
} from './types.js';

/** Registration entries. */
export interface EntryStore {
  /** Creates an entry; fails with `ERR_DATASTORE_ALREADY_EXISTS` if a similar one exists. */
  createEntry(entry: NewRegistrationEntry): Promise<RegistrationEntry>;
  /** Creates an entry, or returns the similar one (same SPIFFE ID, parent and selectors). */
  createOrReturnEntry(entry: NewRegistrationEntry): Promise<CreateEntryResult>;
  /** Creates many entries in one transaction; each item succeeds or fails on its own. */
  createEntries(entries: readonly NewRegistrationEntry[]): Promise<BatchCreateResult[]>;
  /** The entry with this id, or undefined. */
  fetchEntry(id: string): Promise<RegistrationEntry | undefined>;
  /** Applies the masked fields of `entry` to the stored entry of the same id. */
  updateEntry(entry: RegistrationEntry, mask?: EntryMask): Promise<RegistrationEntry>;
  /** Deletes and returns the entry; `ERR_DATASTORE_NOT_FOUND` if absent. */
  deleteEntry(id: string): Promise<RegistrationEntry>;
  /** Entries matching every given filter, in creation order, paged when asked. */
  listEntries(filter?: EntryFilter, page?: Pagination): Promise<Page<RegistrationEntry>>;
  /** How many entries match the filter. */
  countEntries(filter?: EntryFilter): Promise<number>;
  /** Deletes entries that expired before `expiresBefore` (Unix s); returns their ids. */
  pruneEntries(expiresBefore: number): Promise<string[]>;
}

/** Attested nodes and their selectors. */
export interface NodeStore {
  /** Records a newly attested node; `ERR_DATASTORE_ALREADY_EXISTS` if its ID is taken. */
  createAttestedNode(node: NewAttestedNode): Promise<AttestedNode>;
  /** The node with this SPIFFE ID (selectors filled), or undefined. */
  fetchAttestedNode(spiffeId: string): Promise<AttestedNode | undefined>;
  /** Applies the masked fields to the stored node. */
  updateAttestedNode(node: NewAttestedNode, mask?: NodeMask): Promise<AttestedNode>;
  /** Deletes the node and its selectors; returns it. */
  deleteAttestedNode(spiffeId: string): Promise<AttestedNode>;
  /** Nodes matching every filter, paged when asked. */
  listAttestedNodes(filter?: NodeFilter, page?: Pagination): Promise<Page<AttestedNode>>;
  /** How many nodes match the filter. */
  countAttestedNodes(filter?: NodeFilter): Promise<number>;
  /** Deletes nodes whose certificate expired before the time; returns their SPIFFE IDs. */
  pruneAttestedNodes(expiredBefore: number, includeNonReattestable: boolean): Promise<string[]>;
  /** Replaces the selectors of a node (the node record need not exist yet). */
  setNodeSelectors(spiffeId: string, selectors: readonly Selector[]): Promise<void>;
  /** The selectors of a node, sorted. */
  getNodeSelectors(spiffeId: string): Promise<Selector[]>;
  /** Every node's selectors, keyed by SPIFFE ID. */
  listNodeSelectors(): Promise<Map<string, Selector[]>>;
}

/** Trust bundles, one per trust domain. */
export interface BundleStore {
  /** Stores a new bundle; `ERR_DATASTORE_ALREADY_EXISTS` if the trust domain has one. */
  createBundle(bundle: Bundle): Promise<Bundle>;
  /** The bundle of a trust domain, or undefined. */
  fetchBundle(trustDomain: string): Promise<Bundle | undefined>;
  /** Replaces the masked fields; the sequence number grows by one unless the mask sets it. */
  updateBundle(bundle: Bundle, mask?: BundleMask): Promise<Bundle>;
  /** Creates the bundle or replaces it entirely. */
  setBundle(bundle: Bundle): Promise<Bundle>;
  /** Adds authorities not already present; creates the bundle if absent. */
  appendBundle(bundle: Bundle): Promise<Bundle>;
  /** Deletes a bundle; `mode` says what happens to entries federating with it. */
  deleteBundle(trustDomain: string, mode: BundleDeleteMode): Promise<void>;
  /** Every bundle, in creation order, paged when asked. */
  listBundles(page?: Pagination): Promise<Page<Bundle>>;
  /** How many bundles are stored. */
  countBundles(): Promise<number>;
  /** Drops authorities that expired before the time; true when the bundle changed. */
  pruneBundle(trustDomain: string, expiresBefore: number): Promise<boolean>;
}

/** Join tokens. */
export interface JoinTokenStore {
  /** Stores a token; `ERR_DATASTORE_ALREADY_EXISTS` if it exists. */
  createJoinToken(token: JoinToken): Promise<void>;
  /** The token, or undefined. */
  fetchJoinToken(token: string): Promise<JoinToken | undefined>;
  /** Deletes a token; `ERR_DATASTORE_NOT_FOUND` if absent. */
  deleteJoinToken(token: string): Promise<void>;
  /**
   * Consumes a token atomically: of concurrent callers exactly one gets it, the others get
   * undefined. The caller checks `expiresAt`.
   */
  takeJoinToken(token: string): Promise<JoinToken | undefined>;
  /** Deletes tokens that expired before the time; returns how many. */
  pruneJoinTokens(expiresBefore: number): Promise<number>;
}

/** Federation relationships. */
export interface FederationStore {
  /** Stores a relationship (and its bundle, when given). */
  createFederationRelationship(fr: FederationRelationship): Promise<FederationRelationship>;
  /** The relationship with its trust domain's bundle, or undefined. */
  fetchFederationRelationship(trustDomain: string): Promise<FederationRelationship | undefined>;
  /** Relationships in creation order, paged when asked. */
  listFederationRelationships(page?: Pagination): Promise<Page<FederationRelationship>>;
  /** Applies the masked fields. */
  updateFederationRelationship(
    fr: FederationRelationship,
    mask?: FederationRelationshipMask,
  ): Promise<FederationRelationship>;
  /** Deletes a relationship (its bundle stays). */
  deleteFederationRelationship(trustDomain: string): Promise<void>;
}

/** The CA journal. */
export interface CaJournalStore {
  /** Creates (id 0) or replaces (id > 0) a journal; returns it with its id. */
  setCaJournal(journal: CaJournal): Promise<CaJournal>;
  /** The journal whose active X.509 authority is `activeX509AuthorityId`, or undefined. */
  fetchCaJournal(activeX509AuthorityId: string): Promise<CaJournal | undefined>;
  /** Every journal, by id. */
  listCaJournals(): Promise<CaJournal[]>;
  /** Deletes a journal; `ERR_DATASTORE_NOT_FOUND` if absent. */
  deleteCaJournal(id: number): Promise<void>;
}

/** Change feeds for caches that follow the store. */
export interface EventStore {
  /** Entry events with id greater than `afterId`, oldest first, at most `limit`. */
  listEntryEvents(afterId: number, limit?: number): Promise<ChangeEvent[]>;
  /** Node events with id greater than `afterId`, oldest first, at most `limit`. */
  listNodeEvents(afterId: number, limit?: number): Promise<ChangeEvent[]>;
  /** Deletes entry and node events created before the time; returns how many. */
  pruneEvents(createdBefore: number): Promise<number>;
}

/** The SPIRE server's datastore. */
export interface DataStore
  extends EntryStore,
    NodeStore,
    BundleStore,
    JoinTokenStore,
    FederationStore,
    CaJournalStore,
    EventStore {
  /** Closes the connections. */
  close(): Promise<void>;
}
