import { describe, expect, it } from 'vitest';
import { openSqlDataStore, parseSqlStoreConfig } from '../../../../src/server/datastore/index.js';
import type { Backend } from '../support/backends.js';
import { codeOf } from '../support/errors.js';

/** Schema migrations on every backend: idempotent, concurrent-safe, refusable. */
export function migrationConformance(backend: Backend): void {
  describe(`migrations (${backend.name})`, () => {
    it('re-runs on a current schema without touching data', async () => {
      const db = await backend.create();
      try {
        const s1 = await openSqlDataStore(db.config);
        await s1.createJoinToken({ token: 'kept', expiresAt: 1 });
        await s1.close();
        const s2 = await openSqlDataStore(db.config);
        expect(await s2.fetchJoinToken('kept')).toEqual({ token: 'kept', expiresAt: 1 });
        await s2.close();
      } finally {
        await db.drop();
      }
    });

    it('migrates once when three servers open a new database together', async () => {
      const db = await backend.create();
      try {
        // In-process SQLite openers would block each other (synchronous driver): open in turn.
        const open = () => openSqlDataStore(db.config);
        const stores =
          backend.name === 'sqlite3'
            ? [await open(), await open(), await open()]
            : await Promise.all([open(), open(), open()]);
        await stores[0]!.createJoinToken({ token: 't', expiresAt: 1 });
        expect(await stores[2]!.fetchJoinToken('t')).toEqual({ token: 't', expiresAt: 1 });
        for (const s of stores) await s.close();
      } finally {
        await db.drop();
      }
    });

    it('refuses to start on an unmigrated database when disable_migration is set', async () => {
      const db = await backend.create();
      try {
        const config = parseSqlStoreConfig({ ...db.pluginData, disable_migration: true });
        expect(await codeOf(openSqlDataStore(config))).toBe('ERR_DATASTORE_SCHEMA_VERSION');
        await (await openSqlDataStore(db.config)).close();
        await (await openSqlDataStore(config)).close();
      } finally {
        await db.drop();
      }
    });
  });
}
