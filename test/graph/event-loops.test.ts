/** The graph of `foreach … in event`: the loop's detail (its event, correlation, timeout, join) in every rendering, and the run overlay. */
import assert from 'node:assert/strict';
import type { FlowGraph, WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { resumeRun, SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';

const FLOW = `event "line.added" { data: { order_id: string, sku: string, last: boolean } }
agent P { instructions: "Pick the line." stub: "ok" }
flow F {
  input order_id: string
  foreach line in event "line.added" where order_id == input.order_id timeout 1d until line.data.last {
    step pick: P { prompt: "Pick \${line.data.sku}" }
  }
  step ship: P { prompt: "Ship \${len(pick)}" }
}
`;

const DETAIL = 'line in event line.added · where order_id == input.order_id · timeout 1d · until line.data.last';

async function definitionOf(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

async function graphOf(text: string): Promise<FlowGraph> {
  return buildFlowGraph(await definitionOf(text), 'F');
}

describe('graph: foreach … in event', () => {
  it('the loop node says `foreach` with the event, its correlation, timeout and join as detail; the body inside it', async () => {
    const graph = await graphOf(FLOW);
    assert.deepEqual(graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail ?? '', n.parent ?? '']), [
      ['F/start', 'start', 'F', '', ''],
      ['F/foreach@0', 'loop', 'foreach', DETAIL, ''],
      ['F/pick', 'step', 'pick', 'P', 'F/foreach@0'],
      ['F/ship', 'step', 'ship', 'P', ''],
      ['F/end', 'end', 'end', '', ''],
    ]);
  });

  it('Mermaid, DOT and SVG draw the loop with its detail', async () => {
    const graph = await graphOf(FLOW);
    assert.ok(toMermaid(graph).includes(`foreach<br/>${DETAIL}`));
    assert.ok(toDot(graph).includes(`label="foreach\\n${DETAIL}"`));
    assert.ok(renderSvg(await layoutFlowGraph(graph)).includes('line in event line.added'));
  });

  it('the run overlay: the loop waits while its arrivals are open, runs once an instance started, is done when its join was reached', async () => {
    const definition = await definitionOf(FLOW);
    const graph = buildFlowGraph(definition, 'F');
    const store = SqliteRunStore.open(':memory:');
    try {
      const overlay = new RunOverlay(graph);
      const first = await startRun(definition, 'F', { order_id: 'A1' }, { store, onEvent: (e) => overlay.apply(e) });
      assert.equal(overlay.nodes.get('F/foreach@0')?.status, 'waiting');
      await store.recordSignal(first.runId, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      const seen = (await store.getEvents(first.runId)).length;
      await resumeRun(first.runId, { store });
      const events = (await store.getEvents(first.runId)).slice(seen);
      const admitted = events.findIndex((e) => e.type === 'event.received');
      for (const e of events.slice(0, admitted + 1)) overlay.apply(e);
      assert.equal(overlay.nodes.get('F/foreach@0')?.status, 'running', 'an instance started');
      for (const e of events.slice(admitted + 1)) overlay.apply(e);
      assert.equal(overlay.nodes.get('F/foreach@0')?.status, 'waiting', 'the run waits again for the next line');
      assert.equal(overlay.nodes.get('F/pick')?.status, 'succeeded');
      const before = (await store.getEvents(first.runId)).length;
      await store.recordSignal(first.runId, 'line.added', { order_id: 'A1', sku: 'b', last: true });
      assert.equal((await resumeRun(first.runId, { store })).status, 'succeeded');
      for (const e of (await store.getEvents(first.runId)).slice(before)) overlay.apply(e);
      assert.equal(overlay.nodes.get('F/foreach@0')?.status, 'succeeded');
      assert.equal(overlay.nodes.get('F/ship')?.status, 'succeeded');
    } finally {
      await store.close();
    }
  });
});
