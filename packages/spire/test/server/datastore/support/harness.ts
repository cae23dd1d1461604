import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type DataStore, openSqlDataStore } from '../../../../src/server/datastore/index.js';
import type { Backend, TestDatabase } from './backends.js';

/** A settable clock in Unix seconds. */
export interface FakeClock {
  now: number;
}

/** What each conformance test gets: a fresh store on a fresh database, and its clock. */
export interface StoreFixture {
  store: DataStore;
  clock: FakeClock;
  db: TestDatabase;
  /** Opens another store on the same database (another "server"); closed after the test. */
  openAnother(): Promise<DataStore>;
}

/** The start time of every test's clock: 2030-01-01T00:00:00Z. */
export const T0 = 1_893_456_000;

/**
 * Gives each test an empty store: one database per suite (created and migrated once, dropped
 * at the end), emptied before each test.
 */
export function useStore(backend: Backend): StoreFixture {
  const fx = { clock: { now: T0 } } as StoreFixture;
  const extra: DataStore[] = [];
  beforeAll(async () => {
    fx.db = await backend.create();
    await (await openSqlDataStore(fx.db.config)).close();
  });
  afterAll(async () => {
    await fx.db?.drop();
  });
  beforeEach(async () => {
    fx.clock.now = T0;
    await fx.db.wipe();
    fx.store = await openSqlDataStore(fx.db.config, { now: () => fx.clock.now });
    fx.openAnother = async () => {
      const s = await openSqlDataStore(fx.db.config, { now: () => fx.clock.now });
      extra.push(s);
      return s;
    };
  });
  afterEach(async () => {
    for (const s of extra.splice(0)) await s.close();
    await fx.store?.close();
  });
  return fx;
}
