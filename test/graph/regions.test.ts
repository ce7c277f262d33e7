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

const AGENT = 'agent W { instructions: "Send it." stub: "ok" }\n';
const FLOW = `${AGENT}flow F {
  input stop: boolean
  region fulfil {
    step reserve: W { compensate: W }
    if input.stop {
      cancel fulfil
    }
    step ship: W
  } on cancel {
    step tell: W
  }
  parallel {
    step slow: W
    branch {
      cancel slow
      complete
    }
  }
  step after: W
}`;

describe('graph: regions, cancel and complete', () => {
  it('a region is a container with its on cancel arm beside `ended`; cancel and complete nodes have a dashed cancel edge to their target; a bare complete flows to the end', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const region = graph.nodes.find((n) => n.kind === 'region')!;
    assert.deepEqual([region.id, region.label], ['F/fulfil', 'region fulfil']);
    assert.deepEqual(graph.nodes.filter((n) => n.parent === region.id).map((n) => n.id), ['F/reserve', 'F/reserve/compensate', 'F/if@0.0.1', 'F/cancel@0.0.1.0.0', 'F/if@0.0.1/merge', 'F/ship']);
    const cancel = graph.nodes.find((n) => n.id === 'F/cancel@0.0.1.0.0')!;
    assert.deepEqual([cancel.kind, cancel.label, cancel.detail], ['cancel', 'cancel fulfil', 'region']);
    const complete = graph.nodes.find((n) => n.kind === 'complete')!;
    assert.deepEqual([complete.id, complete.label], ['F/complete@1.1.1', 'complete']);
    const edges = graph.edges.map((e) => `${e.source} -> ${e.target}${e.kind !== 'flow' ? ` (${e.kind}${e.label ? ` ${e.label}` : ''})` : ''}`);
    for (const e of [
      'F/cancel@0.0.1.0.0 -> F/fulfil (cancel cancel)',
      'F/fulfil -> F/tell (branch on cancel)',
      'F/tell -> F/fulfil/merge',
      'F/fulfil -> F/fulfil/merge (branch ended)',
      'F/cancel@1.1.0 -> F/slow (cancel cancel)',
      'F/complete@1.1.1 -> F/end',
    ]) {
      assert.ok(edges.includes(e), `${e} in ${edges.join('\n')}`);
    }
    // the cancel of the region around it ends its path: nothing flows from it to `ship`
    assert.ok(!edges.includes('F/cancel@0.0.1.0.0 -> F/if@0.0.1/merge'));
    // the bare complete ends its branch: the join is reached from `slow` only
    assert.deepEqual(edges.filter((e) => e.endsWith('-> F/parallel@1/join')), ['F/slow -> F/parallel@1/join']);
  });

  it('Mermaid, DOT and SVG draw the region as a container, cancel and complete with their dashed edges', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const mermaid = toMermaid(graph);
    assert.match(mermaid, /subgraph n\d+_box\["region fulfil"\]/);
    assert.match(mermaid, /n\d+\(\("cancel fulfil<br\/>region"\)\):::fail/);
    assert.match(mermaid, /n\d+\(\(\("complete<br\/>the flow"\)\)\)/);
    assert.match(mermaid, /n\d+ -\.->\|"cancel"\| n\d+/);
    const dot = toDot(graph);
    assert.match(dot, /subgraph "cluster_F\/fulfil" \{\n\s+label="region fulfil"; style="rounded,dashed";/);
    assert.match(dot, /"F\/cancel@0\.0\.1\.0\.0" -> "F\/fulfil" \[label="cancel", style=dashed, color=red, constraint=false\];/);
    assert.match(dot, /"F\/complete@1\.1\.1" \[label="complete\\nthe flow", shape=doublecircle\];/);
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /<g class="node kind-region" data-id="F\/fulfil"/);
    assert.match(svg, /<g class="node kind-cancel" data-id="F\/cancel@0\.0\.1\.0\.0"/);
    assert.match(svg, /<g class="node kind-complete" data-id="F\/complete@1\.1\.1"/);
    assert.match(svg, /<g class="edge edge-cancel" data-id="F\/cancel@0\.0\.1\.0\.0-&gt;F\/fulfil:cancel"/);
  });

  it('the run overlay: a cancelled region and what it withdrew show cancelled, its on cancel arm is taken, the cancel ran', async () => {
    const def = await build(FLOW);
    const graph = buildFlowGraph(def, 'F');
    const overlay = new RunOverlay(graph);
    const store = SqliteRunStore.open(':memory:');
    try {
      const s = await startRun(def, 'F', { stop: true }, { store, sleep: async () => undefined });
      assert.equal(s.status, 'succeeded');
      for (const e of await store.getEvents(s.runId)) overlay.apply(e);
      assert.equal(overlay.nodes.get('F/fulfil')?.status, 'cancelled');
      assert.equal(overlay.nodes.get('F/ship')?.status, 'cancelled', 'the step the cancel withdrew');
      assert.equal(overlay.nodes.get('F/reserve')?.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/cancel@0.0.1.0.0')?.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/complete@1.1.1')?.status, 'succeeded');
      assert.ok([...overlay.takenEdges(graph)].includes('F/fulfil->F/tell:on cancel'));
    } finally {
      await store.close();
    }
  });
});
