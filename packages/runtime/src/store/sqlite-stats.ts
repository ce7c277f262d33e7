// The metrics page's queries on the SQLite store (issue 13, design §2.8): counts, sums and nearest-rank percentiles over
// `runs` (by id range: a time window is an id range) and their steps — the step projection `run_steps` (schema 8) for
// the runs that ended, their `step.finished` events for the others (the projection is written when a run ends:
// sqlite-projection.ts), so a running run's steps count as soon as they are stored. Percentiles are
// `ROW_NUMBER()` ranks compared with `ceil(p·n)`, the definition PostgreSQL's `percentile_disc` uses (pg-stats.ts), so
// both stores give equal numbers.
import { ENDED_STATUSES_SQL } from './sqlite-projection.js';
import { STEP_EVENT_VALUES } from './sqlite-schema-8.js';
import { assembleRunStats, statsWindow, type RunStatsRows } from './run-stats.js';
import type { RunStats, RunStatsQuery } from './store-api.js';

type Read = (sql: string, values: (string | number)[]) => unknown[];

/**
 * `MIN(value)` over the rows whose rank `rank` is at least `ceil(p · n)` — the value at that rank when `rank` numbers
 * the rows in ascending order of `value` (non-null values first) and `n` counts the non-null values.
 */
const rankPick = (p: number, value: string, rank: string, n: string): string => `MIN(CASE WHEN ${value} IS NOT NULL AND ${rank} >= ceil(${p} * ${n}) THEN ${value} END)`;

/**
 * The `step.finished` events as `run_steps` rows from `node` on, with their `run_id` (a subquery SQLite flattens into
 * the join): the steps of a run that has not ended, whose rows are not written yet (sqlite-projection.ts). Each query
 * below reads `run_steps` for the window's runs that ended and this for the others, as two branches of a UNION ALL.
 */
const EVENT_STEPS = `(SELECT e.run_id, ${STEP_EVENT_VALUES('e', true)} FROM events e WHERE e.type = 'step.finished')`;

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
        SELECT r.flow, r.id, COALESCE(SUM(s.tokens), 0) AS tokens, COALESCE(SUM(s.cost_nano), 0) AS cost, COUNT(s.cost_nano) AS priced
        FROM runs r LEFT JOIN run_steps s ON s.run_id = r.id WHERE ${w} AND r.status IN (${ENDED_STATUSES_SQL}) GROUP BY r.id, r.flow
        UNION ALL
        SELECT r.flow, r.id, COALESCE(SUM(s.tokens), 0) AS tokens, COALESCE(SUM(s.cost_nano), 0) AS cost, COUNT(s.cost_nano) AS priced
        FROM runs r LEFT JOIN ${EVENT_STEPS} s ON s.run_id = r.id WHERE ${w} AND r.status NOT IN (${ENDED_STATUSES_SQL}) GROUP BY r.id, r.flow
      ), ranked AS (
        SELECT flow, tokens, cost, priced, ROW_NUMBER() OVER (PARTITION BY flow ORDER BY tokens) AS rt, ROW_NUMBER() OVER (PARTITION BY flow ORDER BY cost) AS rc, COUNT(*) OVER (PARTITION BY flow) AS n FROM per
      )
      SELECT flow, count(*) AS n, SUM(tokens) AS tokens_sum, ${rankPick(0.95, 'tokens', 'rt', 'n')} AS tokens_p95, SUM(cost) AS cost_sum, ${rankPick(0.95, 'cost', 'rc', 'n')} AS cost_p95, SUM(priced) AS priced
      FROM ranked GROUP BY flow`,
      [...wv, ...wv],
    ) as RunStatsRows['perRun'],
    steps: read(
      `SELECT flow, node, count(*) AS count, SUM(status = 'failed') AS failed, ${rankPick(0.5, 'v', 'rn', 'n')} AS p50, ${rankPick(0.95, 'v', 'rn', 'n')} AS p95,
        COALESCE(SUM(v), 0) AS total, COALESCE(SUM(attempts - 1), 0) AS retries, COALESCE(SUM(tokens), 0) AS tokens, COALESCE(SUM(cost_nano), 0) AS cost
      FROM (
        SELECT flow, node, status, v, attempts, tokens, cost_nano,
          ROW_NUMBER() OVER (PARTITION BY flow, node ORDER BY v IS NULL, v) AS rn, COUNT(v) OVER (PARTITION BY flow, node) AS n
        FROM (
          SELECT r.flow, s.node, s.status, s.duration_ms AS v, s.attempts, s.tokens, s.cost_nano
          FROM runs r JOIN run_steps s ON s.run_id = r.id WHERE ${w} AND r.status IN (${ENDED_STATUSES_SQL})
          UNION ALL
          SELECT r.flow, s.node, s.status, s.duration_ms AS v, s.attempts, s.tokens, s.cost_nano
          FROM runs r JOIN ${EVENT_STEPS} s ON s.run_id = r.id WHERE ${w} AND r.status NOT IN (${ENDED_STATUSES_SQL})
        )
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
