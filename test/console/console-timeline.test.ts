import assert from 'node:assert/strict';
import type { TimelineBar } from '../../packages/protocol/src/run-view.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { groupOf, timelineRows } from '../../packages/console/src/timeline.js';
import { parallelBranches } from '../../packages/console/src/timeline-branches.js';
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

  it("indents a step's tool calls under it (their own rows, in start order); a flow tool's steps are a group of their own", () => {
    const rows = timelineRows([
      bar('help', '2026-01-01T00:00:00Z'),
      bar('help · tool c1', '2026-01-01T00:00:01Z', { kind: 'tool', label: 'tool Lookup', node: 'F/help' }),
      bar('help · tool c2', '2026-01-01T00:00:01Z', { kind: 'tool', label: 'tool Refund', node: 'F/help' }),
      bar('help/c2/pay', '2026-01-01T00:00:02Z'),
      bar('next', '2026-01-01T00:00:03Z'),
    ]);
    assert.deepEqual(rows.map((r) => [r.key, r.label, r.depth]), [
      ['help', 'help', 0],
      ['help · tool c1', 'tool Lookup', 1],
      ['help · tool c2', 'tool Refund', 1],
      ['group:help/c2/', 'help/c2', 0],
      ['help/c2/pay', 'help/c2/pay', 1],
      ['next', 'next', 0],
    ]);
  });

  it('names the group of a key: a sub-flow prefix, a foreach instance, none at the top level', () => {
    assert.deepEqual(['a', 'a[3]', 'sub/a', 'sub/a[2]', 'undo x/y'].map(groupOf), [undefined, 'a[]', 'sub/', 'sub/', undefined]);
    // an unnamed wait's key ends in its node id, whose slash is no sub-flow's
    assert.deepEqual(['event@F/w1', 'sub/event@Sub/w1', 'wait@F/w2[1]'].map(groupOf), [undefined, 'sub/', 'wait@F/w2[]']);
  });

  it("puts a parallel's branches under a heading each (a foreach instance keeps its own group), placed at the branch's first start", () => {
    const branches = new Map([
      ['F/a', { id: 'branch:F/p#1', label: 'parallel · branch 1' }],
      ['F/b', { id: 'branch:F/p#2', label: 'parallel · branch 2' }],
      ['F/c', { id: 'branch:F/p#2', label: 'parallel · branch 2' }],
      ['F/line', { id: 'branch:F/p#2', label: 'parallel · branch 2' }],
    ]);
    const rows = timelineRows(
      [
        bar('first', '2026-01-01T00:00:00Z'),
        bar('a', '2026-01-01T00:00:01Z'),
        bar('b', '2026-01-01T00:00:01Z'),
        bar('c', '2026-01-01T00:00:02Z'),
        bar('line[0]', '2026-01-01T00:00:03Z'),
        bar('last', '2026-01-01T00:00:05Z'),
      ],
      branches,
    );
    assert.deepEqual(
      rows.map((r) => [r.key, r.depth, r.label]),
      [
        ['first', 0, 'first'],
        ['group:branch:F/p#1', 0, 'parallel · branch 1'],
        ['a', 1, 'a'],
        ['group:branch:F/p#2', 0, 'parallel · branch 2'],
        ['b', 1, 'b'],
        ['c', 1, 'c'],
        ['group:line[]', 0, 'line[…] × 1'],
        ['line[0]', 1, 'line[0]'],
        ['last', 0, 'last'],
      ],
    );
  });

  it("reads a flow's parallel branches from its graph: one per statement or branch { }, nested blocks' nodes in their inner branch, loop bodies and compensations in theirs", async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-branches-'));
    try {
      const file = path.join(dir, 'f.flow');
      writeFileSync(
        file,
        `agent W { stub: { text: "w" }, output: { text: string } }
flow F {
  trigger webhook "/f"
  input items: string[]
  step first: W { prompt: "go" }
  parallel {
    step a: W { prompt: "a" }
    branch {
      step b: W { prompt: "b", compensate: W { prompt: "undo b" } }
      foreach item in input.items {
        step line: W { prompt: "\${item}" }
      }
    }
    parallel {
      step x: W { prompt: "x" }
      step y: W { prompt: "y" }
    }
  }
  step last: W { prompt: "end" }
}
`,
      );
      const services = createBatonServices(NodeFileSystem);
      const loaded = await loadWorkspace(services, [file]);
      const graph = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), 'F');
      const branches = parallelBranches(graph);
      const of = (step: string) => {
        const node = graph.nodes.find((n) => n.id.endsWith(`/${step}`));
        assert.ok(node, `${step} is drawn (${graph.nodes.map((n) => n.id).join(' ')})`);
        const group = branches.get(node.id);
        return group && `${group.label}${group.id.replace(/^branch:.*#/, ' #')}`;
      };
      assert.deepEqual(
        ['first', 'a', 'b', 'b/compensate', 'line', 'x', 'y', 'last'].map(of),
        [undefined, 'parallel L6 · branch 1 #1', 'parallel L6 · branch 2 #2', 'parallel L6 · branch 2 #2', 'parallel L6 · branch 2 #2', 'parallel L14 · branch 1 #1', 'parallel L14 · branch 2 #2', undefined],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
