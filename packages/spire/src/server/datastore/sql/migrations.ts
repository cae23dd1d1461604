import { type CreateTableBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';
import type { Database, Flavor } from './schema.js';

/** The schema version this code writes. */
export const SCHEMA_VERSION = 1;
const CODE_VERSION = '0.1.0';
// Advisory lock key (postgres) and lock name (mysql) that serialise migrations between servers.
const PG_LOCK_KEY = 0x5350_4952;
const MYSQL_LOCK_NAME = 'spire_ts_migrations';
const MYSQL_LOCK_WAIT_S = 60;

type Db = Kysely<Database>;
type Migration = (db: Db, f: Flavor) => Promise<void>;

const MIGRATIONS: readonly Migration[] = [createInitialSchema];

/**
 * Brings the schema to `SCHEMA_VERSION` under a lock, so that several servers opening one
 * database at once migrate it exactly once. Re-running on a current schema changes nothing.
 * With `disable` set the store only checks the version.
 */
export async function migrate(db: Db, flavor: Flavor, disable: boolean): Promise<void> {
  await withMigrationLock(db, flavor, async (conn) => {
    await conn.schema
      .createTable('migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('code_version', 'varchar(255)', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    const current = await currentVersion(conn);
    if (current > SCHEMA_VERSION) {
      throw schemaError(
        `database schema version ${current} is newer than this server's ${SCHEMA_VERSION}`,
      );
    }
    if (current < SCHEMA_VERSION && disable) {
      throw schemaError(
        `database schema version ${current} is older than ${SCHEMA_VERSION} and disable_migration is set`,
      );
    }
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      await MIGRATIONS[v - 1]?.(conn, flavor);
      await conn
        .insertInto('migrations')
        .values({
          version: v,
          code_version: CODE_VERSION,
          applied_at: Math.floor(Date.now() / 1000),
        })
        .execute();
    }
  });
}

/** The schema version recorded in the database (0 when empty). */
export async function currentVersion(db: Db): Promise<number> {
  const row = await db
    .selectFrom('migrations')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}

async function withMigrationLock(db: Db, flavor: Flavor, fn: (conn: Db) => Promise<void>) {
  if (flavor === 'postgres') {
    // DDL is transactional on postgres: the whole migration commits or none of it does.
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${PG_LOCK_KEY})`.execute(trx);
      await fn(trx);
    });
  }
  return db.connection().execute(async (conn) => {
    if (flavor === 'sqlite') return sqliteLocked(conn, fn);
    return mysqlLocked(conn, fn);
  });
}

async function sqliteLocked(conn: Db, fn: (conn: Db) => Promise<void>) {
  // BEGIN IMMEDIATE takes the write lock up front; a second opener waits (busy timeout).
  await sql`begin immediate`.execute(conn);
  try {
    await fn(conn);
    await sql`commit`.execute(conn);
  } catch (err) {
    await sql`rollback`.execute(conn);
    throw err;
  }
}

async function mysqlLocked(conn: Db, fn: (conn: Db) => Promise<void>) {
  const got = await sql<{
    l: number | null;
  }>`select get_lock(${MYSQL_LOCK_NAME}, ${MYSQL_LOCK_WAIT_S}) as l`.execute(conn);
  if (Number(got.rows[0]?.l) !== 1) {
    throw schemaError(`timed out after ${MYSQL_LOCK_WAIT_S}s waiting for the migration lock`);
  }
  try {
    await fn(conn);
  } finally {
    await sql`select release_lock(${MYSQL_LOCK_NAME})`.execute(conn);
  }
}

function schemaError(message: string): DataStoreError {
  return new DataStoreError(DataStoreErrorCode.SchemaVersion, message);
}

/** Column types that differ between engines. */
function types(f: Flavor) {
  return {
    // SPIFFE IDs are ASCII; on MySQL an ascii binary column keeps them case-sensitive and lets
    // a 2048-character column carry an index.
    spiffeId:
      f === 'mysql' ? sql`varchar(2048) character set ascii collate ascii_bin` : sql`varchar(2048)`,
    blob: f === 'postgres' ? sql`bytea` : f === 'mysql' ? sql`longblob` : sql`blob`,
  };
}

function table(db: Db, f: Flavor, name: keyof Database): CreateTableBuilder<string, 'id'> {
  let t = db.schema.createTable(name).ifNotExists();
  t =
    f === 'postgres'
      ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('id', f === 'mysql' ? 'bigint' : 'integer', (c) =>
          c.primaryKey().autoIncrement(),
        );
  if (f === 'mysql')
    t = t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
  return t;
}

async function index(
  db: Db,
  f: Flavor,
  name: string,
  on: keyof Database,
  columns: string[],
  unique = false,
) {
  if (f === 'mysql' && (await mysqlIndexExists(db, on, name))) return;
  let b = db.schema.createIndex(name).on(on).columns(columns);
  if (unique) b = b.unique();
  if (f !== 'mysql') b = b.ifNotExists();
  await b.execute();
}

async function mysqlIndexExists(db: Db, tableName: string, name: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*) as n from information_schema.statistics
    where table_schema = database() and table_name = ${tableName} and index_name = ${name}`.execute(
    db,
  );
  return Number(r.rows[0]?.n) > 0;
}

async function createInitialSchema(db: Db, f: Flavor): Promise<void> {
  const t = types(f);
  await createEntryTables(db, f, t.spiffeId);
  await createNodeTables(db, f, t.spiffeId);
  await createBundleTables(db, f, t.blob, t.spiffeId);
  await table(db, f, 'join_tokens')
    .addColumn('token', 'varchar(255)', (c) => c.notNull())
    .addColumn('expiry', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(db, f, 'uix_join_tokens_token', 'join_tokens', ['token'], true);
  for (const name of ['entry_events', 'node_events'] as const) {
    await table(db, f, name)
      .addColumn('key', t.spiffeId, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await index(db, f, `idx_${name}_created_at`, name, ['created_at']);
  }
}

async function createEntryTables(db: Db, f: Flavor, spiffeId: RawBuilder<unknown>) {
  await table(db, f, 'registered_entries')
    .addColumn('entry_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('spiffe_id', spiffeId, (c) => c.notNull())
    .addColumn('parent_id', spiffeId, (c) => c.notNull())
    .addColumn('unique_key', 'char(64)', (c) => c.notNull())
    .addColumn('x509_svid_ttl', 'bigint', (c) => c.notNull())
    .addColumn('jwt_svid_ttl', 'bigint', (c) => c.notNull())
    .addColumn('admin', 'integer', (c) => c.notNull())
    .addColumn('downstream', 'integer', (c) => c.notNull())
    .addColumn('store_svid', 'integer', (c) => c.notNull())
    .addColumn('expiry', 'bigint', (c) => c.notNull())
    .addColumn('hint', 'varchar(1024)', (c) => c.notNull())
    .addColumn('revision_number', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(db, f, 'uix_registered_entries_entry_id', 'registered_entries', ['entry_id'], true);
  await index(
    db,
    f,
    'uix_registered_entries_unique_key',
    'registered_entries',
    ['unique_key'],
    true,
  );
  await index(db, f, 'idx_registered_entries_parent_id', 'registered_entries', ['parent_id']);
  await index(db, f, 'idx_registered_entries_spiffe_id', 'registered_entries', ['spiffe_id']);
  await index(db, f, 'idx_registered_entries_expiry', 'registered_entries', ['expiry']);
  await table(db, f, 'entry_selectors')
    .addColumn('entry_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await index(db, f, 'idx_entry_selectors_entry_id', 'entry_selectors', ['entry_id']);
  await table(db, f, 'entry_dns_names')
    .addColumn('entry_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await index(db, f, 'idx_entry_dns_names_entry_id', 'entry_dns_names', ['entry_id']);
  await table(db, f, 'entry_federates_with')
    .addColumn('entry_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('trust_domain', 'varchar(255)', (c) => c.notNull())
    .execute();
  await index(db, f, 'idx_entry_federates_with_entry_id', 'entry_federates_with', ['entry_id']);
  await index(db, f, 'idx_entry_federates_with_td', 'entry_federates_with', ['trust_domain']);
}

async function createNodeTables(db: Db, f: Flavor, spiffeId: RawBuilder<unknown>) {
  await table(db, f, 'attested_nodes')
    .addColumn('spiffe_id', spiffeId, (c) => c.notNull())
    .addColumn('data_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('serial_number', 'varchar(255)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('new_serial_number', 'varchar(255)', (c) => c.notNull())
    .addColumn('new_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('can_reattest', 'integer', (c) => c.notNull())
    .addColumn('agent_version', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(db, f, 'uix_attested_nodes_spiffe_id', 'attested_nodes', ['spiffe_id'], true);
  await index(db, f, 'idx_attested_nodes_expires_at', 'attested_nodes', ['expires_at']);
  await table(db, f, 'node_selectors')
    .addColumn('spiffe_id', spiffeId, (c) => c.notNull())
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await index(db, f, 'idx_node_selectors_spiffe_id', 'node_selectors', ['spiffe_id']);
}

async function createBundleTables(
  db: Db,
  f: Flavor,
  blob: RawBuilder<unknown>,
  spiffeId: RawBuilder<unknown>,
) {
  await table(db, f, 'bundles')
    .addColumn('trust_domain', 'varchar(255)', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(db, f, 'uix_bundles_trust_domain', 'bundles', ['trust_domain'], true);
  await table(db, f, 'federation_relationships')
    .addColumn('trust_domain', 'varchar(255)', (c) => c.notNull())
    .addColumn('bundle_endpoint_url', 'text', (c) => c.notNull())
    .addColumn('bundle_endpoint_profile', 'varchar(32)', (c) => c.notNull())
    .addColumn('endpoint_spiffe_id', spiffeId, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(
    db,
    f,
    'uix_federation_relationships_td',
    'federation_relationships',
    ['trust_domain'],
    true,
  );
  await table(db, f, 'ca_journals')
    .addColumn('data', blob, (c) => c.notNull())
    .addColumn('active_x509_authority_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('active_jwt_authority_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await index(db, f, 'idx_ca_journals_x509', 'ca_journals', ['active_x509_authority_id']);
}
