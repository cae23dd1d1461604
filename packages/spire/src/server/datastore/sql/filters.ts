import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { DataStoreError, DataStoreErrorCode } from '../errors.js';
import type { MatchMode, Pagination, Selector } from '../types.js';

/** Where a set lives: its table, the column that points at the owner, and the owner's key. */
export interface SetSpec {
  readonly table: string;
  readonly key: string;
  readonly outer: string;
}

/** The set tables of entries and nodes, aliased `s` inside the subqueries. */
export const ENTRY_SELECTORS: SetSpec = {
  table: 'entry_selectors',
  key: 'entry_id',
  outer: 'e.entry_id',
};
export const ENTRY_FEDERATES: SetSpec = {
  table: 'entry_federates_with',
  key: 'entry_id',
  outer: 'e.entry_id',
};
export const NODE_SELECTORS: SetSpec = {
  table: 'node_selectors',
  key: 'spiffe_id',
  outer: 'n.spiffe_id',
};

/** One item of a set, as a predicate on the subquery row `s`. */
export function selectorItem(s: Selector): RawBuilder<SqlBool> {
  return sql<SqlBool>`(s.type = ${s.type} and s.value = ${s.value})`;
}

/** One trust domain of an entry's federates-with set. */
export function trustDomainItem(td: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`s.trust_domain = ${td}`;
}

/**
 * The condition that an owner's set relates to the given items as `match` says:
 * exact (same set), subset (owner's set within the items, and not empty), superset (owner has
 * every item), any (owner has at least one item).
 */
export function setMatch(
  spec: SetSpec,
  items: RawBuilder<SqlBool>[],
  match: MatchMode,
): RawBuilder<SqlBool> {
  if (items.length === 0) {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      'a set filter needs at least one item',
    );
  }
  const anyItem = sql<SqlBool>`(${sql.join(items, sql` or `)})`;
  const exists = (p: RawBuilder<SqlBool>) =>
    sql<SqlBool>`exists (select 1 from ${sql.table(spec.table)} s where s.${sql.ref(spec.key)} = ${sql.ref(spec.outer)} and ${p})`;
  const hasAny = exists(anyItem);
  const onlyItems = sql<SqlBool>`not ${exists(sql<SqlBool>`not ${anyItem}`)}`;
  const hasAll = sql<SqlBool>`(${sql.join(items.map(exists), sql` and `)})`;
  switch (match) {
    case 'any':
      return hasAny;
    case 'superset':
      return hasAll;
    case 'subset':
      return sql<SqlBool>`(${hasAny} and ${onlyItems})`;
    case 'exact':
      return sql<SqlBool>`(${hasAll} and ${onlyItems})`;
  }
}

/** Joins conditions with `and`; undefined when there are none. */
export function allOf(conds: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> | undefined {
  return conds.length === 0 ? undefined : sql<SqlBool>`${sql.join(conds, sql` and `)}`;
}

/** The internal row id after which a page starts; 0 for the first page. */
export function pageStart(page: Pagination | undefined): number {
  if (page === undefined) return 0;
  if (!Number.isInteger(page.pageSize) || page.pageSize < 1) {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      `page size ${page.pageSize} must be a positive integer`,
    );
  }
  const token = page.pageToken ?? '';
  if (token === '') return 0;
  if (!/^\d{1,15}$/.test(token)) {
    throw new DataStoreError(
      DataStoreErrorCode.InvalidArgument,
      `page token "${token}" is not valid`,
    );
  }
  return Number(token);
}

/**
 * Cuts a page from rows fetched with limit `pageSize + 1` (ordered by id): the extra row, when
 * present, only says that another page follows; the token names the last row kept.
 */
export function splitPage<R extends { id: number | string }>(
  rows: R[],
  page: Pagination | undefined,
): { rows: R[]; nextPageToken: string } {
  if (page === undefined || rows.length <= page.pageSize) return { rows, nextPageToken: '' };
  const kept = rows.slice(0, page.pageSize);
  return { rows: kept, nextPageToken: String(kept[kept.length - 1]?.id ?? '') };
}

/** The row limit that fetches one page plus the row that says whether more follow. */
export function pageLimit(page: Pagination | undefined): number | undefined {
  return page === undefined ? undefined : page.pageSize + 1;
}

/** Sorts selectors by type then value (code-unit order) and removes duplicates. */
export function normalizeSelectors(selectors: readonly Selector[]): Selector[] {
  const seen = new Map<string, Selector>();
  for (const s of selectors)
    seen.set(JSON.stringify([s.type, s.value]), { type: s.type, value: s.value });
  return [...seen.values()].sort(compareSelectors);
}

/** Orders selectors by type, then value. */
export function compareSelectors(a: Selector, b: Selector): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.value === b.value) return 0;
  return a.value < b.value ? -1 : 1;
}

/** Sorted, de-duplicated strings. */
export function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
