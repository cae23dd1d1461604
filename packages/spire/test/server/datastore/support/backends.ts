import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import {
  parseSqlStoreConfig,
  type SqlStoreConfig,
} from '../../../../src/server/datastore/index.js';

/** A throw-away database on one engine. */
export interface TestDatabase {
  /** The store config (`plugin_data` as SPIRE spells it) pointing at this database. */
  readonly pluginData: Record<string, unknown>;
  readonly config: SqlStoreConfig;
  /** Empties every table of the store (the schema stays). */
  wipe(): Promise<void>;
  drop(): Promise<void>;
}

/** The store's data tables (not `migrations`). */
export const DATA_TABLES = [
  'registered_entries',
  'entry_selectors',
  'entry_dns_names',
  'entry_federates_with',
  'attested_nodes',
  'node_selectors',
  'bundles',
  'join_tokens',
  'federation_relationships',
  'ca_journals',
  'entry_events',
  'node_events',
];

/** One engine the conformance suite runs against. */
export interface Backend {
  readonly name: 'sqlite3' | 'postgres' | 'mysql';
  /** Undefined when reachable, else why not. */
  unreachable(): Promise<string | undefined>;
  /** Creates a uniquely named, empty database. */
  create(): Promise<TestDatabase>;
}

function uniqueName(): string {
  return `spire_ts_${process.pid}_${randomBytes(6).toString('hex')}`;
}

function database(
  pluginData: Record<string, unknown>,
  wipe: () => Promise<void>,
  drop: () => Promise<void>,
): TestDatabase {
  return { pluginData, config: parseSqlStoreConfig(pluginData), wipe, drop };
}

/** SQLite on a file in a fresh temporary folder. */
export const sqliteBackend: Backend = {
  name: 'sqlite3',
  unreachable: async () => undefined,
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spire-ts-ds-'));
    const file = join(dir, 'datastore.sqlite3');
    const pluginData = { database_type: 'sqlite3', connection_string: file };
    const wipe = async () => {
      const db = new SQLite(file, { timeout: 5000 });
      try {
        for (const t of DATA_TABLES) db.exec(`delete from ${t}`);
      } finally {
        db.close();
      }
    };
    return database(pluginData, wipe, async () => rmSync(dir, { recursive: true, force: true }));
  },
};

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth); one database per test. */
export const postgresBackend: Backend = {
  name: 'postgres',
  unreachable: async () => {
    try {
      await pgAdmin((c) => c.query('select 1'));
      return undefined;
    } catch (err) {
      return `postgres at ${PG.host}:${PG.port} unreachable: ${(err as Error).message}`;
    }
  },
  create: async () => {
    const name = uniqueName();
    await pgAdmin((c) => c.query(`create database ${name}`));
    const pluginData = {
      database_type: 'postgres',
      connection_string: `dbname=${name} host=${PG.host} port=${PG.port} user=${PG.user} sslmode=disable`,
    };
    const wipe = async () => {
      const c = new pg.Client({ ...PG, database: name });
      await c.connect();
      await c
        .query(`truncate table ${DATA_TABLES.join(', ')} restart identity`)
        .finally(() => c.end());
    };
    return database(pluginData, wipe, () =>
      pgAdmin(async (c) => {
        await c.query(`drop database if exists ${name} with (force)`);
      }),
    );
  },
};

const MY = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' };

async function myAdmin<T>(fn: (c: Awaited<ReturnType<typeof createConnection>>) => Promise<T>) {
  const conn = await createConnection({ ...MY, connectTimeout: 3000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** MariaDB/MySQL at 127.0.0.1:3306 (root, no password); one database per test. */
export const mysqlBackend: Backend = {
  name: 'mysql',
  unreachable: async () => {
    try {
      await myAdmin((c) => c.query('select 1'));
      return undefined;
    } catch (err) {
      return `mysql at ${MY.host}:${MY.port} unreachable: ${(err as Error).message}`;
    }
  },
  create: async () => {
    const name = uniqueName();
    await myAdmin((c) => c.query(`create database ${name}`));
    const pluginData = {
      database_type: 'mysql',
      connection_string: `${MY.user}@tcp(${MY.host}:${MY.port})/${name}`,
    };
    const wipe = () =>
      myAdmin(async (c) => {
        for (const t of DATA_TABLES) await c.query(`delete from ${name}.${t}`);
      });
    return database(pluginData, wipe, async () => {
      await myAdmin((c) => c.query(`drop database if exists ${name}`));
    });
  },
};
