import type { Selectable } from 'kysely';
import { DataStoreError, DataStoreErrorCode, notFound } from '../errors.js';
import type {
  BundleEndpointProfile,
  FederationRelationship,
  FederationRelationshipMask,
  Page,
  Pagination,
} from '../types.js';
import { decodeBundle, encodeBundle } from './bundle-codec.js';
import { pageLimit, pageStart, splitPage } from './filters.js';
import type { FederationTable } from './schema.js';
import { type Db, inTx, isUniqueViolation, run, type SqlContext } from './tx.js';

type Row = Selectable<FederationTable>;

function profileColumns(p: BundleEndpointProfile) {
  if (p.type === 'https_spiffe' && p.endpointSpiffeId === '') {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      'https_spiffe profile endpointSpiffeId must not be empty',
    );
  }
  return {
    bundle_endpoint_profile: p.type,
    endpoint_spiffe_id: p.type === 'https_spiffe' ? p.endpointSpiffeId : '',
  };
}

function toProfile(r: Row): BundleEndpointProfile {
  return r.bundle_endpoint_profile === 'https_spiffe'
    ? { type: 'https_spiffe', endpointSpiffeId: r.endpoint_spiffe_id }
    : { type: 'https_web' };
}

async function withBundle(db: Db, r: Row): Promise<FederationRelationship> {
  const b = await db
    .selectFrom('bundles')
    .select('data')
    .where('trust_domain', '=', r.trust_domain)
    .executeTakeFirst();
  const fr = {
    trustDomain: r.trust_domain,
    bundleEndpointUrl: r.bundle_endpoint_url,
    profile: toProfile(r),
  };
  return b ? { ...fr, trustDomainBundle: decodeBundle(b.data) } : fr;
}

async function upsertBundle(trx: Db, fr: FederationRelationship, now: number): Promise<void> {
  const b = fr.trustDomainBundle;
  if (!b) return;
  if (b.trustDomain !== fr.trustDomain) {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      `trustDomainBundle is for "${b.trustDomain}", not the relationship's "${fr.trustDomain}"`,
    );
  }
  const data = encodeBundle(b);
  const res = await trx
    .updateTable('bundles')
    .set({ data, updated_at: now })
    .where('trust_domain', '=', b.trustDomain)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    await trx
      .insertInto('bundles')
      .values({ trust_domain: b.trustDomain, data, created_at: now, updated_at: now })
      .execute();
  }
}

/** Stores a relationship and, when given, its trust domain's bundle. */
export async function createFederationRelationship(ctx: SqlContext, fr: FederationRelationship) {
  if (fr.trustDomain === '' || fr.bundleEndpointUrl === '') {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      'federation relationship trustDomain and bundleEndpointUrl must not be empty',
    );
  }
  try {
    return await inTx(ctx, async (trx) => {
      const now = ctx.now();
      await trx
        .insertInto('federation_relationships')
        .values({
          trust_domain: fr.trustDomain,
          bundle_endpoint_url: fr.bundleEndpointUrl,
          ...profileColumns(fr.profile),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await upsertBundle(trx, fr, now);
      return fr;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new DataStoreError(
      DataStoreErrorCode.AlreadyExists,
      `federation relationship with ${JSON.stringify(fr.trustDomain)} already exists`,
    );
  }
}

/** The relationship with its bundle, or undefined. */
export async function fetchFederationRelationship(ctx: SqlContext, trustDomain: string) {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('federation_relationships')
      .selectAll()
      .where('trust_domain', '=', trustDomain)
      .executeTakeFirst();
    return row ? withBundle(ctx.db, row) : undefined;
  });
}

/** Relationships in creation order, paged when asked. */
export async function listFederationRelationships(
  ctx: SqlContext,
  page?: Pagination,
): Promise<Page<FederationRelationship>> {
  const start = pageStart(page);
  return run(async () => {
    let q = ctx.db
      .selectFrom('federation_relationships')
      .selectAll()
      .where('id', '>', start)
      .orderBy('id');
    const limit = pageLimit(page);
    if (limit !== undefined) q = q.limit(limit);
    const cut = splitPage(await q.execute(), page);
    const items = [];
    for (const r of cut.rows) items.push(await withBundle(ctx.db, r));
    return { items, nextPageToken: cut.nextPageToken };
  });
}

/** Applies the masked fields of a relationship. */
export async function updateFederationRelationship(
  ctx: SqlContext,
  fr: FederationRelationship,
  mask?: FederationRelationshipMask,
): Promise<FederationRelationship> {
  return inTx(ctx, async (trx) => {
    const row = await trx
      .selectFrom('federation_relationships')
      .selectAll()
      .where('trust_domain', '=', fr.trustDomain)
      .executeTakeFirst();
    if (!row) throw notFound('federation relationship', fr.trustDomain);
    const use = (k: keyof FederationRelationshipMask) => mask === undefined || mask[k] === true;
    const now = ctx.now();
    await trx
      .updateTable('federation_relationships')
      .set({
        bundle_endpoint_url: use('bundleEndpointUrl')
          ? fr.bundleEndpointUrl
          : row.bundle_endpoint_url,
        ...(use('profile') ? profileColumns(fr.profile) : {}),
        updated_at: now,
      })
      .where('trust_domain', '=', fr.trustDomain)
      .execute();
    if (use('trustDomainBundle')) await upsertBundle(trx, fr, now);
    const updated = await trx
      .selectFrom('federation_relationships')
      .selectAll()
      .where('trust_domain', '=', fr.trustDomain)
      .executeTakeFirstOrThrow();
    return withBundle(trx, updated);
  });
}

/** Deletes a relationship; its bundle stays. */
export async function deleteFederationRelationship(ctx: SqlContext, trustDomain: string) {
  const res = await run(() =>
    ctx.db
      .deleteFrom('federation_relationships')
      .where('trust_domain', '=', trustDomain)
      .executeTakeFirst(),
  );
  if (Number(res.numDeletedRows) === 0) throw notFound('federation relationship', trustDomain);
}
