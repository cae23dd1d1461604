import type { ChangeEvent } from '../types.js';
import { inTx, num, run, type SqlContext } from './tx.js';

const DEFAULT_EVENT_LIMIT = 1000;

async function listEvents(
  ctx: SqlContext,
  table: 'entry_events' | 'node_events',
  afterId: number,
  limit: number,
): Promise<ChangeEvent[]> {
  return run(async () => {
    const rows = await ctx.db
      .selectFrom(table)
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ eventId: num(r.id), key: r.key, createdAt: num(r.created_at) }));
  });
}

/**
 * Entry events after `afterId`. Ids grow, but a transaction that commits late may show an id
 * lower than one already seen: a follower must remember gaps and look at them again.
 */
export function listEntryEvents(ctx: SqlContext, afterId: number, limit = DEFAULT_EVENT_LIMIT) {
  return listEvents(ctx, 'entry_events', afterId, limit);
}

/** Node events after `afterId` (same caveat about gaps as entry events). */
export function listNodeEvents(ctx: SqlContext, afterId: number, limit = DEFAULT_EVENT_LIMIT) {
  return listEvents(ctx, 'node_events', afterId, limit);
}

/** Deletes events of both feeds created before the time; returns how many. */
export async function pruneEvents(ctx: SqlContext, createdBefore: number): Promise<number> {
  return inTx(ctx, async (trx) => {
    const a = await trx
      .deleteFrom('entry_events')
      .where('created_at', '<', createdBefore)
      .executeTakeFirst();
    const b = await trx
      .deleteFrom('node_events')
      .where('created_at', '<', createdBefore)
      .executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  });
}
