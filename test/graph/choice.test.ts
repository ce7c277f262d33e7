import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { resumeRun, SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

const FLOW = `agent W { instructions: "Send it." stub: "ok" }
event "paid" { data: { order: string } }
flow F {
  input order: string
  wait first {
    on event "paid" as payment where order == input.order {
      step book: W
    }
    on approval write_off {
      prompt: "Write off?"
    }
    on timeout 3d {
      step expire: W
    }
  }
  step after: W
}`;

describe('graph: wait first', () => {
  it('a choice node (event-based gateway) with one numbered branch edge per arm to the arm node, the bodies, a merge', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const choice = graph.nodes.find((n) => n.kind === 'choice')!;
    assert.deepEqual([choice.id, choice.label, choice.detail], ['F/choice@0', 'wait first', '3 arms']);
    const arms = graph.edges.filter((e) => e.source === choice.id);
    assert.deepEqual(arms.map((e) => [e.kind, e.label, e.branch, e.target]), [
      ['branch', 'event paid', 0, 'F/payment'],
      ['branch', 'approval write_off', 1, 'F/write_off'],
      ['branch', 'after 3d', 2, 'F/on@0.2'],
    ]);
    const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
    assert.deepEqual([node('F/payment').kind, node('F/payment').label, node('F/payment').detail], ['event', 'event paid', 'as payment · order == input.order']);
    assert.deepEqual([node('F/write_off').kind, node('F/on@0.2').kind, node('F/on@0.2').label], ['approval', 'wait', 'after 3d']);
    const merge = 'F/choice@0/merge';
    assert.deepEqual(graph.edges.filter((e) => e.target === merge).map((e) => e.source).sort(), ['F/book', 'F/expire', 'F/write_off']);
    assert.ok(graph.edges.some((e) => e.source === merge && e.target === 'F/after'));
    const mermaid = toMermaid(graph);
    assert.match(mermaid, /\n {2}n1\{\{"wait first<br\/>3 arms"\}\}\n/);
    assert.match(mermaid, /n1 -->\|"approval write_off"\| n\d+/);
    assert.match(toDot(graph), /"F\/choice@0" \[label="wait first\\n3 arms", shape=Mdiamond\]/);
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /<g class="node kind-choice" data-id="F\/choice@0"[^>]*aria-label="first of wait first/);
    assert.match(svg, /<g class="edge edge-branch" data-id="F\/choice@0-&gt;F\/write_off:approval write_off"/);
  });

  it('the run overlay lights the winner arm and its path, and draws the withdrawn arms as cancelled', async () => {
    const def = await build(FLOW);
    const graph = buildFlowGraph(def, 'F');
    const overlay = new RunOverlay(graph);
    const store = SqliteRunStore.open(':memory:');
    try {
      const first = await startRun(def, 'F', { order: 'A1' }, { store, onEvent: (e) => overlay.apply(e) });
      assert.equal(first.status, 'waiting');
      for (const id of ['F/payment', 'F/write_off', 'F/on@0.2']) assert.equal(overlay.nodes.get(id)?.status, 'waiting', id);
      await store.recordDecision(first.runId, 'write_off', { decision: 'approved' });
      const resumed = await resumeRun(first.runId, { store, onEvent: (e) => overlay.apply(e) });
      assert.equal(resumed.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/write_off')?.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/payment')?.status, 'cancelled');
      assert.equal(overlay.nodes.get('F/on@0.2')?.status, 'cancelled');
      const taken = [...overlay.takenEdges(graph)];
      assert.ok(taken.includes('F/choice@0->F/write_off:approval write_off'), taken.join(' '));
      assert.ok(!taken.some((t) => t.includes(':event paid') || t.includes(':after 3d')), taken.join(' '));
      assert.ok(taken.includes('F/choice@0/merge->F/after'), taken.join(' '));
    } finally {
      await store.close();
    }
  });
});
