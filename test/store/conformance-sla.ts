/**
 * The SLA store methods (sqlite-sla.ts, pg-sla.ts) on both stores, with identical results: the due runs earliest
 * first; a breach recorded once under three concurrent pollers on their own connections (one row, one event, the
 * next deadline); a breach no longer due not recorded; the engine's claim; a stale deadline recomputed; a breach
 * appended while an executor holds buffered events of the run (they go after it). Registered by sqlite-sla.test.ts
 * and pg-sla.test.ts.
 */
import assert from 'node:assert/strict';
import type { RunEvent, WaitingOn } from '../../packages/protocol/src/index.js';
import { dueBreaches, nextSlaDue, pollSlas, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { storeFixture } from './conformance-fixture.js';
import { DEFINITION } from './conformance-support.js';

/** A fresh, empty store; `handle()` opens another connection to it (another poller's view). */
export interface SlaStoreFactory {
  fresh(): Promise<{ handle(): Promise<RunStoreApi> }>;
  cleanup?(): Promise<void>;
}

// in the future, so a decision stored with the real clock comes before every deadline here
const T0 = new Date('2030-01-07T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const iso = (ms: number): string => at(ms).toISOString();
const H = 3_600_000;

/** An approval wait with an SLA of `slaMs` requested at T0. */
const approval = (task: string, slaMs: number): WaitingOn => ({ kind: 'approval', task, node: `Purchase/${task}`, options: ['approved', 'rejected'], slaDeadline: iso(slaMs), slaMs });

/** Registers the SLA cases for the stores `factory` makes. */
export function slaConformance(name: string, factory: SlaStoreFactory): void {
  describe(`SLA store methods: ${name}`, function () {
    this.timeout(30_000);
    const fixture = storeFixture(factory);
    const open = async (): Promise<Required<Pick<RunStoreApi, 'dueSlas' | 'recordSlaBreach' | 'claimSlaBreach' | 'refreshSlaDue'>> & RunStoreApi> => {
      const handle = await fixture.open();
      assert.ok(handle.dueSlas && handle.recordSlaBreach && handle.claimSlaBreach && handle.refreshSlaDue, `${name} implements every SLA method`);
      return handle as Required<Pick<RunStoreApi, 'dueSlas' | 'recordSlaBreach' | 'claimSlaBreach' | 'refreshSlaDue'>> & RunStoreApi;
    };

    /** A run of Purchase started at T0 with a flow SLA of `flowMs` (none: undefined), waiting for `waits`. */
    const run = async (s: RunStoreApi, flowMs: number | undefined, waits: WaitingOn[] = [], tenant = 'acme'): Promise<string> => {
      const sla = flowMs === undefined ? {} : { slaFlowAt: iso(flowMs), slaDueAt: iso(flowMs) };
      const { id } = await s.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: T0.toISOString(), tenant, ...sla, started: { type: 'run.started', flow: 'Purchase', inputs: {} } });
      if (waits.length) {
        const stored = await s.getRun(id);
        await s.updateRun(id, { status: 'waiting', waitingOn: waits, slaDueAt: nextSlaDue({ ...stored, waitingOn: waits, status: 'waiting' }, new Set()) });
      }
      return id;
    };
    const breaches = async (s: RunStoreApi, id: string): Promise<RunEvent[]> => (await s.getEvents(id)).filter((e) => e.type === 'sla.breached');

    it('dueSlas: the runs not ended whose next SLA deadline passed, earliest first, at most limit', async () => {
      const s = await open();
      const late = await run(s, 4 * H);
      const early = await run(s, undefined, [approval('manager', 1 * H)]);
      await run(s, 10 * H); // not due yet
      const ended = await run(s, 2 * H);
      await s.updateRun(ended, { status: 'succeeded', finishedAt: iso(30 * 60_000), slaDueAt: null });
      await run(s, undefined); // no SLA
      const due = await s.dueSlas(at(5 * H));
      assert.deepEqual(due.map((d) => [d.runId, d.slaDueAt, d.flow, d.tenant, d.status]), [
        [early, iso(1 * H), 'Purchase', 'acme', 'waiting'],
        [late, iso(4 * H), 'Purchase', 'acme', 'running'],
      ]);
      assert.deepEqual((await s.dueSlas(at(5 * H), 1)).map((d) => d.runId), [early]);
      assert.deepEqual(await s.dueSlas(at(30 * 60_000)), []);
      // one tenant's (a reconciler per tenant): another's due runs neither show nor crowd out its own
      const other = await run(s, 30 * 60_000, [], 'globex');
      assert.deepEqual((await s.dueSlas(at(5 * H), 10, { tenant: 'globex' })).map((d) => d.runId), [other]);
      assert.deepEqual((await s.dueSlas(at(5 * H), 2, { tenant: 'acme' })).map((d) => d.runId), [early, late]);
    });

    it('three pollers on their own connections record each breach once: one row, one event, the next deadline', async () => {
      const s = await open();
      const id = await run(s, 8 * H, [approval('manager', 2 * H)]);
      const pollers = [s, await open(), await open()];
      const results = await Promise.all(pollers.map((p) => pollSlas(p, at(3 * H))));
      assert.equal(results.reduce((n, r) => n + r.recorded.length, 0), 1, 'one poller recorded it');
      const [event] = await breaches(s, id);
      assert.deepEqual({ ...event, seq: 0, time: '', runId: '' }, { type: 'sla.breached', key: 'approval:manager', node: 'Purchase/manager', slaMs: 2 * H, deadline: iso(2 * H), scope: '', seq: 0, time: '', runId: '' });
      assert.equal(event.time, iso(3 * H), "the event's time is the poll's");
      assert.equal((await breaches(s, id)).length, 1);
      const stored = await s.getRun(id);
      assert.equal(stored.slaBreachedAt, iso(3 * H));
      assert.equal(stored.slaDueAt, iso(8 * H), 'the flow deadline is next');
      assert.equal(stored.status, 'waiting', 'a breach decides nothing');
      // the flow's SLA later: once too, and then nothing is left to watch
      await Promise.all(pollers.map((p) => pollSlas(p, at(9 * H))));
      assert.deepEqual((await breaches(s, id)).map((e) => (e as { key: string }).key), ['approval:manager', 'flow']);
      assert.equal((await s.getRun(id)).slaDueAt, undefined);
      assert.equal((await s.getRun(id)).slaBreachedAt, iso(3 * H), 'the first breach stays the mark');
      assert.deepEqual(await s.dueSlas(at(100 * H)), []);
    });

    it('recordSlaBreach twice: the second finds the row and appends nothing', async () => {
      const s = await open();
      const id = await run(s, 1 * H);
      const [breach] = dueBreaches(await s.getRun(id), at(2 * H).getTime());
      assert.equal((await s.recordSlaBreach(id, breach, at(2 * H)))?.type, 'sla.breached');
      assert.equal(await s.recordSlaBreach(id, breach, at(2 * H + 1)), undefined);
      assert.equal((await breaches(s, id)).length, 1);
    });

    it('a breach no longer due (the run was cancelled since the poller read it) is not recorded; the deadline is recomputed', async () => {
      const s = await open();
      const id = await run(s, 8 * H, [approval('manager', 1 * H)]);
      const [breach] = dueBreaches(await s.getRun(id), at(2 * H).getTime());
      // the run ended meanwhile (before the deadline would have mattered): nothing recorded
      await s.updateRun(id, { status: 'cancelled', finishedAt: iso(30 * 60_000), waitingOn: [] });
      assert.equal(await s.recordSlaBreach(id, breach, at(2 * H)), undefined);
      assert.deepEqual(await breaches(s, id), []);
      assert.equal((await s.getRun(id)).slaDueAt, undefined);
      assert.equal((await s.getRun(id)).slaBreachedAt, undefined);
    });

    it('an approval decided before its deadline, its run not continued yet: the poll records nothing and watches the flow SLA next', async () => {
      const s = await open();
      const id = await run(s, 8 * H, [approval('manager', 1 * H)]);
      await s.recordDecision(id, 'manager', { decision: 'approved', by: 'ann' });
      assert.deepEqual((await pollSlas(s, at(2 * H))).recorded, []);
      assert.deepEqual(await breaches(s, id), []);
      assert.equal((await s.getRun(id)).slaDueAt, iso(8 * H));
      assert.deepEqual(await s.dueSlas(at(2 * H)), []);
    });

    it("claimSlaBreach (the engine's late breach): the row once, no event; a poller then records nothing", async () => {
      const s = await open();
      const id = await run(s, 1 * H);
      assert.equal(await s.claimSlaBreach(id, 'flow', iso(1 * H), at(2 * H)), true);
      assert.equal(await s.claimSlaBreach(id, 'flow', iso(1 * H), at(2 * H)), false);
      assert.equal((await s.getRun(id)).slaBreachedAt, iso(2 * H));
      const polled = await pollSlas(s, at(3 * H));
      assert.deepEqual(polled.recorded, []);
      assert.deepEqual(await breaches(s, id), []);
      assert.equal((await s.getRun(id)).slaDueAt, undefined, 'the claimed key is no longer watched');
    });

    it('a stale deadline (nothing due in the run) is recomputed by the poll, so the run is not found again', async () => {
      const s = await open();
      const id = await run(s, undefined);
      await s.updateRun(id, { slaDueAt: iso(1 * H) });
      assert.deepEqual((await s.dueSlas(at(2 * H))).map((d) => d.runId), [id]);
      assert.deepEqual((await pollSlas(s, at(2 * H))).recorded, []);
      assert.deepEqual(await s.dueSlas(at(2 * H)), []);
    });

    it("a breach appended while an executor holds buffered events of the run: the executor's flush goes after it", async () => {
      const executor = await open();
      const poller = await open();
      const id = await run(executor, 1 * H);
      executor.append(id, { type: 'step.started', step: 'a', node: 'Purchase/a', agent: 'A', target: 'agent' }, at(2 * H));
      assert.equal((await pollSlas(poller, at(2 * H))).recorded.length, 1);
      await executor.flush(id);
      assert.deepEqual((await executor.getEvents(id)).map((e) => [e.seq, e.type]), [[1, 'run.started'], [2, 'sla.breached'], [3, 'step.started']]);
    });
  });
}
