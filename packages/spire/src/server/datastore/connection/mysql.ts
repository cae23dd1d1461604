import { DataStoreError, DataStoreErrorCode } from '../errors.js';

/** Connection settings for `mysql2`, parsed from a Go MySQL DSN. */
export interface MysqlOptions {
  readonly host?: string;
  readonly port?: number;
  readonly socketPath?: string;
  readonly user?: string;
  readonly password?: string;
  readonly database: string;
  readonly connectTimeoutMs?: number;
  /** The DSN's `tls` parameter: none, verified, or encrypted without verification. */
  readonly tls: 'none' | 'verify' | 'skip-verify';
  readonly charset?: string;
}

// Parameters of the Go driver that change nothing for us (we read times as integers, always
// use prepared statements): accepted and ignored.
const IGNORED_PARAMS = new Set([
  'parseTime',
  'loc',
  'allowNativePasswords',
  'allowCleartextPasswords',
  'interpolateParams',
  'multiStatements',
  'collation',
  'readTimeout',
  'writeTimeout',
  'maxAllowedPacket',
  'clientFoundRows',
  'columnsWithAlias',
  'rejectReadOnly',
]);

/**
 * Parses SPIRE's mysql `connection_string`, a Go MySQL DSN:
 * `user:password@tcp(host:port)/dbname?tls=true&timeout=5s`, or `unix(/path/to/socket)`.
 */
export function parseMysqlConnectionString(dsn: string): MysqlOptions {
  const slash = dsn.lastIndexOf('/');
  if (dsn.trim() === '' || slash < 0) {
    throw configError('mysql connection_string must look like user:password@tcp(host:port)/dbname');
  }
  const [user, password, addr] = splitPrefix(dsn.slice(0, slash));
  const q = dsn.indexOf('?', slash);
  const database = decodeURIComponent(dsn.slice(slash + 1, q < 0 ? undefined : q));
  if (database === '') throw configError('mysql connection_string must name a database after "/"');
  const params = new URLSearchParams(q < 0 ? '' : dsn.slice(q + 1));
  return { ...addr, user, password, database, ...parseParams(params) };
}

type Address = Pick<MysqlOptions, 'host' | 'port' | 'socketPath'>;

function splitPrefix(prefix: string): [string | undefined, string | undefined, Address] {
  const at = prefix.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : prefix.slice(0, at);
  const netAddr = at < 0 ? prefix : prefix.slice(at + 1);
  const colon = userinfo?.indexOf(':') ?? -1;
  const user = colon < 0 ? userinfo : userinfo?.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo?.slice(colon + 1);
  return [user || undefined, password, parseAddress(netAddr)];
}

function parseAddress(netAddr: string): Address {
  if (netAddr === '') return { host: '127.0.0.1', port: 3306 };
  const m = /^(tcp|tcp6|unix)(?:\((.*)\))?$/.exec(netAddr);
  if (!m) {
    throw configError(
      `mysql connection_string network "${netAddr}" must be tcp(host:port) or unix(path)`,
    );
  }
  const addr = m[2] ?? '';
  if (m[1] === 'unix') return { socketPath: addr || '/tmp/mysql.sock' };
  return hostPort(addr);
}

function hostPort(addr: string): Address {
  if (addr === '') return { host: '127.0.0.1', port: 3306 };
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d{1,5}))?$/.exec(addr);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3] ?? '3306');
  if (!m || !host || port < 1 || port > 65535) {
    throw configError(`mysql connection_string address "${addr}" must be host:port`);
  }
  return { host, port };
}

function parseParams(params: URLSearchParams) {
  let tls: MysqlOptions['tls'] = 'none';
  let connectTimeoutMs: number | undefined;
  let charset: string | undefined;
  for (const [key, value] of params) {
    if (key === 'tls') tls = parseTls(value);
    else if (key === 'timeout') connectTimeoutMs = parseGoDurationMs(value);
    else if (key === 'charset') charset = value.split(',')[0];
    else if (!IGNORED_PARAMS.has(key)) {
      throw configError(`mysql connection_string parameter "${key}" is not supported`);
    }
  }
  return { tls, connectTimeoutMs, charset };
}

function parseTls(value: string): MysqlOptions['tls'] {
  switch (value) {
    case 'true':
    case 'custom':
      return 'verify';
    case 'skip-verify':
    case 'preferred':
      return 'skip-verify';
    case 'false':
      return 'none';
    default:
      throw configError(
        `mysql connection_string tls "${value}" must be true, false, skip-verify or preferred`,
      );
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration such as `5s`, `1m30s` or `250ms`, in milliseconds. */
export function parseGoDurationMs(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw configError(`duration "${value}" must be a Go duration such as 30s, 5m or 1h30m`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] ?? 0), 0);
}

function configError(message: string): DataStoreError {
  return new DataStoreError(DataStoreErrorCode.Config, message);
}
