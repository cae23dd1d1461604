import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';

/** Connection settings for `pg`, parsed from SPIRE's postgres `connection_string`. */
export interface PostgresOptions {
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly applicationName?: string;
  readonly connectTimeoutMs?: number;
  /** false: plain TCP; otherwise node TLS options. */
  readonly ssl: false | ConnectionOptions;
}

const KNOWN_KEYS = new Set([
  'host',
  'hostaddr',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'application_name',
  'connect_timeout',
  'fallback_application_name',
  'search_path',
  'timezone',
  'TimeZone',
]);

/**
 * Parses a postgres `connection_string` in either libpq form: key/value
 * (`dbname=spire user=spire host=db port=5432 sslmode=verify-full`) or URL
 * (`postgres://spire:pw@db:5432/spire?sslmode=disable`). As lib/pq, which SPIRE uses, an
 * absent `sslmode` means `require`.
 */
export function parsePostgresConnectionString(conn: string): PostgresOptions {
  const trimmed = conn.trim();
  if (trimmed === '') {
    throw configError('connection_string must not be empty for database_type "postgres"');
  }
  const kv = /^postgres(ql)?:\/\//.test(trimmed) ? parseUrl(trimmed) : parseKeyValue(trimmed);
  return toOptions(kv);
}

function parseUrl(conn: string): Map<string, string> {
  let url: URL;
  try {
    url = new URL(conn);
  } catch (cause) {
    throw new DataStoreError(
      DataStoreErrorCode.Config,
      'postgres connection_string is not a valid URL',
      {
        cause,
      },
    );
  }
  const kv = new Map<string, string>();
  if (url.hostname) kv.set('host', url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port) kv.set('port', url.port);
  if (url.username) kv.set('user', decodeURIComponent(url.username));
  if (url.password) kv.set('password', decodeURIComponent(url.password));
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (db) kv.set('dbname', db);
  for (const [key, value] of url.searchParams) kv.set(key, value);
  return kv;
}

/** libpq key/value syntax: `key=value` pairs split by spaces; values may be single-quoted. */
function parseKeyValue(conn: string): Map<string, string> {
  const kv = new Map<string, string>();
  let i = 0;
  while (i < conn.length) {
    while (conn[i] === ' ' || conn[i] === '\t') i++;
    if (i >= conn.length) break;
    const eq = conn.indexOf('=', i);
    if (eq < 0) throw configError(`postgres connection_string: "${conn.slice(i)}" lacks "=value"`);
    const key = conn.slice(i, eq).trim();
    const [value, next] = readValue(conn, eq + 1);
    kv.set(key, value);
    i = next;
  }
  return kv;
}

function readValue(conn: string, start: number): [string, number] {
  let i = start;
  while (conn[i] === ' ') i++;
  const quoted = conn[i] === "'";
  if (quoted) i++;
  let out = '';
  for (; i < conn.length; i++) {
    const c = conn[i];
    if (c === '\\' && i + 1 < conn.length) {
      out += conn[++i];
    } else if (quoted && c === "'") {
      return [out, i + 1];
    } else if (!quoted && (c === ' ' || c === '\t')) {
      return [out, i];
    } else {
      out += c;
    }
  }
  if (quoted) throw configError('postgres connection_string has an unterminated quoted value');
  return [out, i];
}

function toOptions(kv: Map<string, string>): PostgresOptions {
  for (const key of kv.keys()) {
    if (!KNOWN_KEYS.has(key)) {
      throw configError(`postgres connection_string parameter "${key}" is not supported`);
    }
  }
  const port = kv.get('port') ?? '5432';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw configError(`postgres connection_string port "${port}" must be a number from 1 to 65535`);
  }
  const timeout = kv.get('connect_timeout');
  if (timeout !== undefined && !/^\d{1,6}$/.test(timeout)) {
    throw configError(`postgres connection_string connect_timeout "${timeout}" must be seconds`);
  }
  return {
    host: kv.get('hostaddr') ?? kv.get('host') ?? 'localhost',
    port: Number(port),
    user: kv.get('user'),
    password: kv.get('password'),
    database: kv.get('dbname'),
    applicationName: kv.get('application_name') ?? kv.get('fallback_application_name'),
    connectTimeoutMs: timeout === undefined ? undefined : Number(timeout) * 1000,
    ssl: sslOptions(kv),
  };
}

function sslOptions(kv: Map<string, string>): false | ConnectionOptions {
  const mode = kv.get('sslmode') ?? 'require';
  const files = {
    ca: readPem(kv, 'sslrootcert'),
    cert: readPem(kv, 'sslcert'),
    key: readPem(kv, 'sslkey'),
  };
  switch (mode) {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
    case 'require':
      // libpq: require without a root certificate encrypts but does not verify.
      return { ...files, rejectUnauthorized: files.ca !== undefined };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
    default:
      throw configError(
        `postgres connection_string sslmode "${mode}" must be one of disable, allow, prefer, require, verify-ca, verify-full`,
      );
  }
}

function readPem(kv: Map<string, string>, key: string): string | undefined {
  const path = kv.get(key);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DataStoreError(
      DataStoreErrorCode.Config,
      `postgres connection_string ${key}: cannot read "${path}"`,
      {
        cause,
      },
    );
  }
}

function configError(message: string): DataStoreError {
  return new DataStoreError(DataStoreErrorCode.Config, message);
}
