// The console's reads on the PostgreSQL store (issue 13): the runs list's keyset pages and status counts (the SQL of the
// runtime's run-list.ts, in PostgreSQL's words), a run's events after a seq, its definition's sources, the metrics.
import type { RunEvent } from '@baton/protocol';
import { countRunsQuery, readRunsPage, type ListDialect, type ListOptions, type RunCounts, type RunFilter, type RunPage, type RunStats, type RunStatsQuery, type SourceFile, type TenantScope } from '@baton/runtime';
import type { Query } from './pg-chain.js';
import { RUN_COLUMNS, toRecord, type RunRow } from './pg-rows.js';
import { readPgSources } from './pg-sources.js';
import { pgRunStats } from './pg-stats.js';

/**
 * The runs list's SQL in PostgreSQL's words: `$n`; the text matched with `ILIKE` over the inputs' JSON text (as
 * written: a `json` column), case-insensitive as SQLite's `LIKE` is for ASCII letters.
 */
export const PG_DIALECT: ListDialect = { param: (n) => `$${n}`, textMatch: (param) => `inputs::text ILIKE ${param} ESCAPE '\\'`, columns: RUN_COLUMNS };

/** The console's read methods of a PostgreSQL store (see `RunStoreApi`), on `query`. */
export class PgConsoleReads {
  constructor(private readonly query: Query) {}

  /** See `RunStoreApi.listRunsPage`. */
  readonly listRunsPage = (filter: RunFilter, options?: ListOptions): Promise<RunPage> => readRunsPage(filter, PG_DIALECT, async (sql, values) => (await this.query<RunRow>(sql, values)).rows, toRecord, options);

  /** See `RunStoreApi.countRuns`. */
  readonly countRuns = async (filter: Omit<RunFilter, 'status' | 'limit' | 'before' | 'text'>): Promise<RunCounts> => {
    const { sql, values } = countRunsQuery(filter, PG_DIALECT);
    const { rows } = await this.query<{ status: string; n: string }>(sql, values);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };

  /** See `RunStoreApi.eventsSince`: stored rows only, nothing the handle knows of the run changes. */
  readonly eventsSince = async (runId: string, afterSeq: number, limit: number, scope: TenantScope = {}): Promise<RunEvent[]> => {
    const byTenant = scope.tenant !== undefined;
    const { rows } = await this.query<{ seq: number; time: Date; data: object }>(
      `SELECT e.seq, e.time, e.data FROM events e${byTenant ? ' JOIN runs r ON r.id = e.run_id AND r.tenant = $4' : ''} WHERE e.run_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`,
      [runId, afterSeq, limit, ...(byTenant ? [scope.tenant] : [])],
    );
    return rows.map((r) => ({ ...r.data, runId, seq: r.seq, time: r.time.toISOString() }) as RunEvent);
  };

  /** See `RunStoreApi.getDefinitionSources` (pg-sources.ts). */
  readonly getDefinitionSources = (runId: string, scope?: TenantScope): Promise<{ definition: string; sources: SourceFile[] }> => readPgSources(this.query, runId, scope);

  /** See `RunStoreApi.runStats` (pg-stats.ts). */
  readonly runStats = (query: RunStatsQuery): Promise<RunStats> => pgRunStats(this.query, query);
}
