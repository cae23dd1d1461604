import type { RawBuilder, SqlBool } from 'kysely';
import { sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode, notFound } from '../errors.js';
import type {
  BatchCreateResult,
  CreateEntryResult,
  EntryFilter,
  EntryMask,
  NewRegistrationEntry,
  Page,
  Pagination,
  RegistrationEntry,
} from '../types.js';
import {
  deleteChildren,
  draftColumns,
  draftEntry,
  type EntryDraft,
  type EntryRow,
  hydrateEntries,
  insertChildren,
  requireBundles,
} from './entry-rows.js';
import {
  allOf,
  ENTRY_FEDERATES,
  ENTRY_SELECTORS,
  normalizeSelectors,
  pageLimit,
  pageStart,
  selectorItem,
  setMatch,
  splitPage,
  trustDomainItem,
  uniqueSorted,
} from './filters.js';
import { type Db, inTx, isUniqueViolation, run, type SqlContext } from './tx.js';

const MAX_BATCH_ATTEMPTS = 3;

/** Creates an entry, or returns the similar entry that exists. */
export async function createOrReturnEntry(
  ctx: SqlContext,
  entry: NewRegistrationEntry,
): Promise<CreateEntryResult> {
  const draft = draftEntry(entry);
  try {
    return await inTx(ctx, (trx) => createInTx(ctx, trx, draft));
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Another writer inserted the same entry (or id) between our check and our insert.
    const existing = await findSimilar(ctx.db, draft);
    if (existing) return { entry: existing, existed: true };
    throw idTaken(draft.id);
  }
}

/** Creates an entry; a similar existing entry is an error. */
export async function createEntry(
  ctx: SqlContext,
  entry: NewRegistrationEntry,
): Promise<RegistrationEntry> {
  const result = await createOrReturnEntry(ctx, entry);
  if (result.existed) {
    throw new DataStoreError(DataStoreErrorCode.AlreadyExists, 'similar entry already exists');
  }
  return result.entry;
}

/** Creates many entries in one transaction; each item reports its own outcome. */
export async function createEntries(
  ctx: SqlContext,
  entries: readonly NewRegistrationEntry[],
): Promise<BatchCreateResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTx(ctx, (trx) => batchInTx(ctx, trx, entries));
    } catch (err) {
      // A concurrent writer took a key mid-batch: retry, the rows are visible now.
      if (attempt >= MAX_BATCH_ATTEMPTS || !isUniqueViolation(err)) throw err;
    }
  }
}

async function batchInTx(ctx: SqlContext, trx: Db, entries: readonly NewRegistrationEntry[]) {
  const results: BatchCreateResult[] = [];
  for (const entry of entries) {
    try {
      const r = await createInTx(ctx, trx, draftEntry(entry));
      results.push({ ok: true, ...r });
    } catch (err) {
      if (!(err instanceof DataStoreError)) throw err;
      results.push({ ok: false, error: err });
    }
  }
  return results;
}

async function createInTx(ctx: SqlContext, trx: Db, d: EntryDraft): Promise<CreateEntryResult> {
  const existing = await findSimilar(trx, d);
  if (existing) return { entry: existing, existed: true };
  const taken = await trx
    .selectFrom('registered_entries')
    .select('id')
    .where('entry_id', '=', d.id)
    .executeTakeFirst();
  if (taken) throw idTaken(d.id);
  await requireBundles(trx, d.federatesWith);
  const now = ctx.now();
  await trx
    .insertInto('registered_entries')
    .values({
      entry_id: d.id,
      ...draftColumns(d),
      revision_number: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await insertChildren(trx, d);
  await entryEvent(trx, d.id, now);
  const { uniqueKey: _, ...fields } = d;
  return { entry: { ...fields, revisionNumber: 0, createdAt: now }, existed: false };
}

async function findSimilar(db: Db, d: EntryDraft): Promise<RegistrationEntry | undefined> {
  const row = await db
    .selectFrom('registered_entries')
    .selectAll()
    .where('unique_key', '=', d.uniqueKey)
    .executeTakeFirst();
  return row ? (await hydrateEntries(db, [row]))[0] : undefined;
}

function idTaken(id: string): DataStoreError {
  return new DataStoreError(
    DataStoreErrorCode.AlreadyExists,
    `entry id ${JSON.stringify(id)} is already in use`,
  );
}

/** Records that an entry changed. */
export async function entryEvent(trx: Db, entryId: string, now: number): Promise<void> {
  await trx.insertInto('entry_events').values({ key: entryId, created_at: now }).execute();
}

/** The entry with this id, or undefined. */
export async function fetchEntry(
  ctx: SqlContext,
  id: string,
): Promise<RegistrationEntry | undefined> {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('registered_entries')
      .selectAll()
      .where('entry_id', '=', id)
      .executeTakeFirst();
    return row ? (await hydrateEntries(ctx.db, [row]))[0] : undefined;
  });
}

/** Applies the masked fields and bumps the revision number, in one transaction. */
export async function updateEntry(
  ctx: SqlContext,
  entry: RegistrationEntry,
  mask?: EntryMask,
): Promise<RegistrationEntry> {
  return inTx(ctx, async (trx) => {
    let q = trx.selectFrom('registered_entries').selectAll().where('entry_id', '=', entry.id);
    if (ctx.flavor !== 'sqlite') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw notFound('entry', entry.id);
    const [current] = await hydrateEntries(trx, [row]);
    const d = draftEntry(merge(current!, entry, mask));
    const clash = await findSimilar(trx, d);
    if (clash && clash.id !== d.id) {
      throw new DataStoreError(DataStoreErrorCode.AlreadyExists, 'similar entry already exists');
    }
    await requireBundles(trx, d.federatesWith);
    const now = ctx.now();
    const revision = current!.revisionNumber + 1;
    await trx
      .updateTable('registered_entries')
      .set({ ...draftColumns(d), revision_number: revision, updated_at: now })
      .where('entry_id', '=', d.id)
      .execute();
    await deleteChildren(trx, [d.id]);
    await insertChildren(trx, d);
    await entryEvent(trx, d.id, now);
    const { uniqueKey: _, ...fields } = d;
    return { ...fields, revisionNumber: revision, createdAt: current!.createdAt };
  });
}

function merge(
  cur: RegistrationEntry,
  upd: RegistrationEntry,
  mask?: EntryMask,
): NewRegistrationEntry {
  const pick = <K extends keyof EntryMask & keyof RegistrationEntry>(k: K) =>
    mask === undefined || mask[k] ? upd[k] : cur[k];
  return {
    id: cur.id,
    spiffeId: pick('spiffeId'),
    parentId: pick('parentId'),
    selectors: pick('selectors'),
    x509SvidTtl: pick('x509SvidTtl'),
    jwtSvidTtl: pick('jwtSvidTtl'),
    dnsNames: pick('dnsNames'),
    federatesWith: pick('federatesWith'),
    admin: pick('admin'),
    downstream: pick('downstream'),
    expiresAt: pick('expiresAt'),
    hint: pick('hint'),
    storeSvid: pick('storeSvid'),
  };
}

/** Deletes an entry and its child rows; returns what was deleted. */
export async function deleteEntry(ctx: SqlContext, id: string): Promise<RegistrationEntry> {
  return inTx(ctx, async (trx) => {
    const row = await trx
      .selectFrom('registered_entries')
      .selectAll()
      .where('entry_id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('entry', id);
    const [entry] = await hydrateEntries(trx, [row]);
    await deleteEntriesInTx(trx, [id], ctx.now());
    return entry!;
  });
}

/** Deletes entries by id with their child rows and records an event for each. */
export async function deleteEntriesInTx(
  trx: Db,
  ids: readonly string[],
  now: number,
): Promise<void> {
  await deleteChildren(trx, ids);
  for (const id of ids) {
    await trx.deleteFrom('registered_entries').where('entry_id', '=', id).execute();
    await entryEvent(trx, id, now);
  }
}

/** Entries matching the filter, by creation order, paged when asked. */
export async function listEntries(
  ctx: SqlContext,
  filter: EntryFilter = {},
  page?: Pagination,
): Promise<Page<RegistrationEntry>> {
  const start = pageStart(page);
  const where = entryConditions(filter);
  return run(async () => {
    let q = ctx.db.selectFrom('registered_entries as e').selectAll('e').where('e.id', '>', start);
    if (where) q = q.where(where);
    q = q.orderBy('e.id');
    const limit = pageLimit(page);
    if (limit !== undefined) q = q.limit(limit);
    const cut = splitPage(await q.execute(), page);
    return {
      items: await hydrateEntries(ctx.db, cut.rows as EntryRow[]),
      nextPageToken: cut.nextPageToken,
    };
  });
}

/** How many entries match the filter. */
export async function countEntries(ctx: SqlContext, filter: EntryFilter = {}): Promise<number> {
  const where = entryConditions(filter);
  return run(async () => {
    let q = ctx.db.selectFrom('registered_entries as e').select((eb) => eb.fn.countAll().as('n'));
    if (where) q = q.where(where);
    const row = await q.executeTakeFirst();
    return Number(row?.n ?? 0);
  });
}

function entryConditions(f: EntryFilter): RawBuilder<SqlBool> | undefined {
  const conds: RawBuilder<SqlBool>[] = [];
  if (f.byParentId !== undefined) conds.push(sql<SqlBool>`e.parent_id = ${f.byParentId}`);
  if (f.bySpiffeId !== undefined) conds.push(sql<SqlBool>`e.spiffe_id = ${f.bySpiffeId}`);
  if (f.byHint !== undefined) conds.push(sql<SqlBool>`e.hint = ${f.byHint}`);
  if (f.byDownstream !== undefined) {
    conds.push(sql<SqlBool>`e.downstream = ${f.byDownstream ? 1 : 0}`);
  }
  if (f.bySelectors !== undefined) {
    const items = normalizeSelectors(f.bySelectors.selectors).map(selectorItem);
    conds.push(setMatch(ENTRY_SELECTORS, items, f.bySelectors.match));
  }
  if (f.byFederatesWith !== undefined) {
    const items = uniqueSorted(f.byFederatesWith.trustDomains).map(trustDomainItem);
    conds.push(setMatch(ENTRY_FEDERATES, items, f.byFederatesWith.match));
  }
  return allOf(conds);
}

/** Deletes entries whose expiry is set and before `expiresBefore`; returns their ids. */
export async function pruneEntries(ctx: SqlContext, expiresBefore: number): Promise<string[]> {
  return inTx(ctx, async (trx) => {
    const rows = await trx
      .selectFrom('registered_entries')
      .select('entry_id')
      .where('expiry', '>', 0)
      .where('expiry', '<', expiresBefore)
      .orderBy('id')
      .execute();
    const ids = rows.map((r) => r.entry_id);
    await deleteEntriesInTx(trx, ids, ctx.now());
    return ids;
  });
}
