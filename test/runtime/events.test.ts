import assert from 'node:assert/strict';
import { type BatonError, resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const ORDER = `
event "payment.received" {
  data: { order_id: string, amount: number }
  buffer: 7d max 2
}
event "door.open" {
  data: { door: string }
  buffer: none
}
agent Ledger { instructions: "Book it." stub: "booked" }
flow Order {
  input order_id: string
  output amount: number
  output how: string
  approval invoice { prompt: "Invoice \${input.order_id}?" }
  wait event "payment.received" as payment where order_id == input.order_id timeout 3d on timeout {
    step chase: Ledger { prompt: "Chase \${input.order_id}" }
  }
  step book: Ledger { prompt: "Book \${payment.data.amount ?? 0} for \${input.order_id}" }
  set output.amount = payment.data.amount ?? 0
  set output.how = payment.status
}
flow Door {
  input door: string
  output opened: string
  step arm: Ledger { prompt: "Arm \${input.door}" }
  wait event "door.open" as opened where door == input.door
  set output.opened = opened.data.door
}`;

const DAY = 86_400_000;

for (const kind of STORE_KINDS) {
  describe(`runtime: typed events, correlation, timeout arm, persistent triggers (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    /** Starts Order for `orderId` and approves its invoice, so it waits for the payment. */
    async function waitingOrder(def: Awaited<ReturnType<typeof compile>>, orderId: string, now: () => Date, agents = scriptedAgents(() => 'booked')): Promise<string> {
      const first = await run(def, 'Order', { order_id: orderId }, { store: t.store, agents, now });
      await t.store.recordDecision(first.summary.runId, 'invoice', { decision: 'approved' });
      const waiting = await resumeRun(first.summary.runId, { store: t.store, agents, now });
      assert.equal(waiting.status, 'waiting');
      return first.summary.runId;
    }

    it('the payload is checked against the declared data (the field named), reaches only the run it correlates with, and is read as payment.data', async () => {
      const def = await compile(ORDER);
      const now = (): Date => new Date('2026-05-01T00:00:00Z');
      const agents = scriptedAgents(() => 'booked');
      const a1 = await waitingOrder(def, 'A1', now, agents);
      const b2 = await waitingOrder(def, 'B2', now, agents);
      const [wait] = (await t.store.getRun(a1)).waitingOn;
      assert.deepEqual(wait.kind === 'event' && [wait.name, wait.where], ['payment', { path: ['order_id'], value: 'A1' }]);
      await assert.rejects(t.store.recordSignal(a1, 'payment.received', { order_id: 'A1', amount: '12' }), (e: BatonError) => e.code === 'EVENT_DATA_INVALID' && e.message === 'event "payment.received": data.amount: got "12" (its data is { order_id: string, amount: number })');
      await assert.rejects(t.store.recordSignal(a1, 'payment.received', { order_id: 'A1' }), (e: BatonError) => e.code === 'EVENT_DATA_INVALID' && e.message.startsWith('event "payment.received": data.amount is missing'));
      await assert.rejects(t.store.recordSignal(a1, 'payment.received', { order_id: 'B2', amount: 12 }), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED' && /where order_id == "A1", but this event's order_id is "B2"/.test(e.message));
      // nothing was stored by the refusals
      assert.equal((await t.store.getEvents(a1)).filter((e) => e.type === 'event.received' || e.type === 'event.buffered').length, 0);

      await t.store.recordSignal(b2, 'payment.received', { order_id: 'B2', amount: 20 });
      const b = await resumeRun(b2, { store: t.store, agents, now });
      assert.deepEqual([b.status, b.outputs], ['succeeded', { amount: 20, how: 'received' }]);
      const a = await resumeRun(a1, { store: t.store, agents, now });
      assert.equal(a.status, 'waiting', 'B2 payment did not reach A1');
      assert.deepEqual(agents.calls.map((c) => c.prompt).filter((p) => p.startsWith('Book')), ['Book 20 for B2']);
    });

    it('the timeout arm runs when the deadline passes first (payment.status "timeout"), and not when the event came first', async () => {
      const def = await compile(ORDER);
      let clock = Date.parse('2026-05-01T00:00:00Z');
      const now = (): Date => new Date(clock);
      const agents = scriptedAgents(() => 'booked');
      const late = await waitingOrder(def, 'L1', now, agents);
      const paid = await waitingOrder(def, 'P1', now, agents);
      await t.store.recordSignal(paid, 'payment.received', { order_id: 'P1', amount: 5 });
      clock += 3 * DAY;
      const timedOut = await resumeRun(late, { store: t.store, agents, now });
      assert.deepEqual([timedOut.status, timedOut.outputs], ['succeeded', { amount: 0, how: 'timeout' }]);
      const received = await resumeRun(paid, { store: t.store, agents, now });
      assert.deepEqual([received.status, received.outputs], ['succeeded', { amount: 5, how: 'received' }]);
      assert.deepEqual(agents.calls.map((c) => c.prompt).filter((p) => !p.startsWith('Invoice')), ['Chase L1', 'Book 0 for L1', 'Book 5 for P1']);
      const branches = (await t.store.getEvents(late)).filter((e) => e.type === 'branch.taken').map((e) => e.type === 'branch.taken' && e.label);
      assert.deepEqual(branches, ['event payment.received timed out → on timeout']);
    });

    it('WCP-24 persistent trigger: a payment sent before the run waits is kept (at most `max`) and taken by the wait', async () => {
      const def = await compile(ORDER);
      const now = (): Date => new Date();
      const agents = scriptedAgents(() => 'booked');
      const first = await run(def, 'Order', { order_id: 'E1' }, { store: t.store, agents, now });
      assert.equal(first.summary.status, 'waiting'); // on the invoice approval, not on the payment
      const kept = await t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'E1', amount: 7 });
      assert.equal(kept.type, 'event.buffered');
      await t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'E1', amount: 8 });
      await assert.rejects(t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'E1', amount: 9 }), (e: BatonError) => e.code === 'EVENT_BUFFER_FULL' && /at most 2/.test(e.message));
      await assert.rejects(t.store.recordSignal(first.summary.runId, 'payment.received', { order_id: 'E1', amount: 'x' }), (e: BatonError) => e.code === 'EVENT_DATA_INVALID');

      await t.store.recordDecision(first.summary.runId, 'invoice', { decision: 'approved' });
      const done = await resumeRun(first.summary.runId, { store: t.store, agents, now });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { amount: 7, how: 'received' }], 'the first kept payment, without waiting');
      const log = await t.store.getEvents(first.summary.runId);
      const received = log.find((e) => e.type === 'event.received');
      assert.ok(received?.type === 'event.received' && received.buffered && received.bufferId === (kept.type === 'event.buffered' ? kept.id : ''));
      assert.equal(log.filter((e) => e.type === 'event.waiting').length, 1);
    });

    it('WCP-23 transient trigger: with `buffer: none`, an event sent before the run waits is refused and lost; the run then waits for the next one', async () => {
      const def = await compile(ORDER);
      const agents = scriptedAgents(async (request) => {
        // the door opens while the alarm is being armed: nobody waits for it yet
        if (request.prompt === 'Arm front') await assert.rejects(t.store.recordSignal(runId!, 'door.open', { door: 'front' }), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED' && /buffer: none/.test(e.message));
        return 'armed';
      });
      let runId: string | undefined;
      const first = await run(def, 'Door', { door: 'front' }, { store: t.store, agents, onEvent: (e) => (runId ??= e.runId) });
      assert.equal(first.summary.status, 'waiting', 'the early door.open was not kept');
      await t.store.recordSignal(first.summary.runId, 'door.open', { door: 'front' });
      const opened = await resumeRun(first.summary.runId, { store: t.store, agents });
      assert.deepEqual([opened.status, opened.outputs], ['succeeded', { opened: 'front' }]);
    });

    it('an event kept while the run is running, after its wait read the log, is taken at once (the run does not stay waiting)', async () => {
      const def = await compile(`
event "payment.received" { data: { amount: number } }
agent Ledger { instructions: "Book it." stub: "booked" }
flow Pay {
  output amount: number
  step invoice: Ledger { prompt: "invoice" }
  wait event "payment.received" as payment
  set output.amount = payment.data.amount
}`);
      let runId: string | undefined;
      const agents = scriptedAgents(async () => {
        // sent while the run executes its step: it does not wait yet, so the store keeps it
        const kept = await t.store.recordSignal(runId!, 'payment.received', { amount: 3 });
        assert.equal(kept.type, 'event.buffered');
        return 'booked';
      });
      const first = await run(def, 'Pay', {}, { store: t.store, agents, onEvent: (e) => (runId ??= e.runId) });
      assert.deepEqual([first.summary.status, first.summary.outputs], ['succeeded', { amount: 3 }]);
      assert.equal(agents.calls.length, 1, 'the invoice step ran once');
    });
  });
}
