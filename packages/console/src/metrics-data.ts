// What the metrics page reads (`GET /stats?from&to&flow`, the store's `runStats`) and the figures it shows: pure, so
// tests can compute the same numbers.

import type { FlowStats, RunCounts, RunStats, StepStats } from '@baton/protocol';

/** `GET /stats` answers the store's `RunStats` for the window [`from`, `to`) (declared in @baton/protocol). */
export type { FlowStats, RunCounts, RunStats, StepStats };

/** The windows the page offers: label → length in ms. */
export const WINDOWS = { '24h': 24 * 3600_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type WindowName = keyof typeof WINDOWS;

/**
 * The page's KPI figures over `flows` (all the window's flows, or the one picked): sums for counts; the success rate
 * from the summed statuses (succeeded ÷ (succeeded + failed + cancelled), null when none ended); for one flow also
 * its percentiles, per-run tokens and cost and bottleneck (they do not add up across flows).
 */
export interface Kpis {
  runs: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  retries: number;
  deadLetters: number;
  slaBreaches: number;
  /** Only for one flow. */
  single?: FlowStats;
}

/** See {@link Kpis}. */
export function kpis(flows: readonly FlowStats[]): Kpis {
  let runs = 0;
  let succeeded = 0;
  let failed = 0;
  let cancelled = 0;
  let retries = 0;
  let deadLetters = 0;
  let slaBreaches = 0;
  for (const f of flows) {
    runs += f.runs;
    succeeded += f.byStatus.succeeded ?? 0;
    failed += f.byStatus.failed ?? 0;
    cancelled += f.byStatus.cancelled ?? 0;
    retries += f.retries;
    deadLetters += f.deadLetters;
    slaBreaches += f.slaBreaches;
  }
  const ended = succeeded + failed + cancelled;
  return { runs, succeeded, failed, successRate: ended ? succeeded / ended : null, retries, deadLetters, slaBreaches, ...(flows.length === 1 ? { single: flows[0] } : {}) };
}

/**
 * The days of the window (UTC `YYYY-MM-DD`, oldest first) with the runs per status summed over `flow` (or all
 * flows), days without runs included as zeros: the runs-per-day chart's data.
 */
export function runsPerDay(stats: RunStats, flow?: string): { day: string; runs: number; succeeded: number; failed: number; other: number; breaches: number }[] {
  const days = new Map<string, { day: string; runs: number; succeeded: number; failed: number; other: number; breaches: number }>();
  const start = Date.parse(`${stats.from.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(stats.to);
  for (let t = start; t < end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.set(day, { day, runs: 0, succeeded: 0, failed: 0, other: 0, breaches: 0 });
  }
  for (const d of stats.days) {
    if (flow && d.flow !== flow) continue;
    const row = days.get(d.day) ?? { day: d.day, runs: 0, succeeded: 0, failed: 0, other: 0, breaches: 0 };
    days.set(d.day, row);
    row.runs += d.runs;
    row.succeeded += d.byStatus.succeeded ?? 0;
    row.failed += d.byStatus.failed ?? 0;
    row.other += d.runs - (d.byStatus.succeeded ?? 0) - (d.byStatus.failed ?? 0);
  }
  for (const b of stats.slaBreaches) {
    if (flow && b.flow !== flow) continue;
    const row = days.get(b.day);
    if (row) row.breaches += b.count;
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** The window's bounds for `name` ending at `now` (ms): ISO times for `GET /stats` and the runs list's filter. */
export function windowBounds(name: WindowName, now: number): { from: string; to: string } {
  return { from: new Date(now - WINDOWS[name]).toISOString(), to: new Date(now).toISOString() };
}
