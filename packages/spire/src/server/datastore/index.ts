export {
  type DatabaseType,
  DEFAULT_MAX_IDLE_CONNS,
  DEFAULT_MAX_OPEN_CONNS,
  parseSqlStoreConfig,
  type SqlStoreConfig,
} from './config.js';
export { type MysqlOptions, parseMysqlConnectionString } from './connection/mysql.js';
export { type PostgresOptions, parsePostgresConnectionString } from './connection/postgres.js';
export { parseSqliteConnectionString, type SqliteOptions } from './connection/sqlite.js';
export type * from './datastore.js';
export { DataStoreError, DataStoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './sql/migrations.js';
export { type OpenOptions, openSqlDataStore } from './sqlstore.js';
export type * from './types.js';
