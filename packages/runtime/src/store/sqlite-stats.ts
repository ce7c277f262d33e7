// The metrics page's queries on the SQLite store (issue 13, design §2.8): counts, sums and nearest-rank percentiles over
// `runs` (by id range: a time window is an id range) and their steps — the step projection `run_steps` (schema 8) for
// the runs that ended, their `step.finished` events for the others (the projection is written when a run ends:
// sqlite-projection.ts), so a running run's steps count as soon as they are stored. Percentiles are
// `ROW_NUMBER()` ranks compared with `ceil(p·n)`, the definition PostgreSQL's `percentile_disc` uses (pg-stats.ts), so
// both stores give equal numbers.
import { ENDED_STATUSES_SQL } from './sqlite-projection.js';
import { RUN_STEP_COLUMNS, RUN_STEP_VALUES } from './sqlite-schema-8.js';
import { assembleRunStats, statsWindow, type RunStatsRows } from './run-stats.js';
import type { RunStats, RunStatsQuery } from './store-api.js';

type Read = (sql: string, values: (string | number)[]) => unknown[];

/**
 * `MIN(value)` over the rows whose rank `rank` is at least `ceil(p · n)` — the value at that rank when `rank` numbers
 * the rows in ascending order of `value` (non-null values first) and `n` counts the non-null values.
 */
const rankPick = (p: number, value: string, rank: string, n: string): string => `MIN(CASE WHEN ${value} IS NOT NULL AND ${rank} >= ceil(${p} * ${n}) THEN ${value} END)`;

/**
 * The steps of the runs matching `w` (a condition on `runs r`) with `run_steps`' columns (tenant and flow the run's
 * now): its rows for the runs that ended, the rows their `step.finished` events make (rounded alike) for the others.
 * `w` appears twice: bind its values twice.
 */
const windowSteps = (w: string): string => `
    SELECT ${RUN_STEP_COLUMNS.split(', ').map((c) => (c === 'tenant' || c === 'flow' ? `r.${c}` : `s.${c}`)).join(', ')} FROM runs r JOIN run_steps s ON s.run_id = r.id WHERE ${w} AND r.status IN (${ENDED_STATUSES_SQL})
    UNION ALL
    SELECT ${RUN_STEP_VALUES('e')} FROM runs r JOIN events e ON e.run_id = r.id AND e.type = 'step.finished' WHERE ${w} AND r.status NOT IN (${ENDED_STATUSES_SQL})`;

/** See `RunStoreApi.runStats`. */
export function sqliteRunStats(read: Read, query: RunStatsQuery): RunStats {
  const { from, to, fromId, toId } = statsWindow(query);
  // the window's runs, as `r`
  const w = `r.tenant = ? AND r.id >= ? AND r.id < ?${query.flow !== undefined ? ' AND r.flow = ?' : ''}`;
  const wv: (string | number)[] = [query.tenant, fromId, toId, ...(query.flow !== undefined ? [query.flow] : [])];
  const rows: RunStatsRows = {
    byDay: read(`SELECT substr(r.started_at, 1, 10) AS day, r.flow, r.status, count(*) AS n FROM runs r WHERE ${w} GROUP BY 1, 2, 3`, wv) as RunStatsRows['byDay'],
    durations: read(
      `SELECT flow, ${rankPick(0.5, 'v', 'rn', 'n')} AS p50, ${rankPick(0.95, 'v', 'rn', 'n')} AS p95 FROM (
        SELECT r.flow, r.duration_ms AS v, ROW_NUMBER() OVER (PARTITION BY r.flow ORDER BY r.duration_ms) AS rn, COUNT(*) OVER (PARTITION BY r.flow) AS n
        FROM runs r WHERE ${w} AND r.duration_ms IS NOT NULL) GROUP BY flow`,
      wv,
    ) as RunStatsRows['durations'],
    perRun: read(
      `WITH per AS (
        SELECT r.flow, r.id, COALESCE(s.tokens, 0) AS tokens, COALESCE(s.cost, 0) AS cost, COALESCE(s.priced, 0) AS priced
        FROM runs r LEFT JOIN (SELECT run_id, SUM(tokens) AS tokens, SUM(cost_nano) AS cost, COUNT(cost_nano) AS priced FROM (${windowSteps(w)}) GROUP BY run_id) s
          ON s.run_id = r.id WHERE ${w}
      ), ranked AS (
        SELECT flow, tokens, cost, priced, ROW_NUMBER() OVER (PARTITION BY flow ORDER BY tokens) AS rt, ROW_NUMBER() OVER (PARTITION BY flow ORDER BY cost) AS rc, COUNT(*) OVER (PARTITION BY flow) AS n FROM per
      )
      SELECT flow, count(*) AS n, SUM(tokens) AS tokens_sum, ${rankPick(0.95, 'tokens', 'rt', 'n')} AS tokens_p95, SUM(cost) AS cost_sum, ${rankPick(0.95, 'cost', 'rc', 'n')} AS cost_p95, SUM(priced) AS priced
      FROM ranked GROUP BY flow`,
      [...wv, ...wv, ...wv],
    ) as RunStatsRows['perRun'],
    steps: read(
      `SELECT flow, node, count(*) AS count, SUM(status = 'failed') AS failed, ${rankPick(0.5, 'v', 'rn', 'n')} AS p50, ${rankPick(0.95, 'v', 'rn', 'n')} AS p95,
        COALESCE(SUM(v), 0) AS total, COALESCE(SUM(attempts - 1), 0) AS retries, COALESCE(SUM(tokens), 0) AS tokens, COALESCE(SUM(cost_nano), 0) AS cost
      FROM (
        SELECT s.flow, s.node, s.status, s.duration_ms AS v, s.attempts, s.tokens, s.cost_nano,
          ROW_NUMBER() OVER (PARTITION BY s.flow, s.node ORDER BY s.duration_ms IS NULL, s.duration_ms) AS rn, COUNT(s.duration_ms) OVER (PARTITION BY s.flow, s.node) AS n
        FROM (${windowSteps(w)}) s
      ) GROUP BY flow, node`,
      [...wv, ...wv],
    ) as RunStatsRows['steps'],
    slaByFlow: read(`SELECT r.flow, count(*) AS n FROM runs r JOIN sla_breaches b ON b.run_id = r.id WHERE ${w} GROUP BY r.flow`, wv) as RunStatsRows['slaByFlow'],
    slaByDay: read(
      `SELECT substr(at, 1, 10) AS day, flow, count(*) AS n FROM sla_breaches WHERE tenant = ? AND at >= ? AND at < ?${query.flow !== undefined ? ' AND flow = ?' : ''} GROUP BY 1, 2`,
      [query.tenant, from, to, ...(query.flow !== undefined ? [query.flow] : [])],
    ) as RunStatsRows['slaByDay'],
  };
  return assembleRunStats(query, rows);
}
