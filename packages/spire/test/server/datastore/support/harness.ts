import { afterEach, beforeEach } from 'vitest';
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

/** Gives each test a fresh database and store; drops both afterwards. */
export function useStore(backend: Backend): StoreFixture {
  const fx = { clock: { now: T0 } } as StoreFixture;
  const extra: DataStore[] = [];
  beforeEach(async () => {
    fx.clock.now = T0;
    fx.db = await backend.create();
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
    await fx.db?.drop();
  });
  return fx;
}
