import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode, notFound } from '../errors.js';
import type {
  AttestedNode,
  NewAttestedNode,
  NodeFilter,
  NodeMask,
  Page,
  Pagination,
  Selector,
} from '../types.js';
import {
  allOf,
  NODE_SELECTORS,
  normalizeSelectors,
  pageLimit,
  pageStart,
  selectorItem,
  setMatch,
  splitPage,
} from './filters.js';
import type { NodeTable } from './schema.js';
import { chunks, type Db, inTx, isUniqueViolation, num, run, type SqlContext } from './tx.js';

type NodeRow = Selectable<NodeTable>;

function nodeColumns(n: NewAttestedNode) {
  return {
    data_type: n.attestationDataType,
    serial_number: n.certSerialNumber,
    expires_at: n.certNotAfter,
    new_serial_number: n.newCertSerialNumber ?? '',
    new_expires_at: n.newCertNotAfter ?? 0,
    can_reattest: n.canReattest ? 1 : 0,
    agent_version: n.agentVersion ?? '',
  };
}

function toNode(r: NodeRow, selectors: Selector[] = []): AttestedNode {
  return {
    spiffeId: r.spiffe_id,
    attestationDataType: r.data_type,
    certSerialNumber: r.serial_number,
    certNotAfter: num(r.expires_at),
    newCertSerialNumber: r.new_serial_number,
    newCertNotAfter: num(r.new_expires_at),
    canReattest: num(r.can_reattest) === 1,
    agentVersion: r.agent_version,
    selectors: normalizeSelectors(selectors),
    // SPIRE bans a node by clearing its serial number.
    banned: r.serial_number === '',
  };
}

/** Records that a node changed. */
async function nodeEvent(trx: Db, spiffeId: string, now: number): Promise<void> {
  await trx.insertInto('node_events').values({ key: spiffeId, created_at: now }).execute();
}

/** Records a newly attested node. */
export async function createAttestedNode(
  ctx: SqlContext,
  node: NewAttestedNode,
): Promise<AttestedNode> {
  if (node.spiffeId === '') {
    throw new DataStoreError(DataStoreErrorCode.InvalidArgument, 'node spiffeId must not be empty');
  }
  try {
    return await inTx(ctx, async (trx) => {
      const now = ctx.now();
      const values = {
        spiffe_id: node.spiffeId,
        ...nodeColumns(node),
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('attested_nodes').values(values).execute();
      await nodeEvent(trx, node.spiffeId, now);
      return toNode({ id: 0, ...values });
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new DataStoreError(
      DataStoreErrorCode.AlreadyExists,
      `node ${JSON.stringify(node.spiffeId)} already exists`,
    );
  }
}

/** The node with its selectors, or undefined. */
export async function fetchAttestedNode(ctx: SqlContext, spiffeId: string) {
  return run(async () => {
    const row = await ctx.db
      .selectFrom('attested_nodes')
      .selectAll()
      .where('spiffe_id', '=', spiffeId)
      .executeTakeFirst();
    if (!row) return undefined;
    return toNode(row, await selectorsOf(ctx.db, spiffeId));
  });
}

/** Applies the masked fields to the stored node. */
export async function updateAttestedNode(
  ctx: SqlContext,
  node: NewAttestedNode,
  mask?: NodeMask,
): Promise<AttestedNode> {
  return inTx(ctx, async (trx) => {
    const row = await trx
      .selectFrom('attested_nodes')
      .selectAll()
      .where('spiffe_id', '=', node.spiffeId)
      .executeTakeFirst();
    if (!row) throw notFound('node', node.spiffeId);
    const all = nodeColumns(node);
    const set = {
      serial_number:
        mask === undefined || mask.certSerialNumber ? all.serial_number : row.serial_number,
      expires_at: mask === undefined || mask.certNotAfter ? all.expires_at : row.expires_at,
      new_serial_number:
        mask === undefined || mask.newCertSerialNumber
          ? all.new_serial_number
          : row.new_serial_number,
      new_expires_at:
        mask === undefined || mask.newCertNotAfter ? all.new_expires_at : row.new_expires_at,
      can_reattest: mask === undefined || mask.canReattest ? all.can_reattest : row.can_reattest,
      agent_version:
        mask === undefined || mask.agentVersion ? all.agent_version : row.agent_version,
      updated_at: ctx.now(),
    };
    await trx
      .updateTable('attested_nodes')
      .set(set)
      .where('spiffe_id', '=', node.spiffeId)
      .execute();
    await nodeEvent(trx, node.spiffeId, set.updated_at);
    return toNode({ ...row, ...set }, await selectorsOf(trx, node.spiffeId));
  });
}

/** Deletes a node and its selectors. */
export async function deleteAttestedNode(ctx: SqlContext, spiffeId: string): Promise<AttestedNode> {
  return inTx(ctx, async (trx) => {
    const row = await trx
      .selectFrom('attested_nodes')
      .selectAll()
      .where('spiffe_id', '=', spiffeId)
      .executeTakeFirst();
    if (!row) throw notFound('node', spiffeId);
    const selectors = await selectorsOf(trx, spiffeId);
    await deleteNodesInTx(trx, [spiffeId], ctx.now());
    return toNode(row, selectors);
  });
}

async function deleteNodesInTx(trx: Db, ids: readonly string[], now: number): Promise<void> {
  for (const part of chunks(ids)) {
    await trx.deleteFrom('node_selectors').where('spiffe_id', 'in', part).execute();
    await trx.deleteFrom('attested_nodes').where('spiffe_id', 'in', part).execute();
  }
  for (const id of ids) await nodeEvent(trx, id, now);
}

function nodeConditions(f: NodeFilter): RawBuilder<SqlBool> | undefined {
  const conds: RawBuilder<SqlBool>[] = [];
  if (f.byAttestationType !== undefined)
    conds.push(sql<SqlBool>`n.data_type = ${f.byAttestationType}`);
  if (f.byBanned !== undefined) {
    conds.push(
      f.byBanned ? sql<SqlBool>`n.serial_number = ''` : sql<SqlBool>`n.serial_number <> ''`,
    );
  }
  if (f.byExpiresBefore !== undefined)
    conds.push(sql<SqlBool>`n.expires_at < ${f.byExpiresBefore}`);
  if (f.byCanReattest !== undefined) {
    conds.push(sql<SqlBool>`n.can_reattest = ${f.byCanReattest ? 1 : 0}`);
  }
  if (f.bySelectorMatch !== undefined) {
    const items = normalizeSelectors(f.bySelectorMatch.selectors).map(selectorItem);
    conds.push(setMatch(NODE_SELECTORS, items, f.bySelectorMatch.match));
  }
  return allOf(conds);
}

/** Nodes matching the filter, by creation order, paged when asked. */
export async function listAttestedNodes(
  ctx: SqlContext,
  filter: NodeFilter = {},
  page?: Pagination,
): Promise<Page<AttestedNode>> {
  const start = pageStart(page);
  const where = nodeConditions(filter);
  return run(async () => {
    let q = ctx.db.selectFrom('attested_nodes as n').selectAll('n').where('n.id', '>', start);
    if (where) q = q.where(where);
    q = q.orderBy('n.id');
    const limit = pageLimit(page);
    if (limit !== undefined) q = q.limit(limit);
    const cut = splitPage(await q.execute(), page);
    const sel = filter.fetchSelectors
      ? await selectorsOfMany(
          ctx.db,
          cut.rows.map((r) => r.spiffe_id),
        )
      : new Map();
    const items = cut.rows.map((r) => toNode(r, sel.get(r.spiffe_id)));
    return { items, nextPageToken: cut.nextPageToken };
  });
}

/** How many nodes match the filter. */
export async function countAttestedNodes(
  ctx: SqlContext,
  filter: NodeFilter = {},
): Promise<number> {
  const where = nodeConditions(filter);
  return run(async () => {
    let q = ctx.db.selectFrom('attested_nodes as n').select((eb) => eb.fn.countAll().as('c'));
    if (where) q = q.where(where);
    return Number((await q.executeTakeFirst())?.c ?? 0);
  });
}

/** Deletes nodes expired before the time (only re-attestable ones unless told otherwise). */
export async function pruneAttestedNodes(
  ctx: SqlContext,
  expiredBefore: number,
  includeNonReattestable: boolean,
): Promise<string[]> {
  return inTx(ctx, async (trx) => {
    let q = trx
      .selectFrom('attested_nodes')
      .select('spiffe_id')
      .where('expires_at', '<', expiredBefore);
    if (!includeNonReattestable) q = q.where('can_reattest', '=', 1);
    const ids = (await q.orderBy('id').execute()).map((r) => r.spiffe_id);
    await deleteNodesInTx(trx, ids, ctx.now());
    return ids;
  });
}

/** Replaces a node's selectors. */
export async function setNodeSelectors(
  ctx: SqlContext,
  spiffeId: string,
  selectors: readonly Selector[],
): Promise<void> {
  const normal = normalizeSelectors(selectors);
  await inTx(ctx, async (trx) => {
    await trx.deleteFrom('node_selectors').where('spiffe_id', '=', spiffeId).execute();
    if (normal.length > 0) {
      const rows = normal.map((s) => ({ spiffe_id: spiffeId, type: s.type, value: s.value }));
      await trx.insertInto('node_selectors').values(rows).execute();
    }
    await nodeEvent(trx, spiffeId, ctx.now());
  });
}

/** A node's selectors, sorted. */
export async function getNodeSelectors(ctx: SqlContext, spiffeId: string): Promise<Selector[]> {
  return run(() => selectorsOf(ctx.db, spiffeId));
}

/** Every node's selectors, keyed by SPIFFE ID. */
export async function listNodeSelectors(ctx: SqlContext): Promise<Map<string, Selector[]>> {
  return run(async () => {
    const rows = await ctx.db
      .selectFrom('node_selectors')
      .select(['spiffe_id', 'type', 'value'])
      .execute();
    return groupSelectors(rows);
  });
}

async function selectorsOf(db: Db, spiffeId: string): Promise<Selector[]> {
  return (await selectorsOfMany(db, [spiffeId])).get(spiffeId) ?? [];
}

async function selectorsOfMany(db: Db, ids: string[]): Promise<Map<string, Selector[]>> {
  const rows = [];
  for (const part of chunks(ids)) {
    rows.push(
      ...(await db
        .selectFrom('node_selectors')
        .select(['spiffe_id', 'type', 'value'])
        .where('spiffe_id', 'in', part)
        .execute()),
    );
  }
  return groupSelectors(rows);
}

function groupSelectors(rows: { spiffe_id: string; type: string; value: string }[]) {
  const map = new Map<string, Selector[]>();
  for (const r of rows) {
    const list = map.get(r.spiffe_id) ?? [];
    list.push({ type: r.type, value: r.value });
    map.set(r.spiffe_id, list);
  }
  for (const [k, v] of map) map.set(k, normalizeSelectors(v));
  return map;
}
