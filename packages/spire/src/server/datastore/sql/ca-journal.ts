import type { Selectable } from 'kysely';
import { notFound } from '../errors.js';
import type { CaJournal } from '../types.js';
import type { CaJournalTable } from './schema.js';
import { inTx, num, run, type SqlContext } from './tx.js';

function toJournal(r: Selectable<CaJournalTable>): CaJournal {
  return {
    id: num(r.id),
    data: new Uint8Array(r.data),
    activeX509AuthorityId: r.active_x509_authority_id,
    activeJwtAuthorityId: r.active_jwt_authority_id,
  };
}

/** Creates (id 0) or replaces (id > 0) a CA journal. */
export async function setCaJournal(ctx: SqlContext, j: CaJournal): Promise<CaJournal> {
  const cols = {
    data: Buffer.from(j.data),
    active_x509_authority_id: j.activeX509AuthorityId,
    active_jwt_authority_id: j.activeJwtAuthorityId,
  };
  return inTx(ctx, async (trx) => {
    const now = ctx.now();
    if (j.id > 0) {
      const res = await trx
        .updateTable('ca_journals')
        .set({ ...cols, updated_at: now })
        .where('id', '=', j.id)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw notFound('ca journal', j.id);
      return j;
    }
    await trx
      .insertInto('ca_journals')
      .values({ ...cols, created_at: now, updated_at: now })
      .execute();
    // The newest row is ours: the transaction holds the write and ids only grow.
    const row = await trx
      .selectFrom('ca_journals')
      .select('id')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return { ...j, id: num(row.id) };
  });
}

/** The journal whose active X.509 authority has this id, or undefined. */
export async function fetchCaJournal(ctx: SqlContext, activeX509AuthorityId: string) {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('ca_journals')
      .selectAll()
      .where('active_x509_authority_id', '=', activeX509AuthorityId)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? toJournal(row) : undefined;
  });
}

/** Every journal, by id. */
export async function listCaJournals(ctx: SqlContext): Promise<CaJournal[]> {
  return run(async () =>
    (await ctx.db.selectFrom('ca_journals').selectAll().orderBy('id').execute()).map(toJournal),
  );
}

/** Deletes a journal. */
export async function deleteCaJournal(ctx: SqlContext, id: number): Promise<void> {
  const res = await run(() =>
    ctx.db.deleteFrom('ca_journals').where('id', '=', id).executeTakeFirst(),
  );
  if (Number(res.numDeletedRows) === 0) throw notFound('ca journal', id);
}
