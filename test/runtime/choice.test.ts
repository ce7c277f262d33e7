import assert from 'node:assert/strict';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

/*
 * `wait first { … }` (issue 12, WCP-16 Deferred Choice) as the runtime runs it, on both stores: every arm's wait opens
 * at once (each with the choice's group), the first to come wins — decided once, recorded (`branch.taken`, then
 * `wait.withdrawn` for the others) before the winner's body runs — a second decision is refused, and a resumed run
 * reads the winner back instead of deciding again.
 */

const FLOW = `
agent Ledger { instructions: "Book and write off orders." stub: "ok" }
event "payment.received" { data: { order_id: string, amount: number } }
flow Order {
  input order_id: string
  output outcome: string
  wait first {
    on event "payment.received" as payment where order_id == input.order_id {
      step book: Ledger { prompt: "Book \${payment.data.amount}" }
      set output.outcome = "paid"
    }
    on approval write_off {
      prompt: "Write off \${input.order_id}?"
      step close: Ledger { prompt: "Write off \${input.order_id}: \${write_off.output.decision}" }
      set output.outcome = "written off"
    }
    on timeout 3d {
      set output.outcome = "expired"
    }
  }
  step report: Ledger { prompt: "payment \${payment.status}, write_off \${write_off.status}" }
}
flow Signals {
  output outcome: string
  parallel {
    branch {
      step check: Ledger { prompt: "check" }
      signal stock_ok
    }
    wait first {
      on signal stock_ok { set output.outcome = "in stock" }
      on timeout 2s { set output.outcome = "too slow" }
    }
  }
}
`;

for (const kind of STORE_KINDS) {
  describe(`runtime: wait first (${kind.name})`, function () {
    this.timeout(30_000);
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());
    const agents = () => scriptedAgents((r) => r.prompt);

    it('opens every arm at once with the group, and waits for all of them', async () => {
      const def = await compile(FLOW);
      const { summary, events } = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: agents() });
      assert.equal(summary.status, 'waiting');
      const group = 'choice@Order/choice@0';
      assert.deepEqual(
        summary.waitingOn.map((w) => [w.kind, 'group' in w ? w.group : undefined]),
        [['event', group], ['approval', group], ['timer', group]],
      );
      assert.deepEqual(
        events.filter((e) => e.type === 'event.waiting' || e.type === 'approval.requested' || e.type === 'wait.started').map((e) => [e.type, 'group' in e ? e.group : undefined]),
        [['event.waiting', group], ['approval.requested', group], ['wait.started', group]],
      );
      const waiting = events.find((e) => e.type === 'event.waiting');
      assert.deepEqual(waiting?.type === 'event.waiting' && waiting.where, { path: ['order_id'], value: 'A1' });
    });

    it('the event that comes first wins: branch.taken and wait.withdrawn are recorded before its body, the others never run, a decision afterwards is refused', async () => {
      const def = await compile(FLOW);
      const ledger = agents();
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: ledger });
      const id = first.summary.runId;
      await t.store.recordSignal(id, 'payment.received', { order_id: 'A1', amount: 12 });
      await assert.rejects(t.store.recordDecision(id, 'write_off', { decision: 'approved' }), (e: Error & { code?: string }) => e.code === 'TASK_NOT_WAITING' && /withdrawn, event payment\.received came first/.test(e.message));
      const resumed = await resumeRun(id, { store: t.store, agents: ledger, sleep: async () => undefined, random: () => 0.5 });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { outcome: 'paid' });
      assert.deepEqual(ledger.calls.map((c) => c.prompt), ['Book 12', 'payment received, write_off withdrawn']);
      const log = await t.store.getEvents(id);
      const after = log.slice(log.findIndex((e) => e.type === 'event.received'));
      assert.deepEqual(
        after.filter((e) => e.type !== 'run.resumed' && e.type !== 'step.started').slice(0, 4).map((e) => (e.type === 'wait.withdrawn' ? `${e.type} ${e.kind} ${e.node}` : e.type === 'branch.taken' ? `${e.type} ${e.branch} ${e.label}` : e.type)),
        ['event.received', 'branch.taken 0 wait first → event payment.received', 'wait.withdrawn approval Order/write_off', 'wait.withdrawn timer Order/on@0.2'],
      );
      assert.ok(log.findIndex((e) => e.type === 'wait.withdrawn') < log.findIndex((e) => e.type === 'step.started'), 'the decision is recorded before the winner body starts');
    });

    it('an approval arm wins whatever its decision; its body reads the decision', async () => {
      const def = await compile(FLOW);
      const ledger = agents();
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: ledger });
      await t.store.recordDecision(first.summary.runId, 'write_off', { decision: 'rejected', by: 'ann' });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: ledger, sleep: async () => undefined, random: () => 0.5 });
      assert.deepEqual(resumed.outputs, { outcome: 'written off' });
      assert.deepEqual(ledger.calls.map((c) => c.prompt), ['Write off A1: rejected', 'payment withdrawn, write_off succeeded']);
      // the run has ended: a payment now is refused
      const sent = await t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'A1', amount: 1 }).catch((e: Error & { code?: string }) => e.code);
      assert.equal(sent, 'RUN_FINISHED');
    });

    it('the timer wins when nothing came before it', async () => {
      const def = await compile(FLOW);
      let clock = Date.parse('2026-12-01T00:00:00Z');
      const now = () => new Date(clock);
      const ledger = agents();
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: ledger, now });
      clock += 3 * 86_400_000;
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: ledger, now, sleep: async () => undefined, random: () => 0.5 });
      assert.deepEqual(resumed.outputs, { outcome: 'expired' });
      const log = await t.store.getEvents(first.summary.runId);
      assert.deepEqual(log.filter((e) => e.type === 'timer.fired' || e.type === 'branch.taken' || e.type === 'wait.withdrawn').map((e) => e.type), ['timer.fired', 'branch.taken', 'wait.withdrawn', 'wait.withdrawn']);
    });

    it('an event the store took while a resume was starting beats the timer that resume finds due', async () => {
      const def = await compile(FLOW);
      let clock = Date.parse('2026-12-01T00:00:00Z');
      const now = () => new Date(clock);
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: agents(), now });
      const id = first.summary.runId;
      clock += 4 * 86_400_000;
      // a sender served between the resume's read of the log and its marking the run running (another process)
      const sender = await t.open();
      let sent = false;
      const racing = new Proxy(t.store, {
        get(target, property) {
          if (property === 'updateRun') {
            return async (runId: string, fields: { status?: string }) => {
              if (fields.status === 'running' && !sent) {
                sent = true;
                assert.equal((await sender.recordSignal(runId, 'payment.received', { order_id: 'A1', amount: 5 })).type, 'event.received');
              }
              return target.updateRun(runId, fields as never);
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const ledger = agents();
      const resumed = await resumeRun(id, { store: racing, agents: ledger, now, sleep: async () => undefined, random: () => 0.5 });
      assert.ok(sent);
      assert.deepEqual(resumed.outputs, { outcome: 'paid' }, 'the payment the store accepted wins');
      const log = await t.store.getEvents(id);
      assert.deepEqual(log.filter((e) => e.type === 'timer.fired' || e.type === 'branch.taken').map((e) => e.type), ['branch.taken'], 'no timer fired');
      assert.deepEqual(ledger.calls.map((c) => c.prompt), ['Book 5', 'payment received, write_off withdrawn']);
    });

    it('a run stopped in the winner body resumes with the recorded winner: nothing is decided or called again', async () => {
      const def = await compile(FLOW);
      let clock = Date.parse('2026-12-01T00:00:00Z');
      const now = () => new Date(clock);
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents: agents(), now });
      const id = first.summary.runId;
      await t.store.recordSignal(id, 'payment.received', { order_id: 'A1', amount: 12 });
      // the winner's body is interrupted in its step (Ctrl-C)
      const controller = new AbortController();
      const stopping = scriptedAgents((r) => {
        controller.abort();
        return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      });
      const stopped = await resumeRun(id, { store: t.store, agents: stopping, now, signal: controller.signal, sleep: async () => undefined, random: () => 0.5 });
      assert.equal(stopped.status, 'interrupted');
      // resumed after the timer arm's deadline: the payment still won, as recorded
      clock += 4 * 86_400_000;
      const ledger = agents();
      const resumed = await resumeRun(id, { store: t.store, agents: ledger, now, sleep: async () => undefined, random: () => 0.5 });
      assert.deepEqual(resumed.outputs, { outcome: 'paid' });
      const log = await t.store.getEvents(id);
      assert.deepEqual(log.filter((e) => e.type === 'branch.taken' || e.type === 'timer.fired' || e.type === 'wait.withdrawn').map((e) => e.type), ['branch.taken', 'wait.withdrawn', 'wait.withdrawn'], 'decided once, no timer fired');
      assert.deepEqual(ledger.calls.map((c) => c.prompt), ['Book 12', 'payment received, write_off withdrawn']);
    });

    it('an event kept for the run before the choice opened wins at once', async () => {
      const def = await compile(`${FLOW}
flow Later {
  output outcome: string
  approval first_ok { prompt: "ok?" }
  wait first {
    on event "payment.received" as payment { set output.outcome = "paid \${payment.data.amount}" }
    on timeout 1d { set output.outcome = "expired" }
  }
}`);
      const ledger = agents();
      const first = await run(def, 'Later', {}, { store: t.store, agents: ledger });
      assert.equal(first.summary.status, 'waiting');
      const kept = await t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'B', amount: 7 });
      assert.equal(kept.type, 'event.buffered');
      await t.store.recordDecision(first.summary.runId, 'first_ok', { decision: 'approved' });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: ledger, sleep: async () => undefined, random: () => 0.5 });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { outcome: 'paid 7' });
    });

    it('a signal arm is won by a sibling branch that raises the signal; with nothing to raise it the timer arm wins', async () => {
      const def = await compile(FLOW);
      const raised = await run(def, 'Signals', {}, { store: t.store, agents: agents() });
      assert.equal(raised.summary.status, 'succeeded');
      assert.deepEqual(raised.summary.outputs, { outcome: 'in stock' });
      const slow = await compile(FLOW.replace('step check: Ledger { prompt: "check" }\n      signal stock_ok', 'step check: Ledger { prompt: "check" }\n      if false { signal stock_ok }'));
      const timedOut = await run(slow, 'Signals', {}, { store: t.store, agents: agents(), sleep: async () => undefined });
      assert.equal(timedOut.summary.status, 'succeeded');
      assert.deepEqual(timedOut.summary.outputs, { outcome: 'too slow' });
    });
  });
}
