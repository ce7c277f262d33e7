import assert from 'node:assert/strict';
import type { FlowGraph, RunEvent } from '@baton/protocol';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';

const graph: FlowGraph = {
  flow: 'F',
  nodes: [{ id: 'F/start', kind: 'start', label: 'start' }, { id: 'F/a', kind: 'step', label: 'a' }, { id: 'F/end', kind: 'end', label: 'end' }],
  edges: [{ id: 'e1', source: 'F/start', target: 'F/a' }, { id: 'e2', source: 'F/a', target: 'F/end' }],
} as unknown as FlowGraph;
const ev = (e: Record<string, unknown>, seq: number): RunEvent => ({ runId: 'R1', seq, time: new Date(Date.UTC(2026, 11, 4, 12, 0, seq)).toISOString(), ...e }) as unknown as RunEvent;

describe('graph overlay on the run model', () => {
  it('keeps the run as the protocol fold has it; the outcome is its status, and another run clears it', () => {
    const overlay = new RunOverlay(graph);
    overlay.apply(ev({ type: 'run.started', flow: 'F', inputs: {} }, 1));
    overlay.apply(ev({ type: 'step.started', step: 'a', node: 'F/a', agent: 'A', target: 'agent' }, 2));
    overlay.apply(ev({ type: 'step.retrying', step: 'a', node: 'F/a', agent: 'A', attempt: 1, delayMs: 0, error: { code: 'E', message: 'once' }, callIndex: 0 }, 3));
    overlay.apply(ev({ type: 'step.finished', step: 'a', node: 'F/a', agent: 'A', status: 'succeeded', output: 1, durationMs: 1500, attempts: 2, tokens: 40, callIndexes: [0, 1] }, 4));
    assert.equal(overlay.outcome, undefined);
    overlay.apply(ev({ type: 'run.succeeded', outputs: {} }, 5));
    assert.equal(overlay.outcome, 'succeeded');
    assert.deepEqual(overlay.nodes.get('F/a'), { status: 'succeeded', durationMs: 1500, retries: 1 });
    assert.deepEqual([overlay.model.steps.get('a')?.attempts.length, overlay.model.totals.tokens], [2, 40]);
    overlay.apply({ ...ev({ type: 'run.started', flow: 'F', inputs: {} }, 1), runId: 'R2' } as RunEvent);
    assert.deepEqual([overlay.runId, overlay.outcome, overlay.model.steps.size], ['R2', undefined, 0]);
  });

  it('an SLA breach marks its node sla-breached (an approval; the start node for the run\'s own SLA) without changing its status; another run clears it', () => {
    const g = { ...graph, nodes: [...graph.nodes, { id: 'F/ok', kind: 'approval', label: 'ok' }] } as FlowGraph;
    const overlay = new RunOverlay(g);
    overlay.apply(ev({ type: 'run.started', flow: 'F', inputs: {} }, 1));
    overlay.apply(ev({ type: 'approval.requested', task: 'ok', node: 'F/ok', options: ['approved', 'rejected'], slaDeadline: '2026-12-04T12:00:02.000Z' }, 2));
    overlay.apply(ev({ type: 'sla.breached', key: 'approval:ok', node: 'F/ok', slaMs: 1000, deadline: '2026-12-04T12:00:02.000Z', scope: '' }, 3));
    overlay.apply(ev({ type: 'sla.breached', key: 'flow', node: 'F', slaMs: 2000, deadline: '2026-12-04T12:00:03.000Z', scope: '' }, 4));
    assert.deepEqual([...overlay.slaBreached], ['F/ok', 'F/start']);
    assert.equal(overlay.nodes.get('F/ok')?.status, 'waiting', 'the approval still waits');
    assert.deepEqual([...overlay.model.slaBreaches.keys()], ['approval:ok', 'flow']);
    overlay.apply({ ...ev({ type: 'run.started', flow: 'F', inputs: {} }, 1), runId: 'R2' } as RunEvent);
    assert.equal(overlay.slaBreached.size, 0);
  });
});
