import { readFile, rename } from 'node:fs/promises';
import type { SpireLogger } from '../../common/log/index.js';
import type { DataStore } from '../datastore/index.js';
import { CaError } from './authority.js';

/** A journal as found by {@link CaJournalStore.load}. */
export interface LoadedCaJournal {
  readonly bytes: Uint8Array;
  /** Where it came from, for errors and logs (a datastore row or a file path). */
  readonly source: string;
}

/** What a saved journal is looked up by (SPIRE: the authority IDs of its active authorities). */
export interface CaJournalIndex {
  /** Hex key identifier of the active X.509 CA's public key ({@link authorityIdOf}). */
  readonly activeX509AuthorityId: string;
  /** `kid` of the active JWT key; empty with JWT-SVIDs disabled. */
  readonly activeJwtAuthorityId: string;
}

/**
 * Where the CA manager keeps its journal (which authorities exist, which is active) between
 * restarts. The journal holds public data only: keys stay in the KeyManager.
 */
export interface CaJournalStore {
  /**
   * This server's journal, or undefined for a fresh start. `authorityIds` are the authority IDs
   * of every key the KeyManager holds: a journal belongs to this server when its active X.509
   * authority is one of them.
   */
  load(authorityIds: readonly string[]): Promise<LoadedCaJournal | undefined>;
  /** Stores the journal durably; the manager uses no new authority before this resolves. */
  save(bytes: Uint8Array, index: CaJournalIndex): Promise<void>;
  /**
   * Forgets journals of other servers (or of lost keys) for which `isStale` says yes; returns
   * how many went. Optional: a store holding only one journal has nothing to prune.
   */
  prune?(isStale: (bytes: Uint8Array) => boolean): Promise<number>;
}

/** A journal kept in memory: a restart loses it (tests, and servers with KeyManager `memory`). */
export class MemoryCaJournalStore implements CaJournalStore {
  #bytes: Uint8Array | undefined;

  async load(): Promise<LoadedCaJournal | undefined> {
    return this.#bytes && { bytes: this.#bytes, source: 'memory' };
  }

  async save(bytes: Uint8Array): Promise<void> {
    this.#bytes = Uint8Array.from(bytes);
  }
}

/** The part of the DataStore that holds CA journals. */
export type CaJournalRows = Pick<
  DataStore,
  'setCaJournal' | 'fetchCaJournal' | 'listCaJournals' | 'deleteCaJournal'
>;

/** Options of {@link DatastoreCaJournalStore}. */
export interface DatastoreCaJournalStoreOptions {
  readonly datastore: CaJournalRows;
  /**
   * The journal file written by earlier versions (`<data_dir>/ca-journal.json`). When the
   * datastore has no journal of this server and this file exists, it is loaded, written to the
   * datastore by the first save, then renamed `<file>.migrated`.
   */
  readonly legacyFile?: string;
  readonly log?: SpireLogger;
}

/**
 * The journal in the datastore's `ca_journals` table, one row per server (as SPIRE does since
 * 1.9). Servers sharing a database each find their own row through their own keys: the row
 * whose active X.509 authority ID is the ID of a key in this server's KeyManager.
 */
export class DatastoreCaJournalStore implements CaJournalStore {
  readonly #opts: DatastoreCaJournalStoreOptions;
  /** Our row; 0 until loaded or first saved. */
  #rowId = 0;
  /** The legacy file loaded by `load`, renamed once its contents are in the datastore. */
  #migrating: string | undefined;

  constructor(opts: DatastoreCaJournalStoreOptions) {
    this.#opts = opts;
  }

  /** The id of this server's row, 0 before the first load or save that found or made one. */
  get rowId(): number {
    return this.#rowId;
  }

  async load(authorityIds: readonly string[]): Promise<LoadedCaJournal | undefined> {
    const ds = this.#opts.datastore;
    let found: Awaited<ReturnType<CaJournalRows['fetchCaJournal']>>;
    for (const id of new Set(authorityIds)) {
      const row = await ds.fetchCaJournal(id);
      // Several rows can match after a datastore restore; the newest one is the current one.
      if (row && (!found || row.id > found.id)) found = row;
    }
    if (found) {
      this.#rowId = found.id;
      this.#opts.log?.debug(
        { ca_journal_id: found.id, local_authority_id: found.activeX509AuthorityId },
        'Loaded CA journal from the datastore',
      );
      return { bytes: found.data, source: `datastore ca journal ${found.id}` };
    }
    const file = this.#opts.legacyFile;
    if (file === undefined) return undefined;
    const bytes = await readLegacy(file);
    if (!bytes) return undefined;
    this.#migrating = file;
    this.#opts.log?.info({ path: file }, 'Migrating CA journal file into the datastore');
    return { bytes, source: file };
  }

  async save(bytes: Uint8Array, index: CaJournalIndex): Promise<void> {
    const ds = this.#opts.datastore;
    const row = { data: bytes, ...index };
    let saved: Awaited<ReturnType<CaJournalRows['setCaJournal']>>;
    try {
      saved = await ds.setCaJournal({ id: this.#rowId, ...row });
    } catch (err) {
      // Our row was deleted under us (by hand, or pruned by a server with a wrong clock):
      // write a new one rather than lose the journal.
      if ((err as { code?: string }).code !== 'ERR_DATASTORE_NOT_FOUND') throw err;
      saved = await ds.setCaJournal({ id: 0, ...row });
    }
    if (this.#rowId !== saved.id) {
      this.#opts.log?.info({ ca_journal_id: saved.id }, 'Created a new CA journal entry');
    }
    this.#rowId = saved.id;
    if (this.#migrating) await this.#retireLegacy(this.#migrating);
  }

  async prune(isStale: (bytes: Uint8Array) => boolean): Promise<number> {
    const ds = this.#opts.datastore;
    let pruned = 0;
    for (const row of await ds.listCaJournals()) {
      if (row.id === this.#rowId || !isStale(row.data)) continue;
      try {
        await ds.deleteCaJournal(row.id);
        pruned++;
      } catch (err) {
        // Another server pruned it first.
        if ((err as { code?: string }).code !== 'ERR_DATASTORE_NOT_FOUND') throw err;
      }
    }
    return pruned;
  }

  async #retireLegacy(file: string): Promise<void> {
    this.#migrating = undefined;
    try {
      await rename(file, `${file}.migrated`);
      this.#opts.log?.info(
        { path: file, ca_journal_id: this.#rowId },
        `CA journal migrated into the datastore; the file was renamed ${file}.migrated`,
      );
    } catch (err) {
      // The datastore already has the journal and is read first from now on: only warn.
      this.#opts.log?.warn(
        { path: file, error: err },
        'CA journal migrated into the datastore, but the file could not be renamed',
      );
    }
  }
}

async function readLegacy(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaError(
      'ERR_CA_BAD_JOURNAL',
      `cannot read the ca journal file ${file} (${(err as Error).message}); fix its permissions ` +
        'or remove it to start a new ca',
      { cause: err },
    );
  }
}
