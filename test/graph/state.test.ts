import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { SqliteRunStore, resumeRun, startRun } from '../../packages/runtime/src/index.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

const FLOW = `agent W { instructions: "Send it." stub: "ok" }
flow F {
  var stage = "new"
  parallel {
    set stage = "packed"
    branch {
      wait until stage == "packed" timeout 1h on timeout {
        step late: W
      }
      step go: W
    }
  }
}`;

describe('graph: var, set <var>, wait until', () => {
  it('a var is a let node `var name`, its set a set node `name`, wait until a wait node `until …` with its on timeout and met arms joined', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const nodes = graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail ?? '']);
    assert.deepEqual(nodes.filter(([, kind]) => ['let', 'set', 'wait', 'merge'].includes(kind)), [
      ['F/stage', 'let', 'var stage', '"new"'],
      ['F/set@1.0', 'set', 'stage', '"packed"'],
      ['F/wait@1.1.0', 'wait', 'until stage == "packed"', 'timeout 1h'],
      ['F/wait@1.1.0/merge', 'merge', '', ''],
    ]);
    const edges = graph.edges.filter((e) => e.source.includes('wait@') || e.target.includes('wait@')).map((e) => [e.source, e.target, e.kind, e.label ?? '', e.branch ?? '']);
    assert.deepEqual(edges, [
      ['F/parallel@1/fork', 'F/wait@1.1.0', 'flow', '', ''],
      ['F/wait@1.1.0', 'F/late', 'branch', 'on timeout', 0],
      ['F/late', 'F/wait@1.1.0/merge', 'flow', '', ''],
      ['F/wait@1.1.0', 'F/wait@1.1.0/merge', 'branch', 'met', 1],
      ['F/wait@1.1.0/merge', 'F/go', 'flow', '', ''],
    ]);
  });

  it('Mermaid, DOT and SVG draw them with the let, set and wait shapes', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const mermaid = toMermaid(graph).split('\n');
    assert.ok(mermaid.includes('  n1["var stage<br/>#quot;new#quot;"]'), 'var: a box');
    assert.ok(mermaid.includes('  n3["stage<br/>#quot;packed#quot;"]'), 'set: a box');
    assert.ok(mermaid.includes('  n4[("until stage == #quot;packed#quot;<br/>timeout 1h")]'), 'wait until: a cylinder');
    const dot = toDot(graph).split('\n');
    assert.ok(dot.includes('  "F/stage" [label="var stage\\n\\"new\\"", shape=note];'));
    assert.ok(dot.includes('  "F/set@1.0" [label="stage\\n\\"packed\\"", shape=note];'));
    assert.ok(dot.includes('  "F/wait@1.1.0" [label="until stage == \\"packed\\"\\ntimeout 1h", shape=cylinder];'));
    assert.ok(dot.includes('  "F/wait@1.1.0" -> "F/late" [label="on timeout"];'));
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /<g class="node kind-wait" data-id="F\/wait@1\.1\.0"[^>]*aria-label="wait until stage == &quot;packed&quot;: timeout 1h">/);
    assert.match(svg, /<g class="node kind-let" data-id="F\/stage"/);
    assert.match(svg, /<g class="node kind-set" data-id="F\/set@1\.0"/);
  });

  it('the run overlay: var and set nodes are done when set; the wait is waiting, then done — on its met arm, or after a timeout on its on timeout arm', async () => {
    const flow = (packedAfter: string) => `agent W { instructions: "Send it." stub: "ok" }
flow F {
  var stage = "new"
  parallel {
    branch {
      wait ${packedAfter}
      set stage = "packed"
    }
    branch {
      wait until stage == "packed" timeout 1h on timeout {
        step late: W
      }
      step go: W
    }
  }
}`;
    const store = SqliteRunStore.open(':memory:');
    try {
      let clock = Date.parse('2026-06-01T00:00:00Z');
      const now = (): Date => new Date(clock);
      for (const [after, late] of [['30m', false], ['2h', true]] as const) {
        const definition = await build(flow(after));
        const graph = buildFlowGraph(definition, 'F');
        const overlay = new RunOverlay(graph);
        const first = await startRun(definition, 'F', {}, { store, now, onEvent: (e) => overlay.apply(e) });
        assert.equal(first.status, 'waiting');
        assert.equal(overlay.nodes.get('F/stage')?.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/wait@1.1.0')?.status, 'waiting');
        clock += late ? 3_600_000 : 1_800_000;
        let done = await resumeRun(first.runId, { store, now });
        if (done.status === 'waiting') {
          clock += 3_600_000;
          done = await resumeRun(first.runId, { store, now });
        }
        for (const e of await store.getEvents(first.runId)) overlay.apply(e);
        assert.equal(done.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/wait@1.1.0')?.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/set@1.0.1')?.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/late')?.status, late ? 'succeeded' : undefined);
        const taken = [...overlay.takenEdges(graph)];
        assert.equal(taken.includes('F/wait@1.1.0->F/late:on timeout'), late, `packed after ${after}: on timeout taken`);
        assert.equal(taken.includes('F/wait@1.1.0->F/wait@1.1.0/merge:met'), !late, `packed after ${after}: met taken`);
      }
    } finally {
      await store.close();
    }
  });
});
