// The metrics page's queries on the PostgreSQL store (issue 13, design §2.8): counts, sums and `percentile_disc`
// (nearest rank: the value at rank ceil(p·n), orderedsetaggs.c) over `runs` (by id range: a time window is an id range)
// and the step projection `run_steps` (migration 7) — the same figures as the SQLite store's sqlite-stats.ts.
import { assembleRunStats, statsWindow, type RunStats, type RunStatsQuery, type RunStatsRows } from '@baton/runtime';
import type { Query } from './pg-chain.js';

/** A bigint or numeric column (node-postgres gives text) as a number; null stays null. */
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** Rows with every column named in `numeric` turned into numbers. */
function numbers<T>(rows: Record<string, unknown>[], numeric: readonly string[]): T[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = { ...row };
    for (const column of numeric) out[column] = num(row[column]);
    return out as T;
  });
}

/** The UTC day (`YYYY-MM-DD`) of a `timestamptz` column. */
const day = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/** See `RunStoreApi.runStats`. */
export async function pgRunStats(query: Query, q: RunStatsQuery): Promise<RunStats> {
  const { from, to, fromId, toId } = statsWindow(q);
  const w = `r.tenant = $1 AND r.id >= $2 AND r.id < $3${q.flow !== undefined ? ' AND r.flow = $4' : ''}`;
  const wv: unknown[] = [q.tenant, fromId, toId, ...(q.flow !== undefined ? [q.flow] : [])];
  const read = async <T>(sql: string, values: unknown[], numeric: readonly string[]): Promise<T[]> => numbers<T>((await query(sql, values)).rows, numeric);
  const [byDay, durations, perRun, steps, slaByFlow, slaByDay] = await Promise.all([
    read<RunStatsRows['byDay'][number]>(`SELECT ${day('r.started_at')} AS day, r.flow, r.status, count(*) AS n FROM runs r WHERE ${w} GROUP BY 1, 2, 3`, wv, ['n']),
    read<RunStatsRows['durations'][number]>(
      `SELECT r.flow, percentile_disc(0.5) WITHIN GROUP (ORDER BY r.duration_ms) AS p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY r.duration_ms) AS p95
      FROM runs r WHERE ${w} AND r.duration_ms IS NOT NULL GROUP BY r.flow`,
      wv,
      ['p50', 'p95'],
    ),
    read<RunStatsRows['perRun'][number]>(
      `WITH per AS (
        SELECT r.flow, r.id, COALESCE(SUM(s.tokens), 0) AS tokens, COALESCE(SUM(s.cost_nano), 0) AS cost, COUNT(s.cost_nano) AS priced
        FROM runs r LEFT JOIN run_steps s ON s.run_id = r.id WHERE ${w} GROUP BY r.id, r.flow
      )
      SELECT flow, count(*) AS n, SUM(tokens) AS tokens_sum, percentile_disc(0.95) WITHIN GROUP (ORDER BY tokens) AS tokens_p95,
        SUM(cost) AS cost_sum, percentile_disc(0.95) WITHIN GROUP (ORDER BY cost) AS cost_p95, SUM(priced) AS priced
      FROM per GROUP BY flow`,
      wv,
      ['n', 'tokens_sum', 'tokens_p95', 'cost_sum', 'cost_p95', 'priced'],
    ),
    read<RunStatsRows['steps'][number]>(
      `SELECT r.flow, s.node, count(*) AS count, count(*) FILTER (WHERE s.status = 'failed') AS failed,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY s.duration_ms) AS p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY s.duration_ms) AS p95,
        COALESCE(SUM(s.duration_ms), 0) AS total, COALESCE(SUM(s.attempts - 1), 0) AS retries, COALESCE(SUM(s.tokens), 0) AS tokens, COALESCE(SUM(s.cost_nano), 0) AS cost
      FROM runs r JOIN run_steps s ON s.run_id = r.id WHERE ${w} GROUP BY r.flow, s.node`,
      wv,
      ['count', 'failed', 'p50', 'p95', 'total', 'retries', 'tokens', 'cost'],
    ),
    read<RunStatsRows['slaByFlow'][number]>(`SELECT r.flow, count(*) AS n FROM runs r JOIN sla_breaches b ON b.run_id = r.id WHERE ${w} GROUP BY r.flow`, wv, ['n']),
    read<RunStatsRows['slaByDay'][number]>(
      `SELECT ${day('at')} AS day, flow, count(*) AS n FROM sla_breaches WHERE tenant = $1 AND at >= $2 AND at < $3${q.flow !== undefined ? ' AND flow = $4' : ''} GROUP BY 1, 2`,
      [q.tenant, from, to, ...(q.flow !== undefined ? [q.flow] : [])],
      ['n'],
    ),
  ]);
  return assembleRunStats(q, { byDay, durations, perRun, steps, slaByFlow, slaByDay });
}
