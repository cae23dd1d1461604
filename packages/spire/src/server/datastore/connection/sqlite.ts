import { resolve } from 'node:path';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';

/** What better-sqlite3 needs to open a database. */
export interface SqliteOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string;
  readonly readonly: boolean;
  /** Milliseconds a writer waits for another connection's lock. */
  readonly busyTimeoutMs: number;
}

/** Default wait for a locked database, as SPIRE sets `_busy_timeout`. */
export const SQLITE_DEFAULT_BUSY_TIMEOUT_MS = 5_000;

// Go sqlite3 DSN parameters that ask for what we always do (WAL, foreign keys, locking) or that
// only tune the Go driver: accepted and ignored.
const IGNORED_PARAMS = new Set([
  'cache',
  '_journal_mode',
  '_journal',
  '_foreign_keys',
  '_fk',
  '_txlock',
  '_locking_mode',
  '_locking',
  '_sync',
  '_synchronous',
  '_loc',
  '_mutex',
]);

/**
 * Parses SPIRE's sqlite3 `connection_string`: a file path, or a `file:` URI with parameters as
 * the Go driver takes them (`file:/data/datastore.sqlite3?_busy_timeout=10000&mode=ro`).
 */
export function parseSqliteConnectionString(conn: string): SqliteOptions {
  if (conn.trim() === '') {
    throw configError('connection_string must not be empty for database_type "sqlite3"');
  }
  if (!conn.startsWith('file:')) {
    return {
      filename: plainPath(conn),
      readonly: false,
      busyTimeoutMs: SQLITE_DEFAULT_BUSY_TIMEOUT_MS,
    };
  }
  const q = conn.indexOf('?');
  const path = decodeURIComponent(conn.slice('file:'.length, q < 0 ? undefined : q));
  const params = new URLSearchParams(q < 0 ? '' : conn.slice(q + 1));
  let filename =
    path === ':memory:' ? ':memory:' : plainPath(path.replace(/^\/\/(localhost)?/, ''));
  let readonly = false;
  let busyTimeoutMs = SQLITE_DEFAULT_BUSY_TIMEOUT_MS;
  for (const [key, value] of params) {
    if (key === 'mode') {
      ({ filename, readonly } = applyMode(value, filename, readonly));
    } else if (key === '_busy_timeout' || key === '_timeout') {
      busyTimeoutMs = parseTimeout(key, value);
    } else if (!IGNORED_PARAMS.has(key)) {
      throw configError(`sqlite connection_string parameter "${key}" is not supported`);
    }
  }
  return { filename, readonly, busyTimeoutMs };
}

function plainPath(path: string): string {
  if (path === ':memory:') return path;
  if (path === '') throw configError('sqlite connection_string must name a database file');
  return resolve(path);
}

function applyMode(value: string, filename: string, readonly: boolean) {
  switch (value) {
    case 'memory':
      return { filename: ':memory:', readonly };
    case 'ro':
      return { filename, readonly: true };
    case 'rw':
    case 'rwc':
      return { filename, readonly: false };
    default:
      throw configError(
        `sqlite connection_string mode "${value}" must be one of ro, rw, rwc, memory`,
      );
  }
}

function parseTimeout(key: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw configError(`sqlite connection_string ${key} "${value}" must be milliseconds as digits`);
  }
  return Number(value);
}

function configError(message: string): DataStoreError {
  return new DataStoreError(DataStoreErrorCode.Config, message);
}
