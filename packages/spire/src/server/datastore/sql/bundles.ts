import { sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode, notFound } from '../errors.js';
import type { Bundle, BundleDeleteMode, BundleMask, Page, Pagination } from '../types.js';
import { decodeBundle, encodeBundle, mergeBundles, pruneAuthorities } from './bundle-codec.js';
import { deleteEntriesInTx, entryEvent } from './entries.js';
import { pageLimit, pageStart, splitPage } from './filters.js';
import { type Db, inTx, isUniqueViolation, run, type SqlContext } from './tx.js';

function requireTrustDomain(b: Bundle): void {
  if (b.trustDomain === '') {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      'bundle trustDomain must not be empty',
    );
  }
}

async function readBundle(db: Db, trustDomain: string): Promise<Bundle | undefined> {
  const row = await db
    .selectFrom('bundles')
    .select('data')
    .where('trust_domain', '=', trustDomain)
    .executeTakeFirst();
  return row ? decodeBundle(row.data) : undefined;
}

async function insertBundle(trx: Db, b: Bundle, now: number): Promise<void> {
  await trx
    .insertInto('bundles')
    .values({
      trust_domain: b.trustDomain,
      data: encodeBundle(b),
      created_at: now,
      updated_at: now,
    })
    .execute();
}

async function writeBundle(trx: Db, b: Bundle, now: number): Promise<void> {
  await trx
    .updateTable('bundles')
    .set({ data: encodeBundle(b), updated_at: now })
    .where('trust_domain', '=', b.trustDomain)
    .execute();
}

/** Stores a new bundle. */
export async function createBundle(ctx: SqlContext, b: Bundle): Promise<Bundle> {
  requireTrustDomain(b);
  try {
    await inTx(ctx, (trx) => insertBundle(trx, b, ctx.now()));
    return b;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new DataStoreError(
      DataStoreErrorCode.AlreadyExists,
      `bundle for trust domain ${JSON.stringify(b.trustDomain)} already exists`,
    );
  }
}

/** The bundle of a trust domain, or undefined. */
export async function fetchBundle(
  ctx: SqlContext,
  trustDomain: string,
): Promise<Bundle | undefined> {
  return run(() => readBundle(ctx.db, trustDomain));
}

/** Replaces the masked fields; the sequence number grows unless the mask sets it. */
export async function updateBundle(ctx: SqlContext, b: Bundle, mask?: BundleMask): Promise<Bundle> {
  return inTx(ctx, async (trx) => {
    const cur = await readBundle(trx, b.trustDomain);
    if (!cur) throw notFound('bundle', b.trustDomain);
    const use = (k: keyof BundleMask) => mask === undefined || mask[k] === true;
    const next: Bundle = {
      trustDomain: cur.trustDomain,
      x509Authorities: use('x509Authorities') ? b.x509Authorities : cur.x509Authorities,
      jwtAuthorities: use('jwtAuthorities') ? b.jwtAuthorities : cur.jwtAuthorities,
      refreshHint: use('refreshHint') ? b.refreshHint : cur.refreshHint,
      sequenceNumber: mask?.sequenceNumber ? b.sequenceNumber : cur.sequenceNumber + 1,
    };
    await writeBundle(trx, next, ctx.now());
    return next;
  });
}

/** Creates the bundle or replaces it as given. */
export async function setBundle(ctx: SqlContext, b: Bundle): Promise<Bundle> {
  requireTrustDomain(b);
  return inTx(ctx, async (trx) => {
    const cur = await readBundle(trx, b.trustDomain);
    if (cur) await writeBundle(trx, b, ctx.now());
    else await insertBundle(trx, b, ctx.now());
    return b;
  });
}

/** Adds missing authorities (sequence number + 1 when something was added), or creates. */
export async function appendBundle(ctx: SqlContext, b: Bundle): Promise<Bundle> {
  requireTrustDomain(b);
  return inTx(ctx, async (trx) => {
    const cur = await readBundle(trx, b.trustDomain);
    if (!cur) {
      await insertBundle(trx, b, ctx.now());
      return b;
    }
    const merged = mergeBundles(cur, b);
    if (!merged.changed) return cur;
    const next = { ...merged.bundle, sequenceNumber: cur.sequenceNumber + 1 };
    await writeBundle(trx, next, ctx.now());
    return next;
  });
}

/**
 * Deletes a bundle. Entries federating with it block the delete (`restrict`), are deleted
 * (`delete`), or lose the association (`dissociate`).
 */
export async function deleteBundle(ctx: SqlContext, trustDomain: string, mode: BundleDeleteMode) {
  await inTx(ctx, async (trx) => {
    if (!(await readBundle(trx, trustDomain))) throw notFound('bundle', trustDomain);
    const rows = await trx
      .selectFrom('entry_federates_with')
      .select('entry_id')
      .where('trust_domain', '=', trustDomain)
      .execute();
    const ids = [...new Set(rows.map((r) => r.entry_id))];
    const now = ctx.now();
    if (ids.length > 0) await handleFederatedEntries(trx, trustDomain, ids, mode, now);
    await trx.deleteFrom('bundles').where('trust_domain', '=', trustDomain).execute();
  });
}

async function handleFederatedEntries(
  trx: Db,
  trustDomain: string,
  ids: string[],
  mode: BundleDeleteMode,
  now: number,
) {
  switch (mode) {
    case 'restrict':
      throw new DataStoreError(
        DataStoreErrorCode.BundleInUse,
        `cannot delete bundle; federated with ${ids.length} registration entries`,
      );
    case 'delete':
      return deleteEntriesInTx(trx, ids, now);
    case 'dissociate':
      await trx
        .deleteFrom('entry_federates_with')
        .where('trust_domain', '=', trustDomain)
        .execute();
      for (const id of ids) {
        await trx
          .updateTable('registered_entries')
          .set({ revision_number: sql`revision_number + 1`, updated_at: now })
          .where('entry_id', '=', id)
          .execute();
        await entryEvent(trx, id, now);
      }
  }
}

/** Bundles in creation order, paged when asked. */
export async function listBundles(ctx: SqlContext, page?: Pagination): Promise<Page<Bundle>> {
  const start = pageStart(page);
  return run(async () => {
    let q = ctx.db
      .selectFrom('bundles')
      .select(['id', 'data'])
      .where('id', '>', start)
      .orderBy('id');
    const limit = pageLimit(page);
    if (limit !== undefined) q = q.limit(limit);
    const cut = splitPage(await q.execute(), page);
    return { items: cut.rows.map((r) => decodeBundle(r.data)), nextPageToken: cut.nextPageToken };
  });
}

/** How many bundles are stored. */
export async function countBundles(ctx: SqlContext): Promise<number> {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('bundles')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  });
}

/** Drops expired authorities; true when the bundle changed (its sequence number then grows). */
export async function pruneBundle(ctx: SqlContext, trustDomain: string, expiresBefore: number) {
  return inTx(ctx, async (trx) => {
    const cur = await readBundle(trx, trustDomain);
    if (!cur) throw notFound('bundle', trustDomain);
    const pruned = pruneAuthorities(cur, expiresBefore);
    if (!pruned.changed) return false;
    await writeBundle(trx, { ...pruned.bundle, sequenceNumber: cur.sequenceNumber + 1 }, ctx.now());
    return true;
  });
}
