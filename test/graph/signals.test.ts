import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

describe('graph: signal and wait signal', () => {
  it('a signal node, a wait signal node, and a dotted signal edge from each raise to each wait', async () => {
    const def = await build(`agent W { instructions: "Send it." stub: "ok" }
flow F {
  parallel {
    branch {
      step check: W
      signal ok
    }
    branch {
      wait signal ok
      step confirm: W
    }
    branch {
      wait signal ok
    }
  }
}`);
    const graph = buildFlowGraph(def, 'F');
    const raise = graph.nodes.find((n) => n.kind === 'signal')!;
    assert.deepEqual([raise.id, raise.label], ['F/signal@0.0.1', 'signal ok']);
    const waits = graph.nodes.filter((n) => n.label === 'signal ok' && n.kind === 'event').map((n) => n.id);
    assert.deepEqual(waits, ['F/wait@0.1.0', 'F/wait@0.2.0']);
    assert.deepEqual(graph.edges.filter((e) => e.kind === 'signal').map((e) => `${e.source} -> ${e.target}`), ['F/signal@0.0.1 -> F/wait@0.1.0', 'F/signal@0.0.1 -> F/wait@0.2.0']);
    assert.match(toMermaid(graph), /-\.->/);
    assert.match(toDot(graph), /"F\/signal@0\.0\.1" -> "F\/wait@0\.1\.0" \[style=dotted, constraint=false\]/);
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /<g class="edge edge-signal" data-id="F\/signal@0\.0\.1-&gt;F\/wait@0\.1\.0"/);
    assert.match(svg, /<g class="node kind-signal" data-id="F\/signal@0\.0\.1"[^>]*aria-label="raise signal ok"/);
  });

  it('the run overlay: the raise and the wait are done; a wait whose signal came is on its raised arm', async () => {
    const def = await build(`agent W { instructions: "Send it." stub: "ok" }
flow F {
  parallel {
    branch {
      step check: W
      signal ok
    }
    wait signal ok timeout 1h on timeout {
      step late: W
    }
  }
}`);
    const graph = buildFlowGraph(def, 'F');
    const overlay = new RunOverlay(graph);
    const store = SqliteRunStore.open(':memory:');
    try {
      const s = await startRun(def, 'F', {}, { store, onEvent: (e) => overlay.apply(e) });
      assert.equal(s.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/signal@0.0.1')?.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/wait@0.1')?.status, 'succeeded');
      const taken = [...overlay.takenEdges(graph)];
      assert.ok(taken.includes('F/wait@0.1->F/wait@0.1/merge:raised'), taken.join(' '));
      assert.ok(!taken.some((t) => t.includes(':on timeout')));
    } finally {
      await store.close();
    }
  });
});
