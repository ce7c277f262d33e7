import assert from 'node:assert/strict';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { DueTimerPoller, enqueueRun, resumeRun, runQueued, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, freshStore, run, type KindStore } from './helpers.js';

/*
 * SLAs at run time on a virtual clock (docs/language.md "SLAs"): the engine writes the deadlines, the poller records
 * a breach while the run waits, the engine records one it finds late (no poller), each once, and nothing is cancelled.
 */

const FLOW = `
agent Worker { stub: "ok" }
flow Purchase {
  input amount: number
  sla 1h
  step check: Worker { prompt: "check \${input.amount}" }
  approval manager {
    prompt: "Buy?"
    sla: 30m
    timeout: 1d
  }
  wait 2h
  step order: Worker { prompt: "order" }
}
flow Quick {
  sla 1h
  step a: Worker { prompt: "a" }
}`;

// in the past: a decision is stored at the real time (recordDecision), which is then after every deadline here
const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
const M = 60_000;
const H = 60 * M;

for (const kind of STORE_KINDS) {
  describe(`runtime: SLAs on a virtual clock (${kind.name})`, function () {
    this.timeout(30_000);
    let t: KindStore;
    let def: WorkflowDefinition;
    let clock = T0;
    const now = (): Date => new Date(clock);
    before(async () => (def = await compile(FLOW)));
    beforeEach(async () => {
      t = await freshStore(kind);
      clock = T0;
    });
    afterEach(() => t.cleanup());

    const breaches = async (store: RunStoreApi, id: string): Promise<Extract<RunEvent, { type: 'sla.breached' }>[]> =>
      (await store.getEvents(id)).filter((e): e is Extract<RunEvent, { type: 'sla.breached' }> => e.type === 'sla.breached');
    const resume = (id: string, events: RunEvent[] = []) => resumeRun(id, { store: t.store, now, onEvent: (e) => events.push(e) });

    it('the engine stores the deadlines: run.started and the run carry the flow SLA; a waiting approval its own; the nearest is watched', async () => {
      const first = await run(def, 'Purchase', { amount: 5 }, { store: t.store, now });
      assert.equal(first.summary.status, 'waiting');
      const started = first.events.find((e) => e.type === 'run.started');
      assert.equal(started?.type === 'run.started' && started.slaDeadline, iso(H));
      const requested = first.events.find((e) => e.type === 'approval.requested');
      assert.equal(requested?.type === 'approval.requested' && requested.slaDeadline, iso(30 * M));
      const stored = await t.store.getRun(first.summary.runId);
      assert.equal(stored.slaFlowAt, iso(H));
      assert.equal(stored.slaDueAt, iso(30 * M), 'the approval SLA comes first');
      assert.deepEqual(stored.waitingOn.map((w) => (w.kind === 'approval' ? [w.task, w.slaDeadline, w.slaMs] : [])), [['manager', iso(30 * M), 30 * M]]);
    });

    it('the poller records the approval breach while the run waits (and only once), then the flow breach; nothing is cancelled', async () => {
      const first = await run(def, 'Purchase', { amount: 5 }, { store: t.store, now });
      const id = first.summary.runId;
      const seen: string[] = [];
      const poller = new DueTimerPoller({ store: t.store, supervisor: { has: () => true, resume: () => assert.fail('no run is due') }, now, intervalMs: 0, log: (l) => assert.fail(l), onSlaBreach: (b) => seen.push(`${b.flow} ${b.event.key}`) });
      await poller.poll(T0 + 29 * M);
      assert.deepEqual(seen, [], 'not before the deadline');
      await poller.poll(T0 + 31 * M);
      await poller.poll(T0 + 32 * M);
      assert.deepEqual(seen, ['Purchase approval:manager']);
      assert.equal((await t.store.getRun(id)).status, 'waiting', 'the approval still waits');
      assert.equal((await t.store.getRun(id)).slaDueAt, iso(H), 'the flow deadline is watched next');
      await poller.poll(T0 + 61 * M);
      assert.deepEqual(seen, ['Purchase approval:manager', 'Purchase flow']);
      assert.deepEqual((await breaches(t.store, id)).map((b) => [b.key, b.deadline, b.slaMs, b.time]), [
        ['approval:manager', iso(30 * M), 30 * M, iso(31 * M)],
        ['flow', iso(H), H, iso(61 * M)],
      ]);
      // decided late, the engine finds both breaches in the log: no second event
      clock = T0 + 70 * M;
      await t.store.recordDecision(id, 'manager', { decision: 'approved', by: 'ann' });
      await resume(id);
      clock = T0 + 200 * M;
      const done = await resume(id);
      assert.equal(done.status, 'succeeded');
      assert.equal((await breaches(t.store, id)).length, 2);
      assert.equal((await t.store.getRun(id)).slaDueAt, undefined, 'an ended run has nothing to watch');
    });

    it('no poller (baton run alone): a decision read after the approval SLA, and the end after the flow SLA, record the breaches late, before the closing event', async () => {
      const first = await run(def, 'Purchase', { amount: 5 }, { store: t.store, now });
      const id = first.summary.runId;
      clock = T0 + 45 * M;
      await t.store.recordDecision(id, 'manager', { decision: 'approved', by: 'ann' });
      const events: RunEvent[] = [];
      await resume(id, events);
      assert.deepEqual(events.filter((e) => e.type === 'sla.breached').map((e) => e.type === 'sla.breached' && [e.key, e.deadline]), [['approval:manager', iso(30 * M)]]);
      clock = T0 + 3 * H;
      const after: RunEvent[] = [];
      const done = await resume(id, after);
      assert.equal(done.status, 'succeeded', 'a breach cancels nothing');
      const types = after.map((e) => e.type);
      assert.deepEqual(types.slice(-2), ['sla.breached', 'run.succeeded'], 'the flow breach comes before the closing event');
      assert.deepEqual((await breaches(t.store, id)).map((b) => [b.key, b.slaMs, b.deadline]), [['approval:manager', 30 * M, iso(30 * M)], ['flow', H, iso(H)]]);
      // the rows are there: a poller finds nothing left to record
      assert.deepEqual(await t.store.dueSlas!(new Date(T0 + 10 * H)), []);
    });

    it('decided and ended in time: no breach, nothing left to watch', async () => {
      // the real clock: the decision (stored at the real time) comes before the approval's deadline
      clock = Date.now();
      const first = await run(def, 'Quick', {}, { store: t.store, now });
      assert.equal(first.summary.status, 'succeeded');
      assert.deepEqual(await breaches(t.store, first.summary.runId), []);
      assert.equal((await t.store.getRun(first.summary.runId)).slaDueAt, undefined);
      const waiting = await run(def, 'Purchase', { amount: 1 }, { store: t.store, now });
      await t.store.recordDecision(waiting.summary.runId, 'manager', { decision: 'approved', by: 'ann' });
      await resume(waiting.summary.runId);
      assert.deepEqual(await breaches(t.store, waiting.summary.runId), []);
    });

    it('a queued run: the flow SLA counts from its accept time (the queue included)', async () => {
      const { id } = await enqueueRun(def, 'Quick', {}, { store: t.store, now });
      assert.equal((await t.store.getRun(id)).slaFlowAt, iso(H));
      clock = T0 + 2 * H;
      const done = await runQueued(id, { store: t.store, now });
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual((await breaches(t.store, id)).map((b) => [b.key, b.deadline, b.slaMs]), [['flow', iso(H), H]]);
    });
  });
}
