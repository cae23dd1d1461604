import { describe, expect, it } from 'vitest';
import {
  parseMysqlConnectionString,
  parsePostgresConnectionString,
  parseSqliteConnectionString,
  parseSqlStoreConfig,
} from '../../../src/server/datastore/index.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('sqlite3 connection_string', () => {
  it.each([
    ['/data/ds.sqlite3', { filename: '/data/ds.sqlite3', readonly: false, busyTimeoutMs: 5000 }],
    [
      'file:/data/ds.sqlite3?_busy_timeout=10000&cache=shared',
      { filename: '/data/ds.sqlite3', readonly: false, busyTimeoutMs: 10000 },
    ],
    [
      'file:/data/ds.sqlite3?mode=ro',
      { filename: '/data/ds.sqlite3', readonly: true, busyTimeoutMs: 5000 },
    ],
    ['file::memory:?cache=shared', { filename: ':memory:', readonly: false, busyTimeoutMs: 5000 }],
    ['file:x.db?mode=memory', { filename: ':memory:', readonly: false, busyTimeoutMs: 5000 }],
  ])('parses %s', (conn, expected) => {
    expect(parseSqliteConnectionString(conn)).toEqual(expected);
  });

  it.each(['', 'file:/d.db?mode=bogus', 'file:/d.db?_busy_timeout=1s', 'file:/d.db?unknown=1'])(
    'rejects %j with ERR_DATASTORE_CONFIG',
    (conn) => {
      expect(codeOf(() => parseSqliteConnectionString(conn))).toBe('ERR_DATASTORE_CONFIG');
    },
  );
});

describe('postgres connection_string', () => {
  it('parses the libpq key/value form with quoting', () => {
    const o = parsePostgresConnectionString(
      "dbname=spire user=spire password='p a\\'ss' host=db.local port=6543 sslmode=disable connect_timeout=5",
    );
    expect(o).toEqual({
      host: 'db.local',
      port: 6543,
      user: 'spire',
      password: "p a'ss",
      database: 'spire',
      applicationName: undefined,
      connectTimeoutMs: 5000,
      ssl: false,
    });
  });

  it('parses the URL form', () => {
    const o = parsePostgresConnectionString(
      'postgres://u:p%40ss@[::1]:5433/spire?sslmode=verify-full',
    );
    expect([o.host, o.port, o.user, o.password, o.database, o.ssl]).toEqual([
      '::1',
      5433,
      'u',
      'p@ss',
      'spire',
      { ca: undefined, cert: undefined, key: undefined, rejectUnauthorized: true },
    ]);
  });

  it('defaults to sslmode require (encrypted, unverified) as lib/pq does', () => {
    expect(parsePostgresConnectionString('dbname=x').ssl).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      rejectUnauthorized: false,
    });
  });

  it.each([
    '',
    'dbname=x sslmode=maybe',
    'dbname=x port=99999',
    "dbname='unterminated",
    'dbname=x bogus=1',
    'justakey',
    'postgres://[bad',
    'dbname=x sslmode=verify-full sslrootcert=/nonexistent/ca.pem',
  ])('rejects %j with ERR_DATASTORE_CONFIG', (conn) => {
    expect(codeOf(() => parsePostgresConnectionString(conn))).toBe('ERR_DATASTORE_CONFIG');
  });
});

describe('mysql connection_string (Go DSN)', () => {
  it.each([
    [
      'spire:p@ss@tcp(db:3307)/spire?parseTime=true&tls=true&timeout=5s',
      {
        host: 'db',
        port: 3307,
        user: 'spire',
        password: 'p@ss',
        database: 'spire',
        tls: 'verify',
        connectTimeoutMs: 5000,
      },
    ],
    [
      'root@tcp(127.0.0.1:3306)/test',
      {
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        password: undefined,
        database: 'test',
        tls: 'none',
      },
    ],
    [
      'u:p@unix(/run/mysqld.sock)/db?tls=skip-verify',
      {
        socketPath: '/run/mysqld.sock',
        user: 'u',
        password: 'p',
        database: 'db',
        tls: 'skip-verify',
      },
    ],
    [
      '/db',
      {
        host: '127.0.0.1',
        port: 3306,
        user: undefined,
        password: undefined,
        database: 'db',
        tls: 'none',
      },
    ],
    [
      'u@tcp([::1]:3306)/db',
      { host: '::1', port: 3306, user: 'u', password: undefined, database: 'db', tls: 'none' },
    ],
  ])('parses %s', (dsn, expected) => {
    expect(parseMysqlConnectionString(dsn)).toMatchObject(expected);
  });

  it.each([
    '',
    'u@tcp(db:3306)',
    'u@tcp(db:3306)/',
    'u@udp(db)/x',
    'u@tcp(db:0)/x',
    'u@tcp(db)/x?tls=maybe',
    'u@tcp(db)/x?timeout=5',
    'u@tcp(db)/x?bogus=1',
  ])('rejects %j with ERR_DATASTORE_CONFIG', (dsn) => {
    expect(codeOf(() => parseMysqlConnectionString(dsn))).toBe('ERR_DATASTORE_CONFIG');
  });
});

describe('sql plugin_data', () => {
  it('applies SPIRE defaults for pool settings', () => {
    expect(parseSqlStoreConfig({ database_type: 'sqlite3', connection_string: '/d.db' })).toEqual({
      databaseType: 'sqlite3',
      connectionString: '/d.db',
      rootCaPath: undefined,
      clientCertPath: undefined,
      clientKeyPath: undefined,
      maxOpenConns: 100,
      maxIdleConns: 2,
      connMaxLifetimeMs: 0,
      disableMigration: false,
    });
  });

  it('reads pool settings and durations', () => {
    const c = parseSqlStoreConfig({
      database_type: 'postgres',
      connection_string: 'dbname=x',
      max_open_conns: 10,
      max_idle_conns: 5,
      conn_max_lifetime: '1m30s',
      disable_migration: true,
    });
    expect([c.maxOpenConns, c.maxIdleConns, c.connMaxLifetimeMs, c.disableMigration]).toEqual([
      10,
      5,
      90_000,
      true,
    ]);
  });

  it.each([
    ['an unknown key', { database_type: 'sqlite3', connection_string: 'x', bogus: 1 }],
    ['an unknown database_type', { database_type: 'oracle', connection_string: 'x' }],
    ['aws_postgres (IAM auth)', { database_type: 'aws_postgres', connection_string: 'x' }],
    ['a missing connection_string', { database_type: 'sqlite3' }],
    [
      'a bad conn_max_lifetime',
      { database_type: 'sqlite3', connection_string: 'x', conn_max_lifetime: '5 minutes' },
    ],
    [
      'a zero max_open_conns',
      { database_type: 'sqlite3', connection_string: 'x', max_open_conns: 0 },
    ],
    [
      'ro_connection_string (not supported yet)',
      { database_type: 'sqlite3', connection_string: 'x', ro_connection_string: 'y' },
    ],
  ])('rejects %s with ERR_DATASTORE_CONFIG', (_name, data) => {
    expect(codeOf(() => parseSqlStoreConfig(data))).toBe('ERR_DATASTORE_CONFIG');
  });
});
