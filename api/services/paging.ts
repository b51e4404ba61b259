import { encodeCursor, type Cursor, type PageRequest } from '../../common/paging.ts';
import { problems } from '../problem.ts';

/** One page of a list, and the cursor of the next one while more remain. */
export interface Page<T> {
  items: T[];
  next?: string;
}

export interface Keyset<Row> {
  /** The list's name, carried in its cursors so one list's cursor is refused by another. */
  list: string;
  /**
   * The sort column and its direction; ties are broken by `id` the same way. A path names a column
   * of a related row (`['customer', 'domain']`), which Prisma orders and filters through the relation.
   */
  field: string | readonly string[];
  direction: 'asc' | 'desc';
  /**
   * An enum column's values in their database order. Prisma has no `gt`/`lt` on enums, so "after
   * this value" becomes "one of the values after it" (PostgreSQL orders an enum by its declaration).
   */
  ordered?: readonly string[];
  /** The row's sort value, as text (ISO time for times). */
  at: (row: Row) => string;
  id: (row: Row) => string;
  /** How the cursor's text becomes the column's value again. */
  parse?: (at: string) => unknown;
  /** How the cursor's id becomes the id column's value (BigInt ids). */
  parseId?: (id: string) => unknown;
  /** For a table without one `id` column: its order and the condition "after this id" in it. */
  tiebreak?: { orderBy: object[]; after: (op: 'gt' | 'lt', id: string) => object };
}

export const asTime = (at: string) => new Date(at);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs unless a list says otherwise: a cursor with anything else is refused, not sent to the database. */
const asUuid = (id: string) => {
  if (!UUID.test(id)) throw new Error('not a uuid');
  return id;
};
export const asText = (id: string) => id;

/**
 * The keyset condition and order of a page: rows after the cursor in the list's order, never an
 * OFFSET, so a page costs the same wherever it is and rows added while paging never shift it.
 */
export function keyset<Row>(spec: Keyset<Row>, page: PageRequest): { where: object; orderBy: object[]; take: number } {
  const path = typeof spec.field === 'string' ? [spec.field] : spec.field;
  // { customer: { domain: leaf } } for the path ['customer', 'domain'].
  const on = (leaf: unknown): object => path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as object;
  const orderBy = [on(spec.direction), ...(spec.tiebreak?.orderBy ?? [{ id: spec.direction }])];
  const take = page.limit + 1;
  const cursor = page.cursor;
  if (!cursor) return { where: {}, orderBy, take };
  if (cursor.list !== spec.list) throw problems.unprocessable('The cursor belongs to another list.', [{ path: 'query.cursor', message: 'not a cursor from this list' }]);
  const op = spec.direction === 'asc' ? 'gt' : 'lt';
  const damaged = () => problems.unprocessable('The cursor is damaged.', [{ path: 'query.cursor', message: 'not a cursor from this list' }]);
  let at: unknown;
  try {
    at = (spec.parse ?? ((x: string) => x))(cursor.at);
  } catch {
    throw damaged();
  }
  if (at instanceof Date && Number.isNaN(at.getTime())) throw damaged();
  let beyond: unknown = { [op]: at };
  // Implied by the OR below, and what lets the index on the sort column start at the cursor: with
  // the OR alone PostgreSQL walks the index from the top and filters out every row already paged
  // past, so page n cost n pages (37 ms at 190,000 rows in, against 0.2 ms for the first).
  let bound: unknown = { [`${op}e`]: at };
  if (spec.ordered) {
    const index = spec.ordered.indexOf(String(at));
    if (index < 0) throw damaged();
    beyond = { in: op === 'gt' ? spec.ordered.slice(index + 1) : spec.ordered.slice(0, index) };
    bound = { in: op === 'gt' ? spec.ordered.slice(index) : spec.ordered.slice(0, index + 1) };
  }
  let after: object;
  try {
    after = spec.tiebreak ? spec.tiebreak.after(op, cursor.id) : { id: { [op]: (spec.parseId ?? asUuid)(cursor.id) } };
  } catch {
    throw damaged();
  }
  return { where: { AND: [on(bound), { OR: [on(beyond), { AND: [on(at), after] }] }] }, orderBy, take };
}

/** A column a list sorts by: where it is (a path through relations) and what its values are. */
export interface SortColumn {
  field: string | readonly string[];
  kind: 'time' | 'text' | 'decimal';
  /** An enum's values in their database order. */
  ordered?: readonly string[];
}

const DECIMAL = /^-?\d{1,20}(\.\d{1,10})?$/;
const asDecimal = (at: string) => {
  if (!DECIMAL.test(at)) throw new Error('not a decimal');
  return at;
};

/**
 * The keyset of a list sorted by one of its columns: `sort` is the column's name, ascending, or
 * `-name`, descending. The sort is part of the cursor's list, so a cursor made under one sort is
 * refused under another instead of silently starting somewhere else.
 */
export function sortedBy<Row extends { id: string }>(list: string, columns: Readonly<Record<string, SortColumn>>, sort: string): Keyset<Row> {
  const descending = sort.startsWith('-');
  const column = columns[descending ? sort.slice(1) : sort];
  if (!column) throw new Error(`${list} has no sort ${sort}`);
  const path = typeof column.field === 'string' ? [column.field] : column.field;
  const valueOf = (row: Row): unknown => path.reduce<unknown>((value, key) => (value as Record<string, unknown> | null | undefined)?.[key], row);
  return {
    list: `${list}:${sort}`,
    field: column.field,
    direction: descending ? 'desc' : 'asc',
    ...(column.ordered ? { ordered: column.ordered } : {}),
    at: (row) => {
      const value = valueOf(row);
      return value instanceof Date ? value.toISOString() : String(value);
    },
    id: (row) => row.id,
    parse: column.kind === 'time' ? asTime : column.kind === 'decimal' ? asDecimal : undefined,
  };
}

/** Cuts the extra row a keyset query fetched into the next page's cursor. */
export function pageOf<Row, T>(rows: Row[], spec: Keyset<Row>, page: PageRequest, view: (row: Row) => T): Page<T> {
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(view), ...(more && last ? { next: encodeCursor({ list: spec.list, at: spec.at(last), id: spec.id(last) } satisfies Cursor) } : {}) };
}

/**
 * Every row of a list in its order, fetched a page at a time, for exports: memory stays bounded by
 * one page whatever the list's length.
 */
export async function* everyRow<Row>(fetchPage: (page: PageRequest) => Promise<{ rows: Row[]; spec: Keyset<Row> }>, pageSize = 250): AsyncGenerator<Row> {
  let cursor: Cursor | undefined;
  for (;;) {
    const { rows, spec } = await fetchPage({ limit: pageSize, cursor });
    const kept = rows.slice(0, pageSize);
    yield* kept;
    if (rows.length <= pageSize) return;
    const last = kept[kept.length - 1]!;
    cursor = { list: spec.list, at: spec.at(last), id: spec.id(last) };
  }
}
