import assert from 'node:assert/strict';
import type { TimelineBar } from '../../packages/protocol/src/run-view.js';
import { groupOf, timelineRows } from '../../packages/console/src/timeline.js';
import { kpis, runsPerDay, type FlowStats, type RunStats } from '../../packages/console/src/metrics-data.js';

/** The console's pure parts: the Gantt's rows and the metrics page's figures (no browser). */

const bar = (key: string, startedAt: string, extra: Partial<TimelineBar> = {}): TimelineBar => ({ key, kind: 'step', node: `F/${key.replace(/\[\d+\]$/, '')}`, label: key, startedAt, status: 'succeeded', ...extra });

describe('console: the timeline rows', () => {
  it('groups foreach instances and a sub-flow call under a heading placed at the group\'s first start; a retried step keeps one row', () => {
    const rows = timelineRows([
      bar('intake', '2026-01-01T00:00:00Z', { attempt: 1, status: 'failed' }),
      bar('line[0]', '2026-01-01T00:00:01Z'),
      bar('intake', '2026-01-01T00:00:01.5Z', { attempt: 2 }),
      bar('incident/page', '2026-01-01T00:00:02Z'),
      bar('line[1]', '2026-01-01T00:00:03Z'),
      bar('undo intake', '2026-01-01T00:00:04Z', { kind: 'compensation' }),
    ]);
    assert.deepEqual(
      rows.map((r) => [r.key, r.depth, r.bars.length]),
      [
        ['intake', 0, 2],
        ['group:line[]', 0, 2],
        ['line[0]', 1, 1],
        ['line[1]', 1, 1],
        ['group:incident/', 0, 1],
        ['incident/page', 1, 1],
        ['undo intake', 0, 1],
      ],
    );
    assert.equal(rows[1].label, 'line[…] × 2');
    assert.equal(rows[4].label, 'incident');
  });

  it('names the group of a key: a sub-flow prefix, a foreach instance, none at the top level', () => {
    assert.deepEqual(['a', 'a[3]', 'sub/a', 'sub/a[2]', 'undo x/y'].map(groupOf), [undefined, 'a[]', 'sub/', 'sub/', undefined]);
  });
});

const flow = (name: string, runs: number, byStatus: FlowStats['byStatus'], extra: Partial<FlowStats> = {}): FlowStats => ({
  flow: name, runs, byStatus, successRate: null, p50Ms: 10, p95Ms: 20, tokensAvg: 5, tokensP95: 9, costAvgUsd: null, costP95Usd: null, retries: 1, deadLetters: byStatus.failed ?? 0, slaBreaches: 0, ...extra,
});

describe('console: the metrics figures', () => {
  it('adds counts over flows and takes the success rate from the summed statuses; percentiles only for one flow', () => {
    const all = kpis([flow('A', 5, { succeeded: 3, failed: 1, running: 1 }), flow('B', 2, { succeeded: 1, cancelled: 1 }, { slaBreaches: 2 })]);
    assert.deepEqual([all.runs, all.succeeded, all.failed, all.retries, all.deadLetters, all.slaBreaches, all.single], [7, 4, 1, 2, 1, 2, undefined]);
    assert.equal(all.successRate, 4 / 6);
    assert.equal(kpis([flow('A', 1, { running: 1 })]).successRate, null, 'none ended');
    assert.equal(kpis([flow('A', 1, { succeeded: 1 })]).single?.flow, 'A');
  });

  it("lists every day of the window, empty ones as zeros, with one flow's or all flows' runs and breaches", () => {
    const stats: RunStats = {
      from: '2026-01-01T10:00:00.000Z',
      to: '2026-01-04T09:00:00.000Z',
      days: [
        { day: '2026-01-01', flow: 'A', runs: 3, byStatus: { succeeded: 2, failed: 1 } },
        { day: '2026-01-01', flow: 'B', runs: 1, byStatus: { waiting: 1 } },
        { day: '2026-01-03', flow: 'A', runs: 1, byStatus: { succeeded: 1 } },
      ],
      flows: [],
      steps: [],
      slaBreaches: [{ day: '2026-01-03', flow: 'B', count: 2 }],
    };
    assert.deepEqual(
      runsPerDay(stats).map((d) => [d.day, d.runs, d.succeeded, d.failed, d.other, d.breaches]),
      [
        ['2026-01-01', 4, 2, 1, 1, 0],
        ['2026-01-02', 0, 0, 0, 0, 0],
        ['2026-01-03', 1, 1, 0, 0, 2],
        ['2026-01-04', 0, 0, 0, 0, 0],
      ],
    );
    assert.deepEqual(runsPerDay(stats, 'B').map((d) => [d.runs, d.breaches]), [[1, 0], [0, 0], [0, 2], [0, 0]]);
  });
});
