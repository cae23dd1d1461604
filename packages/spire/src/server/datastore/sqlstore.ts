import { Kysely } from 'kysely';
import type { SqlStoreConfig } from './config.js';
import type { DataStore } from './datastore.js';
import * as bundles from './sql/bundles.js';
import * as journal from './sql/ca-journal.js';
import { createDialect } from './sql/dialect.js';
import * as entries from './sql/entries.js';
import * as events from './sql/events.js';
import * as federation from './sql/federation.js';
import * as tokens from './sql/join-tokens.js';
import { migrate } from './sql/migrations.js';
import * as nodes from './sql/nodes.js';
import type { Database } from './sql/schema.js';
import { type SqlContext, wrapDbError } from './sql/tx.js';
import type {
  Bundle,
  BundleDeleteMode,
  BundleMask,
  CaJournal,
  EntryFilter,
  EntryMask,
  FederationRelationship,
  FederationRelationshipMask,
  JoinToken,
  NewAttestedNode,
  NewRegistrationEntry,
  NodeFilter,
  NodeMask,
  Pagination,
  RegistrationEntry,
  Selector,
} from './types.js';

/** Options of `openSqlDataStore`. */
export interface OpenOptions {
  /** The clock in Unix seconds; defaults to the system clock. */
  readonly now?: () => number;
}

/**
 * Opens the SQL datastore: connects, migrates the schema (under a lock shared by every server
 * on the database) and returns the store.
 *
 * @example
 * const store = await openSqlDataStore(parseSqlStoreConfig({
 *   database_type: 'sqlite3', connection_string: '/opt/spire/data/server/datastore.sqlite3',
 * }));
 */
export async function openSqlDataStore(
  config: SqlStoreConfig,
  opts: OpenOptions = {},
): Promise<DataStore> {
  const { flavor, dialect } = createDialect(config);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrate(db, flavor, config.disableMigration);
  } catch (err) {
    await db.destroy();
    throw wrapDbError(err);
  }
  return new SqlDataStore({ db, flavor, now: opts.now ?? (() => Math.floor(Date.now() / 1000)) });
}

/** The DataStore on SQLite, PostgreSQL or MySQL through Kysely. */
class SqlDataStore implements DataStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  createEntry(e: NewRegistrationEntry) {
    return entries.createEntry(this.#ctx, e);
  }
  createOrReturnEntry(e: NewRegistrationEntry) {
    return entries.createOrReturnEntry(this.#ctx, e);
  }
  createEntries(list: readonly NewRegistrationEntry[]) {
    return entries.createEntries(this.#ctx, list);
  }
  fetchEntry(id: string) {
    return entries.fetchEntry(this.#ctx, id);
  }
  updateEntry(e: RegistrationEntry, mask?: EntryMask) {
    return entries.updateEntry(this.#ctx, e, mask);
  }
  deleteEntry(id: string) {
    return entries.deleteEntry(this.#ctx, id);
  }
  listEntries(filter?: EntryFilter, page?: Pagination) {
    return entries.listEntries(this.#ctx, filter, page);
  }
  countEntries(filter?: EntryFilter) {
    return entries.countEntries(this.#ctx, filter);
  }
  pruneEntries(expiresBefore: number) {
    return entries.pruneEntries(this.#ctx, expiresBefore);
  }

  createAttestedNode(n: NewAttestedNode) {
    return nodes.createAttestedNode(this.#ctx, n);
  }
  fetchAttestedNode(spiffeId: string) {
    return nodes.fetchAttestedNode(this.#ctx, spiffeId);
  }
  updateAttestedNode(n: NewAttestedNode, mask?: NodeMask) {
    return nodes.updateAttestedNode(this.#ctx, n, mask);
  }
  deleteAttestedNode(spiffeId: string) {
    return nodes.deleteAttestedNode(this.#ctx, spiffeId);
  }
  listAttestedNodes(filter?: NodeFilter, page?: Pagination) {
    return nodes.listAttestedNodes(this.#ctx, filter, page);
  }
  countAttestedNodes(filter?: NodeFilter) {
    return nodes.countAttestedNodes(this.#ctx, filter);
  }
  pruneAttestedNodes(expiredBefore: number, includeNonReattestable: boolean) {
    return nodes.pruneAttestedNodes(this.#ctx, expiredBefore, includeNonReattestable);
  }
  setNodeSelectors(spiffeId: string, selectors: readonly Selector[]) {
    return nodes.setNodeSelectors(this.#ctx, spiffeId, selectors);
  }
  getNodeSelectors(spiffeId: string) {
    return nodes.getNodeSelectors(this.#ctx, spiffeId);
  }
  listNodeSelectors() {
    return nodes.listNodeSelectors(this.#ctx);
  }

  createBundle(b: Bundle) {
    return bundles.createBundle(this.#ctx, b);
  }
  fetchBundle(trustDomain: string) {
    return bundles.fetchBundle(this.#ctx, trustDomain);
  }
  updateBundle(b: Bundle, mask?: BundleMask) {
    return bundles.updateBundle(this.#ctx, b, mask);
  }
  setBundle(b: Bundle) {
    return bundles.setBundle(this.#ctx, b);
  }
  appendBundle(b: Bundle) {
    return bundles.appendBundle(this.#ctx, b);
  }
  deleteBundle(trustDomain: string, mode: BundleDeleteMode) {
    return bundles.deleteBundle(this.#ctx, trustDomain, mode);
  }
  listBundles(page?: Pagination) {
    return bundles.listBundles(this.#ctx, page);
  }
  countBundles() {
    return bundles.countBundles(this.#ctx);
  }
  pruneBundle(trustDomain: string, expiresBefore: number) {
    return bundles.pruneBundle(this.#ctx, trustDomain, expiresBefore);
  }

  createJoinToken(t: JoinToken) {
    return tokens.createJoinToken(this.#ctx, t);
  }
  fetchJoinToken(token: string) {
    return tokens.fetchJoinToken(this.#ctx, token);
  }
  deleteJoinToken(token: string) {
    return tokens.deleteJoinToken(this.#ctx, token);
  }
  takeJoinToken(token: string) {
    return tokens.takeJoinToken(this.#ctx, token);
  }
  pruneJoinTokens(expiresBefore: number) {
    return tokens.pruneJoinTokens(this.#ctx, expiresBefore);
  }

  createFederationRelationship(fr: FederationRelationship) {
    return federation.createFederationRelationship(this.#ctx, fr);
  }
  fetchFederationRelationship(trustDomain: string) {
    return federation.fetchFederationRelationship(this.#ctx, trustDomain);
  }
  listFederationRelationships(page?: Pagination) {
    return federation.listFederationRelationships(this.#ctx, page);
  }
  updateFederationRelationship(fr: FederationRelationship, mask?: FederationRelationshipMask) {
    return federation.updateFederationRelationship(this.#ctx, fr, mask);
  }
  deleteFederationRelationship(trustDomain: string) {
    return federation.deleteFederationRelationship(this.#ctx, trustDomain);
  }

  setCaJournal(j: CaJournal) {
    return journal.setCaJournal(this.#ctx, j);
  }
  fetchCaJournal(activeX509AuthorityId: string) {
    return journal.fetchCaJournal(this.#ctx, activeX509AuthorityId);
  }
  listCaJournals() {
    return journal.listCaJournals(this.#ctx);
  }
  deleteCaJournal(id: number) {
    return journal.deleteCaJournal(this.#ctx, id);
  }

  listEntryEvents(afterId: number, limit?: number) {
    return events.listEntryEvents(this.#ctx, afterId, limit);
  }
  listNodeEvents(afterId: number, limit?: number) {
    return events.listNodeEvents(this.#ctx, afterId, limit);
  }
  pruneEvents(createdBefore: number) {
    return events.pruneEvents(this.#ctx, createdBefore);
  }

  close() {
    return this.#ctx.db.destroy();
  }
}
