import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { runStateFrom, runTimeline, type NewRunEvent } from '../../packages/protocol/src/index.js';
import { log, started, stepFinished, stepStarted, t } from './run-events.js';

/** The tool loop's events of step `support` (the agent Support with tools). */
const turn = (n: number, calls: [string, string][], final = false): NewRunEvent => ({
  type: 'turn.finished', step: 'support', node: 'Order/support', agent: 'Support', turn: n, final, tokens: 10, callIndex: n - 1,
  calls: calls.map(([id, tool]) => ({ id, tool, arguments: { q: id } })),
});
const toolStarted = (n: number, callId: string, tool: string, target: 'agent' | 'flow' | 'mcp' = 'agent'): NewRunEvent => ({
  type: 'tool.started', step: 'support', node: 'Order/support', turn: n, callId, tool, target, arguments: { q: callId }, ...(target === 'flow' ? { childRun: `support/${callId}` } : {}),
});
const toolFinished = (n: number, callId: string, tool: string, status: 'succeeded' | 'failed' | 'refused', extra: object = {}): NewRunEvent => ({
  type: 'tool.finished', step: 'support', node: 'Order/support', turn: n, callId, tool, status, durationMs: 5, tokens: 0, ...extra,
});

describe('run model: a step’s tool loop (turn.finished, tool.started, tool.finished)', () => {
  it('folds the turns and the calls under their step, a flow tool’s steps as a sub-flow scope, a refusal without a start', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('support', 'Order/support', 'Support'),
      turn(1, [['c1', 'Lookup'], ['c2', 'Refund'], ['c3', 'Nope']]),
      toolStarted(1, 'c1', 'Lookup'),
      toolStarted(1, 'c2', 'Refund', 'flow'),
      toolFinished(1, 'c3', 'Nope', 'refused', { error: { code: 'TOOL_UNKNOWN', message: 'there is no tool "Nope"' } }),
      toolFinished(1, 'c1', 'Lookup', 'succeeded', { output: { order: 42 }, tokens: 7 }),
      { ...stepStarted('support/c2/pay', 'Refund/pay', 'Payments') },
      stepFinished('support/c2/pay'),
      toolFinished(1, 'c2', 'Refund', 'failed', { error: { code: 'FLOW_FAILED', message: 'no' } }),
      turn(2, [], true),
      stepFinished('support', { tokens: 27 }),
    ]));
    const step = s.steps.get('support')!;
    assert.deepEqual(step.turns, [
      { turn: 1, final: false, calls: 3, tokens: 10, at: t(2) },
      { turn: 2, final: true, calls: 0, tokens: 10, at: t(10) },
    ]);
    assert.deepEqual(step.tools?.map((c) => [c.turn, c.callId, c.tool, c.target, c.status, c.error?.code]), [
      [1, 'c1', 'Lookup', 'agent', 'succeeded', undefined],
      [1, 'c2', 'Refund', 'flow', 'failed', 'FLOW_FAILED'],
      [1, 'c3', 'Nope', undefined, 'refused', 'TOOL_UNKNOWN'],
    ]);
    assert.deepEqual(step.tools?.[0], { turn: 1, callId: 'c1', tool: 'Lookup', target: 'agent', status: 'succeeded', arguments: { q: 'c1' }, startedAt: t(3), endedAt: t(6), durationMs: 5, tokens: 7, output: { order: 42 } });
    assert.deepEqual(s.scopes.get('support/c2'), { key: 'support/c2', flow: 'Refund', node: 'Order/support' });
    // the step's tokens are its step.finished's (turns and agent tools together), counted once
    assert.equal(s.totals.tokens, 27);
    // the timeline: a bar per call, keyed `<step> · tool <callId>`, labelled by its tool
    assert.deepEqual(runTimeline(s).filter((b) => b.kind === 'tool').map((b) => [b.key, b.label, b.status, b.endedAt !== undefined]), [
      ['support · tool c1', 'tool Lookup', 'succeeded', true],
      ['support · tool c2', 'tool Refund', 'failed', true],
      ['support · tool c3', 'tool Nope', 'refused', true],
    ]);
  });

  it('a call started again after a resume is running again, then ends once; an approval says which call it is for', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('support', 'Order/support', 'Support'),
      turn(1, [['r1', 'Refund']]),
      { type: 'approval.requested', task: 'support/r1', node: 'Order/support', options: ['approved', 'rejected'], assignee: 'finance', toolCall: { id: 'r1', tool: 'Refund', arguments: { q: 'r1' }, step: 'support' } },
      { type: 'run.waiting', waitingOn: [], outputs: {} },
      { type: 'run.resumed', flow: 'Order' },
      stepStarted('support', 'Order/support', 'Support'),
      { type: 'approval.decided', task: 'support/r1', node: 'Order/support', decision: 'approved', by: 'ann' },
      toolStarted(1, 'r1', 'Refund', 'mcp'),
      { type: 'run.resumed', flow: 'Order' },
      stepStarted('support', 'Order/support', 'Support'),
      toolStarted(1, 'r1', 'Refund', 'mcp'),
      toolFinished(1, 'r1', 'Refund', 'succeeded', { output: 'ok' }),
    ]));
    assert.deepEqual(s.waits.get('support/r1')?.toolCall, { step: 'support', id: 'r1', tool: 'Refund', arguments: { q: 'r1' } });
    assert.deepEqual(s.steps.get('support')?.tools?.map((c) => [c.callId, c.status, c.startedAt]), [['r1', 'succeeded', t(11)]]);
  });
});
