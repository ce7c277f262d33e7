/**
 * The run store conformance suite's cases of `wait first { … }` (issue 12, WCP-16 Deferred Choice): the store decides
 * the winner of a choice atomically — the decision or event that resolves one arm removes every wait of its group
 * from `waitingOn` in the same transaction, so a second one is refused (`TASK_NOT_WAITING`, naming the winner) or,
 * for an event, kept as for any event the run does not wait for now. Registered by `runStoreConformance`
 * (conformance.ts) inside its suite, so that the SQLite and PostgreSQL suites both run them.
 */
import assert from 'node:assert/strict';
import type { WaitingOn, WorkflowDefinition } from '../../packages/protocol/src/index.js';
import { RANGE, rejectsWith, type ConformanceContext } from './conformance-support.js';

const GROUP = 'choice@F/choice@0';
/** A run waiting on a `wait first` of three arms (an approval, an event, a timer) beside an approval of its own. */
const CHOICE_WAITS: WaitingOn[] = [
  { kind: 'approval', task: 'write_off', node: 'F/write_off', options: ['approved', 'rejected'], group: GROUP },
  { kind: 'event', key: 'payment', node: 'F/payment', event: 'paid', name: 'payment', group: GROUP },
  { kind: 'timer', key: 'wait@F/on@0.2', node: 'F/on@0.2', until: '2999-01-01T00:00:00.000Z', group: GROUP },
  { kind: 'approval', task: 'sign', node: 'F/sign', options: ['approved', 'rejected'] },
];
/** A definition whose flow waits for `paid` (so an event not awaited now is kept for it). */
const DEFINITION: WorkflowDefinition = {
  version: 1,
  files: [],
  agents: {},
  tests: [],
  flows: {
    F: {
      name: 'F',
      inputs: [],
      outputs: [],
      triggers: [],
      range: RANGE,
      body: [{ kind: 'choice', id: 'F/choice@0', range: RANGE, arms: [{ kind: 'event', id: 'F/payment', event: 'paid', name: 'payment', body: [], range: RANGE }] }],
    },
  },
};

/** Registers the choice cases (call inside the suite's `describe`, with its context). */
export function choiceConformance(context: ConformanceContext): void {
  const { open, newRun } = context;

  describe('wait first (event-based choice)', () => {
    it('a decision on one arm withdraws the group: the other arms leave waitingOn in its transaction, a second decision is refused naming the winner', async () => {
      const [s, other] = [await open(), await open()];
      const id = await newRun(s, { definition: DEFINITION });
      s.append(id, { type: 'approval.requested', task: 'write_off', node: 'F/write_off', options: ['approved', 'rejected'], group: GROUP });
      s.append(id, { type: 'event.waiting', key: 'payment', node: 'F/payment', event: 'paid', name: 'payment', group: GROUP });
      await s.updateRun(id, { status: 'waiting', waitingOn: CHOICE_WAITS });
      const decided = await other.recordDecision(id, 'write_off', { decision: 'approved', by: 'ann' });
      assert.equal(decided.type, 'approval.decided');
      assert.deepEqual((await s.getRun(id)).waitingOn, [CHOICE_WAITS[3]], 'only the approval outside the choice still waits');
      await rejectsWith(other.recordDecision(id, 'write_off', { decision: 'rejected' }), 'TASK_NOT_WAITING', new RegExp(`^run ${id} has no approval "write_off" waiting; waiting: sign$`));
      // the event arm lost: the event is no longer awaited now, and kept for a later wait of the flow
      const kept = await other.recordSignal(id, 'paid', { amount: 1 });
      assert.equal(kept.type, 'event.buffered');
      assert.deepEqual((await s.getEvents(id)).map((e) => e.type), ['approval.requested', 'event.waiting', 'approval.decided', 'event.buffered']);
      // the approval outside the choice is decided as ever
      assert.equal((await other.recordDecision(id, 'sign', { decision: 'approved' })).type, 'approval.decided');
    });

    it('an event that resolves an arm withdraws the group: a decision on another arm afterwards is TASK_NOT_WAITING saying which arm came first', async () => {
      const [s, other] = [await open(), await open()];
      const id = await newRun(s, { definition: DEFINITION });
      s.append(id, { type: 'approval.requested', task: 'write_off', node: 'F/write_off', options: ['approved', 'rejected'], group: GROUP });
      s.append(id, { type: 'event.waiting', key: 'payment', node: 'F/payment', event: 'paid', name: 'payment', group: GROUP });
      await s.updateRun(id, { status: 'waiting', waitingOn: CHOICE_WAITS.slice(0, 3) });
      const received = await other.recordSignal(id, 'paid', { amount: 12 });
      assert.equal(received.type, 'event.received');
      assert.deepEqual((await s.getRun(id)).waitingOn, []);
      await rejectsWith(other.recordDecision(id, 'write_off', { decision: 'approved' }), 'TASK_NOT_WAITING', new RegExp(`^run ${id} has no approval "write_off" waiting: it was withdrawn, event paid came first$`));
      assert.deepEqual((await s.getEvents(id)).map((e) => e.type), ['approval.requested', 'event.waiting', 'event.received']);
    });

    it('of two decisions on two arms of one choice made at once from two handles, exactly one is recorded', async () => {
      const [s, a, b] = [await open(), await open(), await open()];
      const id = await newRun(s, { definition: DEFINITION });
      const waits: WaitingOn[] = [
        { kind: 'approval', task: 'x', node: 'F/x', options: ['approved', 'rejected'], group: GROUP },
        { kind: 'approval', task: 'y', node: 'F/y', options: ['approved', 'rejected'], group: GROUP },
      ];
      await s.updateRun(id, { status: 'waiting', waitingOn: waits });
      const results = await Promise.allSettled([a.recordDecision(id, 'x', { decision: 'approved' }), b.recordDecision(id, 'y', { decision: 'approved' })]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one decision wins');
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(refused.reason.code, 'TASK_NOT_WAITING');
      assert.equal((await s.getEvents(id)).filter((e) => e.type === 'approval.decided').length, 1);
      assert.deepEqual((await s.getRun(id)).waitingOn, []);
    });
  });
}
