import { DataStoreError, DataStoreErrorCode, notFound } from '../errors.js';
import type { JoinToken } from '../types.js';
import { inTx, isUniqueViolation, num, run, type SqlContext } from './tx.js';

/** Stores a join token. */
export async function createJoinToken(ctx: SqlContext, t: JoinToken): Promise<void> {
  if (t.token === '') {
    throw new DataStoreError(DataStoreErrorCode.InvalidArgument, 'join token must not be empty');
  }
  try {
    await inTx(ctx, async (trx) => {
      await trx
        .insertInto('join_tokens')
        .values({ token: t.token, expiry: t.expiresAt, created_at: ctx.now() })
        .execute();
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new DataStoreError(DataStoreErrorCode.AlreadyExists, 'join token already exists');
  }
}

/** The token, or undefined. */
export async function fetchJoinToken(
  ctx: SqlContext,
  token: string,
): Promise<JoinToken | undefined> {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('join_tokens')
      .select(['token', 'expiry'])
      .where('token', '=', token)
      .executeTakeFirst();
    return row ? { token: row.token, expiresAt: num(row.expiry) } : undefined;
  });
}

/** Deletes a token. */
export async function deleteJoinToken(ctx: SqlContext, token: string): Promise<void> {
  const res = await run(() =>
    ctx.db.deleteFrom('join_tokens').where('token', '=', token).executeTakeFirst(),
  );
  // Never echo the token itself: it is a credential.
  if (Number(res.numDeletedRows) === 0) throw notFound('join token', '<redacted>');
}

/**
 * Consumes a token. The read and the delete share one transaction and only the caller whose
 * DELETE removed the row wins: a concurrent DELETE of the same row waits for the first to commit
 * and then removes nothing.
 */
export async function takeJoinToken(
  ctx: SqlContext,
  token: string,
): Promise<JoinToken | undefined> {
  return inTx(ctx, async (trx) => {
    const row = await trx
      .selectFrom('join_tokens')
      .select(['token', 'expiry'])
      .where('token', '=', token)
      .executeTakeFirst();
    if (!row) return undefined;
    const res = await trx.deleteFrom('join_tokens').where('token', '=', token).executeTakeFirst();
    if (Number(res.numDeletedRows) !== 1) return undefined;
    return { token: row.token, expiresAt: num(row.expiry) };
  });
}

/** Deletes tokens that expired before the time. */
export async function pruneJoinTokens(ctx: SqlContext, expiresBefore: number): Promise<number> {
  const res = await run(() =>
    ctx.db.deleteFrom('join_tokens').where('expiry', '<', expiresBefore).executeTakeFirst(),
  );
  return Number(res.numDeletedRows);
}
