import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { decideApproval, foldRunEvent, openWaits, runStateFrom, runTimeline, type RunEvent } from '../../packages/protocol/src/index.js';
import { log, RUN, started, stepFinished, stepStarted, t } from './run-events.js';

describe('run model: one fold from events to run state', () => {
  it('a run: its flow, file, inputs, agents, status, times, outputs and totals', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('a'),
      stepFinished('a', { tokens: 1200, costUsd: 0.0042 }),
      stepStarted('b'),
      stepFinished('b', { tokens: 300, costUsd: 0.001 }),
      { type: 'run.succeeded', outputs: { done: true } },
    ]));
    assert.equal(s.runId, RUN);
    assert.equal(s.flow, 'Order');
    assert.equal(s.file, '/w/order.flow');
    assert.deepEqual(s.inputs, { id: 7 });
    assert.equal(s.agentsMode, 'stub');
    assert.equal(s.status, 'succeeded');
    assert.equal(s.startedAt, t(0));
    assert.equal(s.finishedAt, t(5));
    assert.deepEqual(s.outputs, { done: true });
    assert.deepEqual(s.totals, { stepsFinished: 2, tokens: 1500, costUsd: 0.0052, retries: 0 });
    assert.deepEqual([...s.steps.keys()], ['a', 'b']);
    assert.deepEqual(s.steps.get('a'), {
      key: 'a', node: 'Order/a', agent: 'writer', target: 'agent', status: 'succeeded', attempts: [{ attempt: 1, startedAt: t(1), endedAt: t(2) }], attemptCount: 1,
      startedAt: t(1), endedAt: t(2), durationMs: 1000, tokens: 1200, costUsd: 0.0042, output: { ok: 'a' },
    });
  });

  it('retries: one attempt per try, the retry starting after its delay; the timeline has a bar per attempt', () => {
    const s = runStateFrom(log([
      started,
      { ...stepStarted('a'), at: 10 },
      { type: 'step.retrying', step: 'a', node: 'Order/a', agent: 'writer', attempt: 1, delayMs: 2000, error: { code: 'AGENT_FAILED', message: 'boom' }, callIndex: 0, at: 11 },
      { ...stepFinished('a', { attempts: 2, durationMs: 4000 }), at: 14 },
      { type: 'run.succeeded', outputs: {}, at: 15 },
    ]));
    const a = s.steps.get('a')!;
    assert.equal(a.attemptCount, 2);
    assert.deepEqual(a.attempts, [
      { attempt: 1, startedAt: t(10), endedAt: t(11), error: { code: 'AGENT_FAILED', message: 'boom' } },
      { attempt: 2, startedAt: t(13), endedAt: t(14) },
    ]);
    assert.equal(a.error, undefined, 'the step succeeded in the end');
    assert.equal(s.totals.retries, 1);
    assert.deepEqual(runTimeline(s).map((b) => [b.key, b.attempt, b.status, b.startedAt, b.endedAt]), [
      ['a', 1, 'failed', t(10), t(11)],
      ['a', 2, 'succeeded', t(13), t(14)],
    ]);
  });

  it('a failed run keeps its error; a resume (redrive) clears it and runs the failed step again', () => {
    const events = log([
      started,
      stepStarted('a'),
      stepFinished('a', { status: 'failed', error: { code: 'AGENT_FAILED', message: 'no' }, output: undefined }),
      { type: 'run.failed', error: { code: 'AGENT_FAILED', message: 'no' }, step: 'a', outputs: {} },
    ]);
    const failed = runStateFrom(events);
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'AGENT_FAILED', message: 'no' });
    assert.equal(failed.totals.stepsFinished, 1);
    const more = log([started, stepStarted('a'), stepFinished('a'), { type: 'run.failed', error: { code: 'X', message: 'x' }, outputs: {} }, { type: 'run.resumed', flow: 'Order', redrive: true }, stepStarted('a'), stepFinished('a'), { type: 'run.succeeded', outputs: {} }]);
    const s = runStateFrom(more);
    assert.equal(s.status, 'succeeded');
    assert.equal(s.error, undefined);
    assert.equal(s.resumes, 1);
    assert.equal(s.totals.stepsFinished, 1, 'a step run again counts once');
    assert.equal(s.steps.get('a')!.attempts.length, 2);
  });

  it('a withdrawn step (the rest of a partial join) is cancelled; the join says which branches it withdrew', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('fast'),
      stepStarted('slow'),
      stepFinished('fast'),
      { type: 'join.reached', node: 'Order/parallel@0', scope: '', counted: [0], rest: 'cancel', withdrawn: [1], label: 'parallel first 1' },
      stepFinished('slow', { status: 'cancelled', error: { code: 'CANCELLED', message: 'withdrawn' }, output: undefined }),
    ]));
    assert.equal(s.steps.get('slow')!.status, 'cancelled');
    assert.deepEqual(s.joins.map((j) => [j.node, j.withdrawn, j.rest]), [['Order/parallel@0', [1], 'cancel']]);
    assert.equal(s.totals.stepsFinished, 2);
  });

  it('approvals: requested (prompt, assignee, options, deadline) then decided (decision, by, comment); waitingOn follows', () => {
    const s = runStateFrom(log([
      started,
      { type: 'approval.requested', task: 'sign', node: 'Order/sign', prompt: 'ok?', assignee: 'finance', options: ['approved', 'rejected'], deadline: t(3600) },
      { type: 'run.waiting', waitingOn: [{ kind: 'approval', task: 'sign', node: 'Order/sign', options: ['approved', 'rejected'] }], outputs: {} },
    ]));
    assert.equal(s.status, 'waiting');
    assert.deepEqual(openWaits(s).map((w) => [w.key, w.kind, w.assignee, w.deadline]), [['sign', 'approval', 'finance', t(3600)]]);
    foldRunEvent(s, { type: 'run.resumed', flow: 'Order', runId: RUN, seq: 4, time: t(10) });
    foldRunEvent(s, { type: 'approval.decided', task: 'sign', node: 'Order/sign', decision: 'rejected', by: 'ana', comment: 'too dear', runId: RUN, seq: 5, time: t(11) });
    const w = s.waits.get('sign')!;
    assert.deepEqual([w.status, w.decision, w.by, w.comment, w.endedAt], ['done', 'rejected', 'ana', 'too dear', t(11)]);
    assert.deepEqual(openWaits(s), []);
  });

  it("decideApproval: a decision a view made before the continued run's events came takes the approval out of waitingOn", () => {
    const s = runStateFrom(log([started, { type: 'approval.requested', task: 'sign', node: 'Order/sign', options: ['approved', 'rejected'] }, { type: 'run.waiting', waitingOn: [{ kind: 'approval', task: 'sign', node: 'Order/sign', options: ['approved', 'rejected'] }], outputs: {} }]));
    decideApproval(s, 'sign', 'approved', 'me', t(20));
    assert.deepEqual(s.waitingOn, []);
    assert.equal(s.waits.get('sign')!.decision, 'approved');
  });

  it('timers, events, conditions and their timeouts', () => {
    const s = runStateFrom(log([
      started,
      { type: 'wait.started', key: 'wait@Order/w', node: 'Order/w', durationMs: 90_000, until: t(91) },
      { type: 'timer.fired', key: 'wait@Order/w', node: 'Order/w' },
      { type: 'event.waiting', key: 'event@Order/e', node: 'Order/e', event: 'paid', deadline: t(100) },
      { type: 'event.received', key: 'event@Order/e', node: 'Order/e', event: 'paid', data: { amount: 5 } },
      { type: 'condition.waiting', key: 'until@Order/c', node: 'Order/c', condition: 'x > 1', deadline: t(50) },
      { type: 'condition.met', key: 'until@Order/c', node: 'Order/c', condition: 'x > 1', timedOut: true },
    ]));
    assert.deepEqual([...s.waits.values()].map((w) => [w.kind, w.label, w.status, w.deadline]), [
      ['timer', 'wait 90s', 'done', t(91)],
      ['event', 'event paid', 'done', t(100)],
      ['condition', 'wait until x > 1', 'timedOut', t(50)],
    ]);
    assert.deepEqual(s.waits.get('event@Order/e')!.data, { amount: 5 });
  });

  it('wait first: the winning arm is a branch taken, the others withdrawn; arms carry their choice group', () => {
    const group = 'choice@Order/choice@0';
    const s = runStateFrom(log([
      started,
      { type: 'approval.requested', task: 'waive', node: 'Order/choice@0.0', options: ['approved', 'rejected'], group },
      { type: 'event.waiting', key: 'event@Order/choice@0.1', node: 'Order/choice@0.1', event: 'paid', group },
      { type: 'wait.started', key: 'wait@Order/choice@0.2', node: 'Order/choice@0.2', durationMs: 259_200_000, until: t(259_200), group },
      { type: 'event.received', key: 'event@Order/choice@0.1', node: 'Order/choice@0.1', event: 'paid', data: 1 },
      { type: 'branch.taken', node: 'Order/choice@0', scope: '', branch: 1, label: 'wait first → event paid' },
      { type: 'wait.withdrawn', key: 'waive', node: 'Order/choice@0.0', scope: '', kind: 'approval', label: 'approval waive', group },
      { type: 'wait.withdrawn', key: 'wait@Order/choice@0.2', node: 'Order/choice@0.2', scope: '', kind: 'timer', label: 'after 3d', group },
    ]));
    assert.deepEqual([...s.waits.values()].map((w) => [w.key, w.status, w.group]), [
      ['waive', 'withdrawn', group],
      ['event@Order/choice@0.1', 'done', group],
      ['wait@Order/choice@0.2', 'withdrawn', group],
    ]);
    assert.deepEqual(s.branches.map((b) => [b.node, b.branch, b.label]), [['Order/choice@0', 1, 'wait first → event paid']]);
    assert.equal(s.waits.get('wait@Order/choice@0.2')!.label, 'wait 3d');
  });

  it('regions: cancelled and completed regions by their key, what ended them, and a step a cancel named', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('ship'),
      { type: 'step.cancelRequested', step: 'ship', node: 'Order/ship', by: 'Order/cancel@0.1' },
      { type: 'region.cancelled', node: 'Order/region@0', scope: '', region: 'fulfil', by: 'Order/cancel@0.1' },
      { type: 'region.completed', node: 'Order/region@1', scope: '[2]', region: 'review', by: 'Order/complete@1' },
      { type: 'region.completed', node: 'Inc/region@0', scope: 'incident/', region: 'triage', by: 'Inc/complete@0' },
    ]));
    assert.equal(s.steps.get('ship')!.cancelRequestedBy, 'Order/cancel@0.1');
    assert.deepEqual([...s.regions.values()].map((r) => [r.key, r.status, r.by]), [
      ['region fulfil', 'cancelled', 'Order/cancel@0.1'],
      ['region review[2]', 'completed', 'Order/complete@1'],
      ['region incident/triage', 'completed', 'Inc/complete@0'],
    ]);
  });

  it('sub-flow scopes: a flow step is a scope; complete inside it marks it completed', () => {
    const s = runStateFrom(log([
      started,
      { type: 'step.started', step: 'incident', node: 'Order/incident', agent: 'Incident', target: 'flow' },
      stepStarted('incident/page', 'Incident/page'),
      { type: 'flow.completed', node: 'Incident/complete@1', scope: 'incident/', flow: 'Incident' },
    ]));
    assert.deepEqual(s.scopes.get('incident'), { key: 'incident', flow: 'Incident', node: 'Order/incident', completedAt: t(3), completedBy: 'Incident/complete@1' });
  });

  it('foreach … in event: one event-loop wait for its arrivals, a done wait per admitted event, ended by its timeout', () => {
    const loop = 'foreach@Order/foreach@0';
    const s = runStateFrom(log([
      started,
      { type: 'event.buffered', id: 'b1', event: 'line.added', data: { sku: 'a' }, expires: t(600) },
      { type: 'event.waiting', key: `${loop}#0`, node: 'Order/foreach@0', event: 'line.added', stream: true },
      { type: 'event.received', key: `${loop}#0`, node: 'Order/foreach@0', event: 'line.added', data: { sku: 'a' }, buffered: true, bufferId: 'b1' },
      { type: 'event.received', key: `${loop}#1`, node: 'Order/foreach@0', event: 'line.added', data: { sku: 'b' } },
      { type: 'run.waiting', waitingOn: [{ kind: 'event', key: `${loop}#2`, node: 'Order/foreach@0', event: 'line.added', stream: true }], outputs: {} },
    ]));
    const arrivals = s.waits.get(loop)!;
    assert.deepEqual([arrivals.kind, arrivals.status, arrivals.admitted, arrivals.label], ['eventLoop', 'waiting', 2, 'foreach … in event line.added']);
    assert.deepEqual([s.waits.get(`${loop}#1`)!.label, s.waits.get(`${loop}#1`)!.data], ['event line.added → instance 2', { sku: 'b' }]);
    assert.equal(s.buffered.get('b1')!.taken, true);
    foldRunEvent(s, { type: 'event.received', key: `${loop}#2`, node: 'Order/foreach@0', event: 'line.added', data: null, timedOut: true, runId: RUN, seq: 7, time: t(9) });
    assert.equal(arrivals.status, 'timedOut');
    const joined = runStateFrom(log([started, { type: 'event.waiting', key: `${loop}#0`, node: 'Order/foreach@0', event: 'line.added', stream: true }, { type: 'join.reached', node: 'Order/foreach@0', scope: '', counted: [0], rest: 'cancel', withdrawn: [], label: 'first 1' }]));
    assert.equal(joined.waits.get(loop)!.status, 'done', 'its join ends the arrivals');
  });

  it('locks: requested (holder, deadline), held, released or timed out', () => {
    const s = runStateFrom(log([
      started,
      { type: 'lock.requested', key: 'lock@Order/l', node: 'Order/l', name: 'db', holder: '01OTHER', deadline: t(30) },
      { type: 'lock.acquired', key: 'lock@Order/l', node: 'Order/l', name: 'db', from: '01OTHER' },
      { type: 'lock.released', key: 'lock@Order/l', node: 'Order/l', name: 'db' },
      { type: 'lock.requested', key: 'lock@Order/m', node: 'Order/m', name: 'fs' },
      { type: 'lock.released', key: 'lock@Order/m', node: 'Order/m', name: 'fs', timedOut: true },
    ]));
    assert.deepEqual([...s.locks.values()].map((l) => [l.name, l.status, l.holder, l.acquiredAt, l.releasedAt]), [
      ['db', 'released', '01OTHER', t(2), t(3)],
      ['fs', 'timedOut', undefined, undefined, t(5)],
    ]);
    assert.deepEqual([s.waits.get('lock@Order/l')!.status, s.waits.get('lock@Order/m')!.status], ['done', 'timedOut']);
  });

  it('signals: raised by a branch, received by a wait (or its timeout)', () => {
    const s = runStateFrom(log([
      started,
      { type: 'signal.raised', node: 'Order/signal@0', scope: '', name: 'stock_ok' },
      { type: 'signal.received', key: 'signal@Order/w', node: 'Order/w', name: 'stock_ok' },
      { type: 'signal.received', key: 'signal@Order/v', node: 'Order/v', name: 'late', timedOut: true },
    ]));
    assert.deepEqual(s.signals.map((x) => x.name), ['stock_ok']);
    assert.deepEqual([...s.waits.values()].map((w) => [w.kind, w.label, w.status]), [['signal', 'wait signal stock_ok', 'done'], ['signal', 'wait signal late', 'timedOut']]);
  });

  it('run.migrated: recorded, and what was folded before is renamed to the new definition\'s node ids', () => {
    const s = runStateFrom(log([
      started,
      stepStarted('a', 'Order/a'),
      stepFinished('a'),
      { type: 'approval.requested', task: 'sign', node: 'Order/if@1.0', options: ['approved', 'rejected'] },
      { type: 'run.migrated', from: 'a'.repeat(64), to: 'b'.repeat(64), flow: 'Order', renamed: { 'Order/if@1.0': 'Order/if@2.0' }, by: 'ops', file: '/w/order-v2.flow' },
    ]));
    assert.deepEqual(s.migrations.map((m) => [m.from.slice(0, 1), m.to.slice(0, 1), m.by]), [['a', 'b', 'ops']]);
    assert.equal(s.waits.get('sign')!.node, 'Order/if@2.0');
    assert.equal(s.file, '/w/order-v2.flow');
  });

  it('compensations, circuits and cancellation', () => {
    const s = runStateFrom(log([
      started,
      { type: 'circuit.changed', agent: 'writer', state: 'open', failures: 5, until: t(60) },
      { type: 'compensation.started', step: 'a', node: 'Order/a', agent: 'undoer' },
      { type: 'compensation.finished', step: 'a', node: 'Order/a', agent: 'undoer', status: 'failed', error: { code: 'E', message: 'e' }, durationMs: 30, callIndexes: [] },
      { type: 'cancel.requested', by: 'ops' },
      { type: 'run.cancelled', outputs: {} },
    ]));
    assert.deepEqual(s.circuits.get('writer'), { agent: 'writer', state: 'open', failures: 5, until: t(60) });
    assert.deepEqual([s.compensations.get('a')!.status, s.compensations.get('a')!.durationMs], ['failed', 30]);
    assert.equal(s.status, 'cancelled');
    assert.equal(s.finishedAt, t(5));
  });

  it('events at or below the last seq are ignored (a stored log folded over a live state)', () => {
    const events = log([started, stepStarted('a'), stepFinished('a', { tokens: 10 })]);
    const s = runStateFrom(events);
    for (const e of events) foldRunEvent(s, e);
    assert.equal(s.totals.tokens, 10);
    assert.equal(s.events, 3);
  });

  it('an event type this version does not know, or an event missing its fields, is ignored', () => {
    const s = runStateFrom(log([started]));
    foldRunEvent(s, { type: 'step.teleported', runId: RUN, seq: 2, time: t(1), step: 'a' } as unknown as RunEvent);
    foldRunEvent(s, { type: 'step.finished', runId: RUN, seq: 3, time: t(2) } as unknown as RunEvent);
    foldRunEvent(s, null as unknown as RunEvent);
    assert.equal(s.status, 'running');
    assert.equal(s.lastSeq, 3);
  });
});
