import { type Kysely, sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';
import type { Database, Flavor } from './schema.js';

/** A database handle: the pool, or one transaction on it. */
export type Db = Kysely<Database>;

/** What every store module needs: the pool and which engine it talks to. */
export interface SqlContext {
  readonly db: Db;
  readonly flavor: Flavor;
  /** The clock, Unix seconds. */
  readonly now: () => number;
}

const MAX_ATTEMPTS = 5;

/**
 * Runs `fn` in one transaction, retried when the engine aborts it for a deadlock or a
 * serialization failure. On SQLite the transaction starts with BEGIN IMMEDIATE so that a writer
 * never fails half-way when another process holds the lock.
 */
export async function inTx<T>(ctx: SqlContext, fn: (trx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (ctx.flavor === 'sqlite') return await sqliteTx(ctx.db, fn);
      return await ctx.db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw wrapDbError(err);
    }
  }
}

async function sqliteTx<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}

function errCode(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return `${e?.code ?? ''}`;
}

function isRetryable(err: unknown): boolean {
  // 40001 serialization failure, 40P01 deadlock (postgres); ER_LOCK_DEADLOCK (mysql).
  return ['40001', '40P01', 'ER_LOCK_DEADLOCK', 'SQLITE_BUSY'].includes(errCode(err));
}

/** True when `err` is a unique-constraint violation of any engine. */
export function isUniqueViolation(err: unknown): boolean {
  const inner = err instanceof DataStoreError ? err.cause : err;
  const code = errCode(inner);
  return code === '23505' || code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT_UNIQUE');
}

/** Passes our own errors through; wraps driver errors as `ERR_DATASTORE_QUERY`. */
export function wrapDbError(err: unknown): Error {
  if (err instanceof DataStoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new DataStoreError(DataStoreErrorCode.Query, `failed to run datastore query: ${detail}`, {
    cause: err,
  });
}

/** Runs a read (or a single statement) and wraps driver errors. */
export async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapDbError(err);
  }
}

/** Converts a row integer (number, or string from pg) to a number. */
export function num(v: number | string | bigint | null | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** Splits a list into chunks small enough for every engine's parameter limit. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
