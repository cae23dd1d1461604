import { readFileSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { type Dialect, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import type { SqlStoreConfig } from '../config.js';
import { type MysqlOptions, parseMysqlConnectionString } from '../connection/mysql.js';
import { parsePostgresConnectionString } from '../connection/postgres.js';
import { parseSqliteConnectionString } from '../connection/sqlite.js';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';
import type { Flavor } from './schema.js';

/** A Kysely dialect with the flavor that tells the store which SQL differences apply. */
export interface DialectChoice {
  readonly flavor: Flavor;
  readonly dialect: Dialect;
}

const PG_INT8_OID = 20;

/** Builds the Kysely dialect for a validated config; connects lazily. */
export function createDialect(config: SqlStoreConfig): DialectChoice {
  switch (config.databaseType) {
    case 'sqlite3':
      return { flavor: 'sqlite', dialect: sqliteDialect(config) };
    case 'postgres':
      return { flavor: 'postgres', dialect: postgresDialect(config) };
    case 'mysql':
      return { flavor: 'mysql', dialect: mysqlDialect(config) };
  }
}

function sqliteDialect(config: SqlStoreConfig): Dialect {
  const opts = parseSqliteConnectionString(config.connectionString);
  return new SqliteDialect({
    database: async () => {
      const db = new SQLite(opts.filename, {
        readonly: opts.readonly,
        timeout: opts.busyTimeoutMs,
      });
      if (!opts.readonly && opts.filename !== ':memory:') db.pragma('journal_mode = WAL');
      // FULL: an acknowledged commit survives power loss, not only a process crash.
      db.pragma('synchronous = FULL');
      return db;
    },
  });
}

function postgresDialect(config: SqlStoreConfig): Dialect {
  const opts = parsePostgresConnectionString(config.connectionString);
  const pool = new pg.Pool({
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    ssl: opts.ssl === false ? false : opts.ssl,
    application_name: opts.applicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    max: config.maxOpenConns,
    maxLifetimeSeconds: Math.ceil(config.connMaxLifetimeMs / 1000),
    // bigint columns and count(*) come back as strings by default: read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (restart, failover) emits 'error' on the pool; without
  // a listener that would crash the process. The pool replaces the connection on next use.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

function mysqlDialect(config: SqlStoreConfig): Dialect {
  const opts = parseMysqlConnectionString(config.connectionString);
  const pool = createPool({
    host: opts.host,
    port: opts.port,
    socketPath: opts.socketPath,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    connectTimeout: opts.connectTimeoutMs,
    charset: 'utf8mb4',
    connectionLimit: config.maxOpenConns,
    maxIdle: config.maxIdleConns,
    ssl: mysqlTls(config, opts),
  });
  return new MysqlDialect({ pool });
}

function mysqlTls(config: SqlStoreConfig, opts: MysqlOptions) {
  const custom = config.rootCaPath ?? config.clientCertPath ?? config.clientKeyPath;
  if (opts.tls === 'none' && custom === undefined) return undefined;
  return {
    ca: readTlsFile('root_ca_path', config.rootCaPath),
    cert: readTlsFile('client_cert_path', config.clientCertPath),
    key: readTlsFile('client_key_path', config.clientKeyPath),
    rejectUnauthorized: opts.tls !== 'skip-verify',
  };
}

function readTlsFile(key: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DataStoreError(
      DataStoreErrorCode.Config,
      `sql plugin_data ${key}: cannot read "${path}"`,
      {
        cause,
      },
    );
  }
}
