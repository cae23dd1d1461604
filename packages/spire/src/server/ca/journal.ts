import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * Where the CA manager keeps its journal (which authorities exist, which is active) between
 * restarts. The datastore provides a shared, DB-backed one for HA servers.
 */
export interface CaJournalStore {
  load(): Promise<Uint8Array | undefined>;
  save(bytes: Uint8Array): Promise<void>;
}

/** A journal kept in memory: a restart loses it (tests, and servers with KeyManager `memory`). */
export class MemoryCaJournalStore implements CaJournalStore {
  #bytes: Uint8Array | undefined;

  async load(): Promise<Uint8Array | undefined> {
    return this.#bytes;
  }

  async save(bytes: Uint8Array): Promise<void> {
    this.#bytes = Uint8Array.from(bytes);
  }
}

/** A journal in one file, replaced atomically (the journal holds no secrets, only public data). */
export class FileCaJournalStore implements CaJournalStore {
  constructor(readonly path: string) {}

  async load(): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async save(bytes: Uint8Array): Promise<void> {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o644 });
    await rename(tmp, this.path);
  }
}
