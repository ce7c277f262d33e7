import assert from 'node:assert/strict';
import { migrateRun, pollSlas, resumeRun } from '../../packages/runtime/src/index.js';
import { compile, freshStore, run, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

// `baton runs migrate` and SLAs: a migrated run is held to its new definition's `sla`s — its flow's from the run's
// start, each waiting approval's from its request — in the store's columns (what the SLA pollers read), in its waits
// and in the engine's late detection (the `run.migrated` event's `sla`).

const AGENT = 'agent Worker { instructions: "x" stub: "done" }\n';
const order = (flowSla: string, approvalSla: string) => `${AGENT}flow Order {
${flowSla}  step a: Worker { prompt: "a" }
  approval ok { prompt: "ok?"${approvalSla} }
  step b: Worker { prompt: "b" }
}`;
const H = 3600_000;
// the run starts 2.5 h ago on the test's clock: an approval decided now (the store's clock) is decided 2.5 h in
const T0 = Math.floor((Date.now() - 2.5 * H) / 1000) * 1000;
const iso = (ms: number) => new Date(T0 + ms).toISOString();

for (const kind of STORE_KINDS) {
  describe(`runtime: a migrated run's SLAs (${kind.name})`, function () {
    this.timeout(60_000);
    let t: KindStore;
    const clock = { now: T0 };
    const now = () => new Date(clock.now);
    beforeEach(async () => {
      clock.now = T0;
      t = await freshStore(kind);
    });
    afterEach(() => t.cleanup());

    it('SLAs added by the new definition are watched: the columns and the wait get their deadlines, and the poller records the breach', async () => {
      const started = await run(await compile(order('', '')), 'Order', {}, { store: t.store, now });
      const id = started.summary.runId;
      const outcome = await migrateRun({ store: t.store, runId: id, definition: await compile(order('  sla 4h\n', ', sla: 1h')) });
      assert.deepEqual(outcome.problems, []);
      const moved = await t.store.getRun(id);
      assert.equal(moved.slaFlowAt, iso(4 * H));
      assert.equal(moved.slaDueAt, iso(H));
      assert.deepEqual(moved.waitingOn.map((w) => (w.kind === 'approval' ? [w.task, w.slaDeadline, w.slaMs] : [])), [['ok', iso(H), H]]);
      const { recorded } = await pollSlas(t.store, new Date(T0 + H + 1000));
      assert.deepEqual(recorded.map((r) => r.event.key), ['approval:ok']);
      const migrated = (await t.store.getEvents(id)).find((e) => e.type === 'run.migrated');
      assert.deepEqual(migrated?.type === 'run.migrated' && migrated.sla, { flow: iso(4 * H), approvals: { ok: iso(H) } });
    });

    it('SLAs the new definition dropped are not breached: neither by the poller nor by the engine when the run ends late', async () => {
      const started = await run(await compile(order('  sla 4h\n', ', sla: 1h')), 'Order', {}, { store: t.store, now });
      const id = started.summary.runId;
      assert.equal((await t.store.getRun(id)).slaDueAt, iso(H));
      const v2 = await compile(order('', ''));
      assert.deepEqual((await migrateRun({ store: t.store, runId: id, definition: v2 })).problems, []);
      const moved = await t.store.getRun(id);
      assert.deepEqual([moved.slaFlowAt, moved.slaDueAt], [undefined, undefined]);
      assert.deepEqual((await pollSlas(t.store, new Date(T0 + 5 * H))).recorded, []);
      clock.now = T0 + 5 * H;
      // decided 2.5 h in (late for the old 1 h), the run ends 5 h in (late for the old 4 h)
      await t.store.recordDecision(id, 'ok', { decision: 'approved' });
      assert.equal((await resumeRun(id, { store: t.store, now })).status, 'succeeded');
      assert.deepEqual((await t.store.getEvents(id)).filter((e) => e.type === 'sla.breached'), []);
    });

    it('SLAs changed by the new definition count from the start and the request: a shorter flow SLA is breached by the engine at the end', async () => {
      const started = await run(await compile(order('  sla 4h\n', ', sla: 1h')), 'Order', {}, { store: t.store, now });
      const id = started.summary.runId;
      assert.deepEqual((await migrateRun({ store: t.store, runId: id, definition: await compile(order('  sla 2h\n', ', sla: 3h')) })).problems, []);
      const moved = await t.store.getRun(id);
      assert.deepEqual([moved.slaFlowAt, moved.slaDueAt], [iso(2 * H), iso(2 * H)]);
      assert.deepEqual(moved.waitingOn.map((w) => (w.kind === 'approval' ? w.slaDeadline : '')), [iso(3 * H)]);
      // decided 2.5 h in, ended then: the approval's new 3 h is kept (its old 1 h was not), the flow's new 2 h is not
      clock.now = T0 + 2.5 * H;
      await t.store.recordDecision(id, 'ok', { decision: 'approved' });
      assert.equal((await resumeRun(id, { store: t.store, now })).status, 'succeeded');
      const breaches = (await t.store.getEvents(id)).flatMap((e) => (e.type === 'sla.breached' ? [[e.key, e.deadline]] : []));
      assert.deepEqual(breaches, [['flow', iso(2 * H)]]);
    });
  });
}
