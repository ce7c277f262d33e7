// The metrics page's figures (issue 13, design §2.8) from the rows both stores' queries return (sqlite-stats.ts,
// cluster's pg-stats.ts): the stores compute sums, counts and nearest-rank percentiles in SQL; this module turns their
// rows into one `RunStats`, so the two stores give equal answers for equal data.
import type { RunStatus } from '@baton/protocol';
import type { FlowStats, RunCounts, RunStats, RunStatsQuery, StepStats } from './store-api.js';
import { runIdBound } from './run-id.js';

/** The rows of a store's stats queries, numbers as numbers (a store converts PostgreSQL's bigint text). */
export interface RunStatsRows {
  /** Runs per started day (UTC `YYYY-MM-DD`), flow and status. */
  byDay: { day: string; flow: string; status: string; n: number }[];
  /** Finished runs' duration percentiles (ms) per flow. */
  durations: { flow: string; p50: number | null; p95: number | null }[];
  /** Per flow over its runs: how many, Σ tokens and p95 of a run's tokens, Σ cost and p95 of a run's cost (nano-dollars), priced steps. */
  perRun: { flow: string; n: number; tokens_sum: number; tokens_p95: number | null; cost_sum: number; cost_p95: number | null; priced: number }[];
  /** Per flow and node over the steps of the window's runs. */
  steps: { flow: string; node: string | null; count: number; failed: number; p50: number | null; p95: number | null; total: number; retries: number; tokens: number; cost: number }[];
  /** SLA breaches of the window's runs, per flow. */
  slaByFlow: { flow: string; n: number }[];
  /** SLA breaches recorded in the window, per day (UTC) and flow. */
  slaByDay: { day: string; flow: string; n: number }[];
}

/** The window of a stats query as the stores filter it: ISO 8601 times and the run id bounds of the runs started in it. */
export function statsWindow(query: RunStatsQuery): { from: string; to: string; fromId: string; toId: string } {
  const from = new Date(query.from).toISOString();
  const to = new Date(query.to).toISOString();
  return { from, to, fromId: runIdBound(from), toId: runIdBound(to) };
}

/** The nearest-rank percentile `p` of `n` values: its 1-based rank, `ceil(p·n)` in double precision (PostgreSQL's `percentile_disc`). */
export function nearestRank(p: number, n: number): number {
  return Math.max(1, Math.ceil(p * n));
}

const NANO = 1e9;

/** Turns the stores' rows into {@link RunStats} (flows and steps sorted by name; days by day, then flow). */
export function assembleRunStats(query: RunStatsQuery, rows: RunStatsRows): RunStats {
  const { from, to } = statsWindow(query);
  const days = new Map<string, { day: string; flow: string; runs: number; byStatus: RunCounts }>();
  const flows = new Map<string, FlowStats>();
  const flowOf = (flow: string): FlowStats => {
    let stats = flows.get(flow);
    if (!stats) {
      stats = { flow, runs: 0, byStatus: {}, successRate: null, p50Ms: null, p95Ms: null, tokensAvg: null, tokensP95: null, costAvgUsd: null, costP95Usd: null, retries: 0, deadLetters: 0, slaBreaches: 0 };
      flows.set(flow, stats);
    }
    return stats;
  };
  for (const { day, flow, status, n } of rows.byDay) {
    const key = `${day}\u0000${flow}`;
    const entry = days.get(key) ?? { day, flow, runs: 0, byStatus: {} };
    entry.runs += n;
    entry.byStatus[status as RunStatus] = (entry.byStatus[status as RunStatus] ?? 0) + n;
    days.set(key, entry);
    const stats = flowOf(flow);
    stats.runs += n;
    stats.byStatus[status as RunStatus] = (stats.byStatus[status as RunStatus] ?? 0) + n;
  }
  for (const stats of flows.values()) {
    const { succeeded = 0, failed = 0, cancelled = 0 } = stats.byStatus;
    const ended = succeeded + failed + cancelled;
    stats.successRate = ended > 0 ? succeeded / ended : null;
    stats.deadLetters = failed;
  }
  for (const { flow, p50, p95 } of rows.durations) Object.assign(flowOf(flow), { p50Ms: p50, p95Ms: p95 });
  for (const r of rows.perRun) {
    const stats = flowOf(r.flow);
    if (r.n === 0) continue;
    stats.tokensAvg = r.tokens_sum / r.n;
    stats.tokensP95 = r.tokens_p95;
    if (r.priced > 0) {
      stats.costAvgUsd = r.cost_sum / r.n / NANO;
      stats.costP95Usd = r.cost_p95 === null ? null : r.cost_p95 / NANO;
    }
  }
  const steps: StepStats[] = rows.steps.map((s) => ({ flow: s.flow, node: s.node ?? '', count: s.count, failed: s.failed, p50Ms: s.p50, p95Ms: s.p95, totalMs: s.total, retries: s.retries, tokens: s.tokens, costUsd: s.cost / NANO }));
  steps.sort((a, b) => (a.flow === b.flow ? (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) : a.flow < b.flow ? -1 : 1));
  for (const step of steps) {
    const stats = flowOf(step.flow);
    stats.retries += step.retries;
    // the bottleneck: the largest summed step time; a tie goes to the first node by name
    if (!stats.bottleneck || step.totalMs > stats.bottleneck.totalMs) stats.bottleneck = { node: step.node, totalMs: step.totalMs, p95Ms: step.p95Ms };
  }
  for (const { flow, n } of rows.slaByFlow) flowOf(flow).slaBreaches = n;
  const byName = <T extends { flow: string }>(a: T, b: T): number => (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : 0);
  return {
    from,
    to,
    days: [...days.values()].sort((a, b) => (a.day === b.day ? byName(a, b) : a.day < b.day ? -1 : 1)),
    flows: [...flows.values()].sort(byName),
    steps,
    slaBreaches: rows.slaByDay.map(({ day, flow, n }) => ({ day, flow, count: n })).sort((a, b) => (a.day === b.day ? byName(a, b) : a.day < b.day ? -1 : 1)),
  };
}
