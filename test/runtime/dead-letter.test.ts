import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { BatonError, redriveRun, type BatonError as BatonErrorType } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { seededRandom } from '../support/seeded-random.js';

const PIPELINE = `
agent Worker { stub: "ok" }
flow Pipeline {
  step fetch: Worker { prompt: "fetch" }
  step audit: Worker { prompt: "audit", on error: continue }
  step load: Worker { prompt: "load" }
}
flow Outer {
  step prepare: Worker { prompt: "prepare" }
  step inner: Pipeline
}`;

const finishedOf = (events: RunEvent[]) => events.filter((e) => e.type === 'step.finished').map((e) => e.type === 'step.finished' && `${e.step}:${e.status}`);

for (const kind of STORE_KINDS) {
  describe(`runtime: dead letters and redrive (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('redrive re-runs the step that failed the run; finished steps and tolerated failures are kept, not called again', async () => {
      const def = await compile(PIPELINE);
      let loadUp = false;
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'audit') throw new BatonError('AGENT_UNAVAILABLE', 'audit down');
        if (r.prompt === 'load' && !loadUp) throw new BatonError('AGENT_UNAVAILABLE', 'warehouse down');
        return `${r.prompt} done`;
      });
      const first = await run(def, 'Pipeline', {}, { store: t.store, agents });
      assert.equal(first.summary.status, 'failed');
      loadUp = true;
      const events: RunEvent[] = [];
      const again = await redriveRun(first.summary.runId, { store: t.store, agents, onEvent: (e) => events.push(e) });
      assert.equal(again.status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['fetch', 'audit', 'load', 'load'], 'only load was called again');
      assert.deepEqual(events.map((e) => e.type), ['run.resumed', 'step.started', 'step.finished', 'run.succeeded']);
      assert.equal(events[0].type === 'run.resumed' && events[0].redrive, true);
      const stored = await t.store.getRun(first.summary.runId);
      assert.deepEqual([stored.status, stored.error], ['succeeded', null]);
      assert.deepEqual(finishedOf(await t.store.getEvents(stored.id)), ['fetch:succeeded', 'audit:failed', 'load:failed', 'load:succeeded']);
    });

    it('a failure inside a sub-flow: the failed child (and its sub-flow step) run again, its finished siblings do not', async () => {
      const def = await compile(PIPELINE);
      let down = true;
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'load' && down) throw new BatonError('AGENT_UNREACHABLE', 'no route');
        return 'ok';
      });
      const first = await run(def, 'Outer', {}, { store: t.store, agents });
      assert.equal(first.summary.status, 'failed');
      down = false;
      const again = await redriveRun(first.summary.runId, { store: t.store, agents });
      assert.equal(again.status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['prepare', 'fetch', 'audit', 'load', 'load']);
    });

    it('refuses a run that did not fail, and one whose compensations ran', async () => {
      const def = await compile(`${PIPELINE}
agent Undo { stub: "undone" }
flow Saga {
  step book: Worker { prompt: "book", compensate: Undo { prompt: "cancel booking" } }
  fail "payment declined"
}`);
      const agents = scriptedAgents(() => 'ok');
      const ok = await run(def, 'Pipeline', {}, { store: t.store, agents });
      await assert.rejects(redriveRun(ok.summary.runId, { store: t.store, agents }), (e: BatonErrorType) => e.code === 'RUN_NOT_FAILED' && /succeeded; only a failed run can be redriven/.test(e.message));
      const saga = await run(def, 'Saga', {}, { store: t.store, agents });
      assert.equal(saga.summary.status, 'failed');
      await assert.rejects(redriveRun(saga.summary.runId, { store: t.store, agents }), (e: BatonErrorType) => e.code === 'RUN_COMPENSATED' && /1 compensation ran/.test(e.message));
      assert.equal((await t.store.getRun(saga.summary.runId)).status, 'failed', 'nothing changed');
    });

    // 1,000 runs on SQLite; 300 on PostgreSQL, whose round trips make a run ~4× dearer here (the cluster's chaos soak
    // runs 1,000 there): the same case and checks, kept within seconds
    const soakRuns = kind.name === 'SQLite' ? 1000 : 300;
    it(`soak: ${soakRuns.toLocaleString('en')} runs with agents failing 30% at random — every run succeeded or is a dead letter with its cause; redriving empties the list`, async function () {
      this.timeout(180_000);
      const def = await compile(PIPELINE);
      // a small deterministic PRNG so a failure is reproducible
      const random = seededRandom(42);
      const agents = scriptedAgents((r) => {
        if (random() < 0.3) throw new BatonError('AGENT_UNAVAILABLE', `${r.prompt} failed (injected)`);
        return 'ok';
      });
      const ids: string[] = [];
      for (let i = 0; i < soakRuns; i++) ids.push((await run(def, 'Pipeline', {}, { store: t.store, agents })).summary.runId);
      const count = async (status: string) => (await t.store.listRuns({ status: status as never, limit: 5000 })).length;
      const succeeded = await count('succeeded');
      const dead = await t.store.listRuns({ status: 'failed', limit: 5000 });
      assert.equal(new Set(ids).size, soakRuns);
      assert.equal(succeeded + dead.length, soakRuns, 'no run lost: each succeeded or is a dead letter');
      assert.ok(dead.every((r) => r.error?.code === 'AGENT_UNAVAILABLE' && /failed \(injected\)/.test(r.error.message)), 'each dead letter has its cause');
      let rounds = 0;
      while ((await count('failed')) > 0 && rounds < 20) {
        rounds++;
        for (const r of (await t.store.listRuns({ status: 'failed', limit: 5000 }))) await redriveRun(r.id, { store: t.store, agents });
      }
      console.log(`      soak: ${soakRuns.toLocaleString('en')} runs, ${succeeded} succeeded, ${dead.length} dead letters; all succeeded after ${rounds} redrive rounds`);
      assert.equal(await count('succeeded'), soakRuns);
    });
  });
}
