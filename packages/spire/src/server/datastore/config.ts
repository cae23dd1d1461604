import { z } from 'zod';
import { parseGoDurationMs } from './connection/mysql.js';
import { DataStoreError, DataStoreErrorCode } from './errors.js';

/** The database engines the `sql` DataStore runs on. */
export type DatabaseType = 'sqlite3' | 'postgres' | 'mysql';

/** The validated `plugin_data` of `DataStore "sql"`. */
export interface SqlStoreConfig {
  readonly databaseType: DatabaseType;
  readonly connectionString: string;
  /** MySQL TLS files, as SPIRE names them. */
  readonly rootCaPath?: string;
  readonly clientCertPath?: string;
  readonly clientKeyPath?: string;
  /** Pool size; SPIRE's default is 100. */
  readonly maxOpenConns: number;
  /** Connections kept idle; SPIRE's (Go's) default is 2. */
  readonly maxIdleConns: number;
  /** 0 means connections live forever. */
  readonly connMaxLifetimeMs: number;
  /** When true the store refuses to start on an old schema instead of migrating it. */
  readonly disableMigration: boolean;
}

/** SPIRE's default `max_open_conns`. */
export const DEFAULT_MAX_OPEN_CONNS = 100;
/** Go's `database/sql` default for idle connections, which SPIRE keeps. */
export const DEFAULT_MAX_IDLE_CONNS = 2;

const schema = z.strictObject({
  database_type: z.string(),
  connection_string: z.string(),
  ro_connection_string: z.string().optional(),
  root_ca_path: z.string().optional(),
  client_cert_path: z.string().optional(),
  client_key_path: z.string().optional(),
  max_open_conns: z.number().int().positive().optional(),
  max_idle_conns: z.number().int().nonnegative().optional(),
  conn_max_lifetime: z.string().optional(),
  disable_migration: z.boolean().optional(),
  log_sql: z.boolean().optional(),
});

/** Validates the `plugin_data` block of `DataStore "sql"` into a frozen config. */
export function parseSqlStoreConfig(pluginData: unknown): SqlStoreConfig {
  const parsed = schema.safeParse(pluginData);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || (issue && 'keys' in issue ? String(issue.keys) : '');
    throw new DataStoreError(
      DataStoreErrorCode.Config,
      `sql plugin_data ${where}: ${issue?.message ?? 'invalid'}`,
      { cause: parsed.error },
    );
  }
  const d = parsed.data;
  if (d.ro_connection_string !== undefined) {
    throw configError('sql plugin_data ro_connection_string is not supported yet');
  }
  return Object.freeze({
    databaseType: databaseType(d.database_type),
    connectionString: d.connection_string,
    rootCaPath: d.root_ca_path,
    clientCertPath: d.client_cert_path,
    clientKeyPath: d.client_key_path,
    maxOpenConns: d.max_open_conns ?? DEFAULT_MAX_OPEN_CONNS,
    maxIdleConns: d.max_idle_conns ?? DEFAULT_MAX_IDLE_CONNS,
    connMaxLifetimeMs: d.conn_max_lifetime ? parseGoDurationMs(d.conn_max_lifetime) : 0,
    disableMigration: d.disable_migration ?? false,
  });
}

function databaseType(value: string): DatabaseType {
  if (value === 'sqlite3' || value === 'postgres' || value === 'mysql') return value;
  if (value === 'aws_postgres' || value === 'aws_mysql') {
    throw configError(`sql plugin_data database_type "${value}" (AWS IAM auth) is not supported`);
  }
  throw configError(
    `sql plugin_data database_type "${value}" must be one of sqlite3, postgres, mysql`,
  );
}

function configError(message: string): DataStoreError {
  return new DataStoreError(DataStoreErrorCode.Config, message);
}
