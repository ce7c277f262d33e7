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

describe('graph overlay: a step\'s tool loop in its details', () => {
  const g = { ...graph, nodes: [...graph.nodes, { id: 'F/answer', kind: 'step', label: 'answer' }] } as FlowGraph;
  const at = { step: 'answer', node: 'F/answer' };
  const refund = { id: 'stub-2-1', tool: 'RefundFlow', arguments: { order: 42, amount: 42, reason: 'lost in transit' } };
  /** A live run of a support agent: a lookup, then a refund under finance's approval (events as `baton run --json` gives them). */
  const live = (overlay: RunOverlay): void => {
    overlay.apply(ev({ type: 'run.started', flow: 'F', inputs: {} }, 1));
    overlay.apply(ev({ type: 'step.started', ...at, agent: 'Support', target: 'agent' }, 2));
    overlay.apply(ev({ type: 'turn.finished', ...at, agent: 'Support', turn: 1, tokens: 120, calls: [{ id: 'stub-1-1', tool: 'LookupOrder', arguments: { prompt: 'order 42' } }], final: false }, 3));
    overlay.apply(ev({ type: 'tool.started', ...at, turn: 1, callId: 'stub-1-1', tool: 'LookupOrder', target: 'agent', arguments: { prompt: 'order 42' } }, 4));
  };

  it('lists each turn and its tool calls (arguments summarised, outcome, duration) as the loop goes, and a call waiting for approval with its arguments', () => {
    const overlay = new RunOverlay(g);
    live(overlay);
    assert.deepEqual(overlay.toolLoop('F/answer'), [
      { kind: 'turn', label: 'turn 1', text: '1 call · 120 tokens' },
      { kind: 'tool', label: 'tool LookupOrder', text: '{"prompt":"order 42"} running…', status: 'running' },
    ]);
    overlay.apply(ev({ type: 'tool.finished', ...at, turn: 1, callId: 'stub-1-1', tool: 'LookupOrder', status: 'succeeded', output: { status: 'lost', paid: 42 }, durationMs: 12, tokens: 0 }, 5));
    overlay.apply(ev({ type: 'turn.finished', ...at, agent: 'Support', turn: 2, tokens: 80, calls: [refund], final: false }, 6));
    overlay.apply(ev({ type: 'approval.requested', task: 'answer/stub-2-1', node: 'F/answer', assignee: 'finance', options: ['approved', 'rejected'], toolCall: { ...refund, step: 'answer' } }, 7));
    assert.equal(overlay.nodes.get('F/answer')?.status, 'waiting');
    assert.deepEqual(overlay.toolLoop('F/answer').slice(1), [
      { kind: 'tool', label: 'tool LookupOrder', text: '{"prompt":"order 42"} → {"status":"lost","paid":42} · 12 ms', status: 'succeeded' },
      { kind: 'turn', label: 'turn 2', text: '1 call · 80 tokens' },
      { kind: 'approval', label: 'tool RefundFlow', text: '{"order":42,"amount":42,"reason":"lost in transit"} waiting for approval (finance)', status: 'waiting' },
    ]);
    // approved: the loop goes on (the step runs again, not "succeeded"); the call runs, then the model answers
    overlay.apply(ev({ type: 'approval.decided', task: 'answer/stub-2-1', node: 'F/answer', decision: 'approved', by: 'bob' }, 8));
    assert.equal(overlay.nodes.get('F/answer')?.status, 'running');
    overlay.apply(ev({ type: 'tool.started', ...at, turn: 2, callId: 'stub-2-1', tool: 'RefundFlow', target: 'flow', arguments: refund.arguments, childRun: 'answer/stub-2-1' }, 9));
    // the flow tool's own steps are RefundFlow's, not this graph's: not drawn, not counted as missing from it
    overlay.apply(ev({ type: 'step.started', step: 'answer/stub-2-1/pay', node: 'RefundFlow/pay', agent: 'Payments', target: 'agent' }, 10));
    overlay.apply(ev({ type: 'step.finished', step: 'answer/stub-2-1/pay', node: 'RefundFlow/pay', agent: 'Payments', status: 'failed', error: { code: 'STUB_ERROR', message: 'card expired' }, durationMs: 3, attempts: 1, tokens: 0, callIndexes: [0] }, 11));
    overlay.apply(ev({ type: 'output.set', node: 'RefundFlow/set@1', scope: 'answer/stub-2-1/', name: 'reference', value: 'x' }, 12));
    assert.deepEqual([...overlay.unknownNodes], []);
    assert.equal(overlay.model.steps.get('answer/stub-2-1/pay')?.status, 'failed', 'the run model has them');
    overlay.apply(ev({ type: 'tool.finished', ...at, turn: 2, callId: 'stub-2-1', tool: 'RefundFlow', status: 'failed', error: { code: 'TOOL_FAILED', message: 'card expired' }, durationMs: 1250, tokens: 0 }, 13));
    overlay.apply(ev({ type: 'turn.finished', ...at, agent: 'Support', turn: 3, tokens: 95, calls: [], final: true }, 14));
    overlay.apply(ev({ type: 'step.finished', ...at, agent: 'Support', status: 'succeeded', output: { reply: 'sorry' }, durationMs: 2000, attempts: 1, tokens: 295, callIndexes: [0, 1, 2] }, 15));
    assert.deepEqual(overlay.toolLoop('F/answer').slice(3), [
      { kind: 'tool', label: 'tool RefundFlow', text: '{"order":42,"amount":42,"reason":"lost in transit"} failed: TOOL_FAILED: card expired · 1.3 s', status: 'failed' },
      { kind: 'step', label: '↳ pay', text: 'Payments · failed: STUB_ERROR: card expired · 3 ms', status: 'failed' },
      { kind: 'turn', label: 'turn 3', text: 'final answer · 95 tokens' },
    ]);
    assert.equal(overlay.nodes.get('F/answer')?.status, 'succeeded');
    assert.deepEqual(overlay.toolLoop('F/a'), [], 'a step without tools has no tool loop');
  });

  it('a rejected tool call is refused (the step runs on); long arguments are cut; the latest lines are kept after a count of earlier ones', () => {
    const overlay = new RunOverlay(g);
    live(overlay);
    overlay.apply(ev({ type: 'approval.requested', task: 'answer/stub-1-2', node: 'F/answer', options: ['approved', 'rejected'], toolCall: { id: 'stub-1-2', tool: 'Pay', arguments: { note: 'x'.repeat(100) }, step: 'answer' } }, 5));
    assert.match(overlay.toolLoop('F/answer').at(-1)!.text, /^\{"note":"x{50}… waiting for approval$/);
    overlay.apply(ev({ type: 'approval.decided', task: 'answer/stub-1-2', node: 'F/answer', decision: 'rejected', by: 'bob' }, 6));
    overlay.apply(ev({ type: 'tool.finished', ...at, turn: 1, callId: 'stub-1-2', tool: 'Pay', status: 'refused', error: { code: 'TOOL_REFUSED', message: 'rejected by bob' }, durationMs: 0, tokens: 0 }, 7));
    assert.equal(overlay.nodes.get('F/answer')?.status, 'running', 'a rejected tool call does not fail the step');
    assert.deepEqual(overlay.toolLoop('F/answer').at(-1), { kind: 'tool', label: 'tool Pay', text: `${JSON.stringify({ note: 'x'.repeat(100) }).slice(0, 59)}… refused: TOOL_REFUSED: rejected by bob · 0 ms`, status: 'refused' });
    for (let i = 0; i < 20; i++) overlay.apply(ev({ type: 'tool.finished', ...at, turn: 2, callId: `c${i}`, tool: 'LookupOrder', status: 'succeeded', output: i, durationMs: 1, tokens: 0 }, 8 + i));
    const lines = overlay.toolLoop('F/answer', 5);
    assert.deepEqual(lines.map((l) => l.text), ['19 earlier', '→ 16 · 1 ms', '→ 17 · 1 ms', '→ 18 · 1 ms', '→ 19 · 1 ms']);
  });

  it('a node that ran several step instances (a foreach) names the instance on each line; another run clears the loop', () => {
    const overlay = new RunOverlay(g);
    overlay.apply(ev({ type: 'run.started', flow: 'F', inputs: {} }, 1));
    for (const [i, step] of ['answer[0]', 'answer[1]'].entries()) {
      overlay.apply(ev({ type: 'step.started', step, node: 'F/answer', agent: 'Support', target: 'agent' }, 2 + i * 2));
      overlay.apply(ev({ type: 'turn.finished', step, node: 'F/answer', agent: 'Support', turn: 1, tokens: 0, calls: [], final: true }, 3 + i * 2));
    }
    assert.deepEqual(overlay.toolLoop('F/answer').map((l) => [l.step, l.label]), [['answer[0]', 'turn 1'], ['answer[1]', 'turn 1']]);
    overlay.apply({ ...ev({ type: 'run.started', flow: 'F', inputs: {} }, 1), runId: 'R2' } as RunEvent);
    assert.deepEqual(overlay.toolLoop('F/answer'), []);
  });
});
