import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { describe as describeEvent } from '../../packages/extension/src/run-output-lines.js';
import { applyEvent, approvalChoice, markInterrupted, runFromStart, runFromStore, stepCounts, waitingApprovals, type StoredRun } from '../../packages/extension/src/run-state.js';

const base = { runId: 'R1' };
let seq = 0;
const at = (ms: number): string => new Date(Date.UTC(2026, 0, 1, 9, 0, 0, ms)).toISOString();
const ev = (e: Record<string, unknown>, ms = 0): RunEvent => ({ ...base, seq: ++seq, time: at(ms), ...e }) as unknown as RunEvent;

describe('run state (events → Runs view state)', () => {
  beforeEach(() => (seq = 0));

  it('folds a retried, failed step into one entry with its attempts, duration and error', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Checkout', inputs: { id: 1 }, file: '/w/failing.flow' }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'step.started', step: 'charge', node: 'Checkout/charge', agent: 'Charge', target: 'agent' }, 5));
    applyEvent(run, ev({ type: 'step.retrying', step: 'charge', node: 'Checkout/charge', agent: 'Charge', attempt: 1, delayMs: 0, error: { code: 'STUB_ERROR', message: 'card declined' }, callIndex: 0 }, 10));
    assert.deepEqual([run.entries![0].status, run.entries![0].attempts], ['retrying', 2]);
    applyEvent(run, ev({ type: 'step.started', step: 'charge', node: 'Checkout/charge', agent: 'Charge', target: 'agent' }, 11));
    applyEvent(run, ev({ type: 'step.finished', step: 'charge', node: 'Checkout/charge', agent: 'Charge', status: 'failed', error: { code: 'STUB_ERROR', message: 'card declined' }, durationMs: 11, attempts: 2, tokens: 0, callIndexes: [0, 1] }, 16));
    applyEvent(run, ev({ type: 'run.failed', error: { code: 'STUB_ERROR', message: 'step charge failed: card declined' }, step: 'charge', outputs: {} }, 17));
    assert.deepEqual(run.entries, [
      { key: 'charge', kind: 'step', node: 'Checkout/charge', agent: 'Charge', status: 'failed', attempts: 2, startedAt: at(5), durationMs: 11, error: { code: 'STUB_ERROR', message: 'card declined' } },
    ]);
    assert.deepEqual([run.status, run.finishedAt, run.error?.code, run.file, run.lastSeq], ['failed', at(17), 'STUB_ERROR', '/w/failing.flow', 6]);
  });

  it('shows a wait until as waiting, then done when its condition was met — or with the timeout when its on timeout ran', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Order', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'condition.waiting', key: 'wait@Order/wait@1.1', node: 'Order/wait@1.1', condition: 'stage == "packed"' }, 10));
    applyEvent(run, ev({ type: 'condition.waiting', key: 'wait@Order/wait@1.2', node: 'Order/wait@1.2', condition: 'stage == "shipped"', deadline: at(500) }, 10));
    assert.deepEqual(run.entries!.map((e) => [e.kind, e.label, e.status]), [['condition', 'wait until stage == "packed"', 'waiting'], ['condition', 'wait until stage == "shipped"', 'waiting']]);
    applyEvent(run, ev({ type: 'condition.met', key: 'wait@Order/wait@1.1', node: 'Order/wait@1.1', condition: 'stage == "packed"' }, 40));
    applyEvent(run, ev({ type: 'condition.met', key: 'wait@Order/wait@1.2', node: 'Order/wait@1.2', condition: 'stage == "shipped"', timedOut: true }, 500));
    assert.deepEqual(run.entries!.map((e) => [e.status, e.durationMs, e.error?.code]), [['succeeded', 30, undefined], ['succeeded', 490, 'CONDITION_TIMEOUT']]);
  });

  it('shows a lock block as waiting its turn, running while held, done when given up — with the timeout when it did not come', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Stock', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'lock.requested', key: 'lock@S/lock@0', node: 'S/lock@0', name: 'stock:A1', holder: 'R1' }, 10));
    applyEvent(run, ev({ type: 'lock.requested', key: 'lock@S/lock@1', node: 'S/lock@1', name: 'stock:B2' }, 10));
    assert.deepEqual(run.entries!.map((e) => [e.kind, e.label, e.status]), [['lock', 'lock "stock:A1"', 'waiting'], ['lock', 'lock "stock:B2"', 'waiting']]);
    applyEvent(run, ev({ type: 'lock.acquired', key: 'lock@S/lock@0', node: 'S/lock@0', name: 'stock:A1', from: 'R1' }, 20));
    assert.equal(run.entries![0].status, 'running');
    applyEvent(run, ev({ type: 'lock.released', key: 'lock@S/lock@0', node: 'S/lock@0', name: 'stock:A1' }, 50));
    applyEvent(run, ev({ type: 'lock.released', key: 'lock@S/lock@1', node: 'S/lock@1', name: 'stock:B2', timedOut: true }, 60));
    assert.deepEqual(run.entries!.map((e) => [e.status, e.durationMs, e.error?.code]), [['succeeded', 40, undefined], ['succeeded', 50, 'LOCK_TIMEOUT']]);
  });

  it('shows a wait signal that passed, with the timeout when its on timeout ran', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'O', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'signal.received', key: 'signal@O/wait@1', node: 'O/wait@1', name: 'paid', timedOut: true }, 30));
    assert.deepEqual(run.entries!.map((e) => [e.kind, e.label, e.status, e.error?.code]), [['signal', 'wait signal paid', 'succeeded', 'SIGNAL_TIMEOUT']]);
  });

  it('shows a region ended early by cancel (cancelled, by which statement) or by complete (done); the output channel says so too', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'O', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    const cancelled = ev({ type: 'region.cancelled', node: 'O/fulfil', scope: '', region: 'fulfil', by: 'O/cancel@0.0.2' }, 10);
    applyEvent(run, cancelled);
    applyEvent(run, ev({ type: 'region.completed', node: 'O/review', scope: '[1]', region: 'review', by: 'O/complete@1.0.1' }, 20));
    assert.deepEqual(run.entries!.map((e) => [e.kind, e.key, e.label, e.status, e.error?.message]), [
      ['region', 'region fulfil', undefined, 'cancelled', 'cancelled by cancel@0.0.2'],
      ['region', 'region review[1]', 'region review[1] (completed by complete@1.0.1)', 'succeeded', undefined],
    ]);
    assert.equal(describeEvent(cancelled), '  ⊗ region fulfil cancelled by cancel@0.0.2');
  });

  it('a stored run names the statements that ended its regions as the CLI does, from `baton runs show --json`\'s statements', () => {
    const events = [
      ev({ type: 'run.started', flow: 'O', inputs: {} }, 1),
      ev({ type: 'region.cancelled', node: 'O/fulfil', scope: '', region: 'fulfil', by: 'O/cancel@0.0.2' }, 10),
      ev({ type: 'region.completed', node: 'O/review', scope: '[1]', region: 'review', by: 'O/complete@1.0.1' }, 20),
    ];
    const record: StoredRun = { id: 'R1', flow: 'O', file: '/w/o.flow', status: 'running', startedAt: at(0), finishedAt: null, inputs: {}, outputs: {}, error: null, waitingOn: [], cancelRequested: false };
    const run = runFromStore(record, events, { 'O/cancel@0.0.2': 'cancel fulfil (line 14)', 'O/complete@1.0.1': 'complete review (line 9)' });
    assert.deepEqual(run.entries!.map((e) => [e.key, e.label, e.error?.message]), [
      ['region fulfil', undefined, 'cancelled by cancel fulfil (line 14)'],
      ['region review[1]', 'region review[1] (completed by complete review (line 9))', undefined],
    ]);
    // a statement the map does not name (an older CLI's output) keeps its node id's tail
    const other = runFromStore(record, events, {});
    assert.equal(other.entries![0].error?.message, 'cancelled by cancel@0.0.2');
  });

  it('shows the arms of a wait first as waiting, the winner done and the others cancelled (withdrawn)', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'O', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    const group = 'choice@O/choice@0';
    applyEvent(run, ev({ type: 'event.waiting', key: 'payment', node: 'O/payment', event: 'paid', name: 'payment', group }, 10));
    applyEvent(run, ev({ type: 'approval.requested', task: 'write_off', node: 'O/write_off', options: ['approved', 'rejected'], group }, 10));
    applyEvent(run, ev({ type: 'wait.started', key: 'wait@O/on@0.2', node: 'O/on@0.2', durationMs: 259_200_000, until: at(259_200_010), group }, 10));
    assert.deepEqual(run.entries!.map((e) => e.status), ['waiting', 'waiting', 'waiting']);
    applyEvent(run, ev({ type: 'event.received', event: 'paid', data: { amount: 1 }, key: 'payment', node: 'O/payment' }, 40));
    applyEvent(run, ev({ type: 'branch.taken', node: 'O/choice@0', scope: '', branch: 0, label: 'wait first → event paid' }, 40));
    applyEvent(run, ev({ type: 'wait.withdrawn', key: 'write_off', node: 'O/write_off', scope: '', kind: 'approval', label: 'approval write_off', group }, 40));
    applyEvent(run, ev({ type: 'wait.withdrawn', key: 'wait@O/on@0.2', node: 'O/on@0.2', scope: '', kind: 'timer', label: 'after 3d', group }, 40));
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status, e.error?.code]), [['payment', 'succeeded', undefined], ['write_off', 'cancelled', 'WITHDRAWN'], ['wait@O/on@0.2', 'cancelled', 'WITHDRAWN']]);
  });

  it('shows a foreach … in event as one entry for its arrivals — waiting, done at its timeout, terminating event or join — and one done entry per event it admitted', () => {
    const loop = 'foreach@Order/foreach@0';
    for (const end of ['timeout', 'join', 'until event'] as const) {
      seq = 0;
      const run = runFromStart(ev({ type: 'run.started', flow: 'Order', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
      applyEvent(run, ev({ type: 'event.waiting', key: `${loop}#0`, node: 'Order/foreach@0', event: 'line.added', stream: true }, 10));
      applyEvent(run, ev({ type: 'event.received', key: `${loop}#0`, node: 'Order/foreach@0', event: 'line.added', data: { sku: 'a' }, buffered: true, bufferId: 'b1' }, 20));
      applyEvent(run, ev({ type: 'event.received', key: `${loop}#1`, node: 'Order/foreach@0', event: 'line.added', data: { sku: 'b' }, buffered: true, bufferId: 'b2' }, 30));
      assert.deepEqual(run.entries!.map((e) => [e.key, e.label, e.status, e.output ?? null]), [
        [loop, 'foreach … in event line.added', 'waiting', null],
        [`${loop}#0`, 'event line.added → instance 1', 'succeeded', { sku: 'a' }],
        [`${loop}#1`, 'event line.added → instance 2', 'succeeded', { sku: 'b' }],
      ]);
      if (end === 'timeout') applyEvent(run, ev({ type: 'event.received', key: `${loop}#2`, node: 'Order/foreach@0', event: 'line.added', data: null, timedOut: true }, 40));
      else if (end === 'until event') applyEvent(run, ev({ type: 'event.received', key: `${loop}#end`, node: 'Order/foreach@0', event: 'order.closed', data: { id: 'A1' } }, 40));
      else applyEvent(run, ev({ type: 'join.reached', node: 'Order/foreach@0', scope: '', counted: [1], rest: 'cancel', withdrawn: [0], label: 'until line.data.last' }, 40));
      assert.deepEqual([run.entries![0].status, run.entries![0].durationMs, run.entries!.length], ['succeeded', 30, 3], end);
    }
  });

  it('shows a step’s tool calls as `tool <name>` entries after the step (refused ones cancelled with their error); the output channel prints them', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Order', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    const tool = { step: 'support', node: 'Order/support', turn: 1 };
    applyEvent(run, ev({ type: 'step.started', step: 'support', node: 'Order/support', agent: 'Support', target: 'agent' }, 1));
    applyEvent(run, ev({ type: 'turn.finished', ...tool, agent: 'Support', calls: [], final: false, tokens: 0 }, 2));
    applyEvent(run, ev({ type: 'tool.started', ...tool, callId: 'c1', tool: 'Lookup', target: 'agent', arguments: { prompt: 'p' } }, 3));
    const refused = ev({ type: 'tool.finished', ...tool, callId: 'c2', tool: 'Nope', status: 'refused', error: { code: 'TOOL_UNKNOWN', message: 'there is no tool "Nope"' }, durationMs: 0, tokens: 0 }, 3);
    applyEvent(run, refused);
    assert.equal(run.entries![1].status, 'running');
    const done = ev({ type: 'tool.finished', ...tool, callId: 'c1', tool: 'Lookup', status: 'succeeded', output: { order: 42 }, durationMs: 7, tokens: 0 }, 10);
    applyEvent(run, done);
    assert.deepEqual(run.entries!.map((e) => [e.key, e.kind, e.label, e.agent, e.status, e.error?.code, e.output]), [
      ['support', 'step', undefined, 'Support', 'running', undefined, undefined],
      ['support · tool c1', 'tool', 'tool Lookup', 'support · turn 1', 'succeeded', undefined, { order: 42 }],
      ['support · tool c2', 'tool', 'tool Nope', 'support · turn 1', 'cancelled', 'TOOL_UNKNOWN', undefined],
    ]);
    assert.equal(describeEvent(done), '    ⚙ tool Lookup (support · turn 1) 7 ms');
    assert.equal(describeEvent(refused), '    ⊘ tool Nope (support · turn 1) 0 ms — TOOL_UNKNOWN: there is no tool "Nope"');
  });

  it('ignores events it has already applied (a stored log applied over a live state)', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'F', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    const started = ev({ type: 'step.started', step: 'a', node: 'F/a', agent: 'A', target: 'agent' });
    applyEvent(run, started);
    applyEvent(run, started);
    assert.equal(run.entries!.length, 1);
  });

  it('shows a waiting approval, then its decision once the continued run streams', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Offer', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'approval.requested', task: 'sign_off', node: 'Offer/sign_off', prompt: 'Send?', assignee: 'sales@example.com', options: ['approved', 'rejected'] }, 1000));
    applyEvent(run, ev({ type: 'run.waiting', waitingOn: [{ kind: 'approval', task: 'sign_off', node: 'Offer/sign_off', options: ['approved', 'rejected'] }], outputs: {} }, 1001));
    assert.equal(run.status, 'waiting');
    assert.deepEqual(waitingApprovals(run).map((e) => [e.key, e.prompt, e.assignee]), [['sign_off', 'Send?', 'sales@example.com']]);
    applyEvent(run, ev({ type: 'approval.decided', task: 'sign_off', node: 'Offer/sign_off', decision: 'rejected', by: 'ann' }, 3000));
    applyEvent(run, ev({ type: 'run.resumed', flow: 'Offer' }, 3001));
    applyEvent(run, ev({ type: 'run.succeeded', outputs: { sent: false } }, 3002));
    const [approval] = run.entries!;
    assert.deepEqual([approval.status, approval.decision, approval.by, approval.durationMs], ['rejected', 'rejected', 'ann', 2000]);
    assert.deepEqual([run.status, run.waitingOn, run.outputs], ['succeeded', [], { sent: false }]);
    assert.deepEqual(waitingApprovals(run), []);
  });

  it('a click on a stale approval notification says it was decided already (by whom) instead of deciding again', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Offer', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'approval.requested', task: 'sign_off', node: 'Offer/sign_off', options: ['approved', 'rejected'] }, 1000));
    applyEvent(run, ev({ type: 'run.waiting', waitingOn: [{ kind: 'approval', task: 'sign_off', node: 'Offer/sign_off', options: ['approved', 'rejected'] }], outputs: {} }, 1001));
    assert.deepEqual(approvalChoice(run, 'R1', 'sign_off'), { decide: true });
    // decided in the Runs view (or by `baton approve`, read from the store)
    applyEvent(run, ev({ type: 'approval.decided', task: 'sign_off', node: 'Offer/sign_off', decision: 'approved', by: 'ann' }, 2000));
    assert.deepEqual(approvalChoice(run, 'R1', 'sign_off'), { message: 'Baton: approval "sign_off" of Offer was already approved by ann.' });
    assert.deepEqual(approvalChoice(run, 'R1', 'other'), { message: 'Baton: approval "other" of Offer is not waiting any more (the run is waiting).' });
    assert.deepEqual(approvalChoice(undefined, 'R9', 'sign_off'), { message: 'Baton: run R9 is not in the Runs view any more; approval "sign_off" was not decided here.' });
  });

  it('marks a run stopped by SIGINT interrupted, and the step it was in', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'Slow', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'step.started', step: 'a', node: 'Slow/a', agent: 'A', target: 'agent' }));
    applyEvent(run, ev({ type: 'step.finished', step: 'a', node: 'Slow/a', agent: 'A', status: 'succeeded', output: 1, durationMs: 2, attempts: 1, tokens: 0, callIndexes: [0] }));
    applyEvent(run, ev({ type: 'step.started', step: 'b', node: 'Slow/b', agent: 'A', target: 'agent' }));
    markInterrupted(run);
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status]), [['a', 'succeeded'], ['b', 'interrupted']]);
    assert.equal(run.status, 'interrupted');
    assert.deepEqual(stepCounts(run), { finished: 1, total: 2 });
  });

  it('shows timers, events and compensations as entries of their own', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'S', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'wait.started', key: 'wait@1', node: 'S/wait@1', durationMs: 500, until: at(500) }, 0));
    applyEvent(run, ev({ type: 'timer.fired', key: 'wait@1', node: 'S/wait@1' }, 500));
    applyEvent(run, ev({ type: 'event.waiting', key: 'wait@2', node: 'S/wait@2', event: 'paid' }, 600));
    applyEvent(run, ev({ type: 'event.received', event: 'paid', data: { amount: 3 }, key: 'wait@2' }, 900));
    applyEvent(run, ev({ type: 'compensation.started', step: 'book', node: 'S/book', agent: 'Undo' }, 950));
    applyEvent(run, ev({ type: 'compensation.finished', step: 'book', node: 'S/book', agent: 'Undo', status: 'succeeded', durationMs: 4, callIndexes: [0] }, 954));
    assert.deepEqual(
      run.entries!.map((e) => [e.key, e.label, e.kind, e.status, e.durationMs, e.output]),
      [
        ['wait@1', 'wait 500ms', 'timer', 'succeeded', 500, undefined],
        ['wait@2', 'event paid', 'event', 'succeeded', 300, { amount: 3 }],
        ['undo book', undefined, 'compensation', 'succeeded', 4, undefined],
      ],
    );
  });

  it('builds a stored run from its record and log; the record\'s status wins (interrupted)', () => {
    const record: StoredRun = { id: 'R1', flow: 'Slow', file: '/w/slow.flow', status: 'interrupted', startedAt: at(0), finishedAt: null, inputs: {}, outputs: {}, error: null, waitingOn: [], cancelRequested: false };
    const events = [ev({ type: 'run.started', flow: 'Slow', inputs: {} }), ev({ type: 'step.started', step: 'a', node: 'Slow/a', agent: 'A', target: 'agent' })];
    const run = runFromStore(record, events);
    assert.deepEqual([run.status, run.file, run.finishedAt, run.entries!.map((e) => e.status)], ['interrupted', '/w/slow.flow', undefined, ['interrupted']]);
  });

  it('names a timer by its length as the language writes it, as the graph does (90s, not 1.5m)', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'O', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'wait.started', key: 'wait@O/wait@0', node: 'O/wait@0', durationMs: 90_000, until: at(90_000) }, 0));
    applyEvent(run, ev({ type: 'wait.started', key: 'wait@O/wait@1', node: 'O/wait@1', durationMs: 259_200_000, until: at(90_000) }, 0));
    assert.deepEqual(run.entries!.map((e) => e.label), ['wait 90s', 'wait 3d']);
  });

  it('a redriven step is one entry, run again (not a second entry with the same key, which the tree view cannot show)', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'F', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'step.started', step: 'a', node: 'F/a', agent: 'A', target: 'agent' }, 1));
    applyEvent(run, ev({ type: 'step.finished', step: 'a', node: 'F/a', agent: 'A', status: 'failed', error: { code: 'E', message: 'no' }, durationMs: 1, attempts: 1, tokens: 0, callIndexes: [0] }, 2));
    applyEvent(run, ev({ type: 'run.failed', error: { code: 'E', message: 'no' }, step: 'a', outputs: {} }, 3));
    applyEvent(run, ev({ type: 'run.resumed', flow: 'F', redrive: true }, 10));
    applyEvent(run, ev({ type: 'step.started', step: 'a', node: 'F/a', agent: 'A', target: 'agent' }, 11));
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status, e.error]), [['a', 'running', undefined]]);
    applyEvent(run, ev({ type: 'step.finished', step: 'a', node: 'F/a', agent: 'A', status: 'succeeded', output: 1, durationMs: 5, attempts: 1, tokens: 0, callIndexes: [1] }, 16));
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status, e.durationMs]), [['a', 'succeeded', 5]]);
  });

  it('after run.migrated, a wait started on the old definition ends by its new key (one entry, the new node id)', () => {
    const run = runFromStart(ev({ type: 'run.started', flow: 'O', inputs: {} }) as Extract<RunEvent, { type: 'run.started' }>);
    applyEvent(run, ev({ type: 'wait.started', key: 'wait@O/if@1.0', node: 'O/if@1.0', durationMs: 1000, until: at(1000) }, 0));
    applyEvent(run, ev({ type: 'run.migrated', from: 'a'.repeat(64), to: 'b'.repeat(64), flow: 'O', renamed: { 'O/if@1.0': 'O/if@2.0' } }, 500));
    applyEvent(run, ev({ type: 'timer.fired', key: 'wait@O/if@2.0', node: 'O/if@2.0' }, 1000));
    assert.deepEqual(run.entries!.map((e) => [e.key, e.node, e.status, e.durationMs]), [['wait@O/if@2.0', 'O/if@2.0', 'succeeded', 1000]]);
  });
});
