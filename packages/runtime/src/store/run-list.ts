// The console's runs list (issue 13, design §2.5) as SQL, for both stores: one builder, two dialects (SQLite `?`,
// PostgreSQL `$n`). Newest first, keyset on the run id (a ULID: a time range is an id range, see `runIdBound`), served by
// the `(tenant[, flow][, status], id)` indexes of SQLite schema 8 / PostgreSQL migration 7; a text search over the
// inputs is bounded by RUN_TEXT_SCAN_LIMIT runs per page.
import { RUN_TEXT_SCAN_LIMIT, type ListOptions, type RunFilter, type RunPage, type RunRecord } from './store-api.js';

/** How a store writes what the builder needs. */
export interface ListDialect {
  /** The placeholder of the `n`-th value (1-based): `?` or `$n`. */
  param(n: number): string;
  /** The condition "the inputs contain the pattern `param`" (a LIKE pattern escaped with `\`). */
  textMatch(param: string): string;
  /** The columns a run row is selected with. */
  columns: string;
}

/** The SQLite dialect: `?`, `LIKE` (case-insensitive for ASCII letters). */
export function sqliteDialect(columns: string): ListDialect {
  return { param: () => '?', textMatch: (param) => `inputs LIKE ${param} ESCAPE '\\'`, columns };
}

/** A `LIKE` pattern matching `text` anywhere, its `%`, `_` and `\` taken literally (escape character `\`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The list's default page size, and the largest one a caller gets. */
export const LIST_DEFAULT_LIMIT = 50;

/** The `WHERE` conditions of `filter` but its text (tenant, flow, status, the id bounds, the keyset cursor), with their values. */
function conditions(filter: RunFilter, dialect: ListDialect, values: unknown[], only: readonly ('status' | 'before' | 'text')[] = ['status', 'before']): string[] {
  const where: string[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    values.push(value);
    where.push(sql(dialect.param(values.length)));
  };
  if (filter.tenant !== undefined) add((p) => `tenant = ${p}`, filter.tenant);
  if (filter.flow !== undefined) add((p) => `flow = ${p}`, filter.flow);
  if (only.includes('status') && filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
  if (only.includes('before') && filter.before !== undefined) add((p) => `id < ${p}`, filter.before);
  if (filter.fromId !== undefined) add((p) => `id >= ${p}`, filter.fromId);
  if (filter.toId !== undefined) add((p) => `id < ${p}`, filter.toId);
  return where;
}

const whereClause = (where: string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');

/**
 * The page's query: at most `limit + 1` runs (one more than asked: it tells whether there is a next page), newest first.
 * With a text, `scanFloor` (from {@link textScanFloorQuery}) bounds the ids looked at.
 */
export function listPageQuery(filter: RunFilter, dialect: ListDialect, scanFloor?: string): { sql: string; values: unknown[]; limit: number } {
  const limit = Math.max(1, filter.limit ?? LIST_DEFAULT_LIMIT);
  const values: unknown[] = [];
  const where = conditions(filter, dialect, values);
  if (scanFloor !== undefined) {
    values.push(scanFloor);
    where.push(`id >= ${dialect.param(values.length)}`);
  }
  if (filter.text !== undefined && filter.text !== '') {
    values.push(containsPattern(filter.text));
    where.push(dialect.textMatch(dialect.param(values.length)));
  }
  values.push(limit + 1);
  return { sql: `SELECT ${dialect.columns} FROM runs ${whereClause(where)} ORDER BY id DESC LIMIT ${dialect.param(values.length)}`, values, limit };
}

/**
 * For a text search: the id of the `scanLimit`-th (default {@link RUN_TEXT_SCAN_LIMIT}) run the filter (without its text) selects from
 * `before` on, newest first — the oldest a page's search looks at. No row: fewer runs than that, the search is complete.
 * An index-only walk of the `(tenant, …, id)` index.
 */
export function textScanFloorQuery(filter: RunFilter, dialect: ListDialect, scanLimit = RUN_TEXT_SCAN_LIMIT): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = conditions(filter, dialect, values);
  values.push(Math.max(1, scanLimit) - 1);
  return { sql: `SELECT id FROM runs ${whereClause(where)} ORDER BY id DESC LIMIT 1 OFFSET ${dialect.param(values.length)}`, values };
}

/** The status counts' query (see `RunStoreApi.countRuns`): rows `{status, n}`. */
export function countRunsQuery(filter: RunFilter, dialect: ListDialect): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = conditions(filter, dialect, values, []);
  return { sql: `SELECT status, count(*) AS n FROM runs ${whereClause(where)} GROUP BY status`, values };
}

/**
 * One page of `RunStoreApi.listRunsPage` on a store that answers `read` (rows as the store gives them; `toRecord` turns
 * one into a {@link RunRecord}). A text search first finds how far down it may look ({@link textScanFloorQuery}); a
 * page it could not fill there carries `searchedTo`.
 */
export async function readRunsPage<Row extends { id: string }>(
  filter: RunFilter,
  dialect: ListDialect,
  read: (sql: string, values: unknown[]) => Promise<Row[]> | Row[],
  toRecord: (row: Row) => RunRecord,
  options: ListOptions = {},
): Promise<RunPage> {
  const searching = filter.text !== undefined && filter.text !== '';
  let floor: string | undefined;
  if (searching) {
    const { sql, values } = textScanFloorQuery(filter, dialect, options.scanLimit);
    floor = (await read(sql, values))[0]?.id;
  }
  const { sql, values, limit } = listPageQuery(filter, dialect, floor);
  const rows = await read(sql, values);
  const runs = rows.slice(0, limit).map(toRecord);
  if (rows.length > limit) return { runs, next: runs[runs.length - 1].id };
  return floor !== undefined ? { runs, searchedTo: floor } : { runs };
}
