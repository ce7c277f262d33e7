/** The graph of a typed event wait: its node's detail (name, correlation, timeout) and the `on timeout` arm, in every rendering. */
import assert from 'node:assert/strict';
import type { FlowGraph } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { resumeRun, SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';

const FLOW = `event "payment.received" { data: { order_id: string, amount: number } }
agent L { instructions: "Book it." stub: "ok" }
flow F {
  input order_id: string
  wait event "payment.received" as payment where order_id == input.order_id timeout 3d on timeout {
    step chase: L { prompt: "Chase" }
  }
  step book: L { prompt: "Book \${payment.data.amount ?? 0}" }
}
`;

async function graphOf(text: string): Promise<FlowGraph> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return buildFlowGraph(services.Baton.ir.WorkflowBuilder.build([document]), 'F');
}

describe('graph: typed event waits', () => {
  it('a named, correlated wait with a timeout arm: detail `as · where · timeout`, the arm (branch 0) and the received edge (branch 1) joined after', async () => {
    const graph = await graphOf(FLOW);
    assert.deepEqual(graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail ?? '']), [
      ['F/start', 'start', 'F', ''],
      ['F/payment', 'event', 'event payment.received', 'as payment · order_id == input.order_id · timeout 3d'],
      ['F/chase', 'step', 'chase', 'L'],
      ['F/payment/merge', 'merge', '', ''],
      ['F/book', 'step', 'book', 'L'],
      ['F/end', 'end', 'end', ''],
    ]);
    assert.deepEqual(graph.edges.map((e) => [e.source, e.target, e.kind, e.label ?? '', e.branch ?? '']), [
      ['F/start', 'F/payment', 'flow', '', ''],
      ['F/payment', 'F/chase', 'branch', 'on timeout', 0],
      ['F/chase', 'F/payment/merge', 'flow', '', ''],
      ['F/payment', 'F/payment/merge', 'branch', 'received', 1],
      ['F/payment/merge', 'F/book', 'flow', '', ''],
      ['F/book', 'F/end', 'flow', '', ''],
    ]);
  });

  it('Mermaid, DOT and SVG draw the wait with its detail and both arms', async () => {
    const graph = await graphOf(FLOW);
    const mermaid = toMermaid(graph);
    assert.match(mermaid, /event payment\.received/);
    assert.match(mermaid, /on timeout/);
    assert.match(mermaid, /received/);
    const dot = toDot(graph);
    assert.match(dot, /as payment · order_id == input\.order_id · timeout 3d/);
    assert.match(dot, /label="on timeout"/);
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /event payment\.received/);
    assert.match(svg, /on timeout/);
  });

  it('the run overlay: the wait is waiting, then done when the event came; after a timeout the on timeout arm is the taken edge', async () => {
    const { document } = await checkText(FLOW);
    const definition = services.Baton.ir.WorkflowBuilder.build([document]);
    const graph = buildFlowGraph(definition, 'F');
    const store = SqliteRunStore.open(':memory:');
    try {
      let clock = Date.parse('2026-06-01T00:00:00Z');
      const now = (): Date => new Date(clock);
      for (const [orderId, deliver] of [['A1', true], ['B2', false]] as const) {
        const overlay = new RunOverlay(graph);
        const first = await startRun(definition, 'F', { order_id: orderId }, { store, now, onEvent: (e) => overlay.apply(e) });
        assert.equal(overlay.nodes.get('F/payment')?.status, 'waiting');
        if (deliver) await store.recordSignal(first.runId, 'payment.received', { order_id: orderId, amount: 3 });
        else clock += 4 * 86_400_000;
        const done = await resumeRun(first.runId, { store, now });
        for (const e of await store.getEvents(first.runId)) if (e.seq > 0) overlay.apply(e);
        assert.equal(done.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/payment')?.status, 'succeeded');
        assert.equal(overlay.nodes.get('F/chase')?.status, deliver ? undefined : 'succeeded');
        assert.deepEqual([...overlay.takenEdges(graph)].some((id) => id.includes('on timeout') || id.includes('F/chase')), !deliver, `${orderId}: the on timeout arm is taken only after a timeout`);
      }
    } finally {
      await store.close();
    }
  });
});
