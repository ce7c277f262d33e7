import assert from 'node:assert/strict';
import { idRenamer, readAcrossMigrations, type RunEvent } from '@baton/protocol';
import { migrateRun, resumeRun, type BatonError } from '../../packages/runtime/src/index.js';
import { alignDefinitions } from '../../packages/runtime/src/migrate/align.js';
import { compile, freshStore, run, scriptedAgents, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENT = 'agent Worker { instructions: "x" stub: "done" }\n';
const V1 = `${AGENT}flow Order {
  step a: Worker { prompt: "a" }
  wait 2d
  step b: Worker { prompt: "b" }
}`;
/** A let before the wait (its id moves from Order/wait@1 to Order/wait@2) and a step after it. */
const V2 = `${AGENT}flow Order {
  let region_code = "EU"
  step a: Worker { prompt: "a" }
  wait 2d
  step b: Worker { prompt: "b" }
  step c: Worker { prompt: "c" }
}`;

describe('runtime: migration renames and alignment', () => {
  it('idRenamer replaces whole ids only, all at once (a swap swaps)', () => {
    const rename = idRenamer({ 'F/if@3': 'F/if@4', 'F/if@4': 'F/if@3' })!;
    assert.equal(rename('wait@F/if@3[0]'), 'wait@F/if@4[0]');
    assert.equal(rename('F/if@4'), 'F/if@3');
    for (const untouched of ['F/if@30', 'F/if@3.1', 'XF/if@3', 'G/if@3']) assert.equal(rename(untouched), untouched);
    assert.equal(idRenamer({ 'F/a': 'F/a' }), undefined);
  });

  it('readAcrossMigrations reads each event through every later migration, in order; the events themselves are kept', () => {
    const at = (seq: number, e: Record<string, unknown>) => ({ runId: 'R', seq, time: '2026-12-04T00:00:00.000Z', ...e }) as unknown as RunEvent;
    const log = [
      at(1, { type: 'wait.started', key: 'wait@F/wait@1', node: 'F/wait@1', durationMs: 1, until: 'x' }),
      at(2, { type: 'run.migrated', from: 'a', to: 'b', flow: 'F', renamed: { 'F/wait@1': 'F/wait@2' } }),
      at(3, { type: 'timer.fired', key: 'wait@F/wait@2', node: 'F/wait@2' }),
      at(4, { type: 'run.migrated', from: 'b', to: 'c', flow: 'F', renamed: { 'F/wait@2': 'F/wait@5' } }),
    ];
    const read = readAcrossMigrations(log);
    assert.deepEqual(
      read.map((e) => ('key' in e ? e.key : e.type)),
      ['wait@F/wait@5', 'run.migrated', 'wait@F/wait@5', 'run.migrated'],
    );
    assert.equal((log[0] as { key: string }).key, 'wait@F/wait@1', 'the stored event is not changed');
    const plain = log.slice(0, 1);
    assert.equal(readAcrossMigrations(plain), plain, 'a log without migrations is read as it is');
  });

  it('alignment: unnamed statements by kind and ordinal under their aligned parent, named ones by name wherever they moved', async () => {
    const from = await compile(`${AGENT}flow F {
  input n: number
  if input.n > 1 {
    wait 1d
    step inner: Worker { prompt: "i" }
  }
  step moved: Worker { prompt: "m" }
  wait 2d
}`);
    const to = await compile(`${AGENT}flow F {
  input n: number
  step first: Worker { prompt: "f" }
  if input.n > 1 {
    let k = 1
    wait 1d
    step inner: Worker { prompt: "i" }
    step moved: Worker { prompt: "m" }
  }
  wait 2d
}`);
    const { renamed, matched } = alignDefinitions(from, to, {});
    // the top-level wait stays Order/wait@2 (a step came in before it, one went out): not renamed
    assert.deepEqual(renamed, { 'F/if@0': 'F/if@1', 'F/wait@0.0.0': 'F/wait@1.0.1' });
    assert.equal(matched.get('F/wait@2')?.id, 'F/wait@2');
    assert.equal(matched.get('F/moved')?.id, 'F/moved');
    assert.equal(matched.get('F/inner')?.id, 'F/inner');
  });
});

for (const kind of STORE_KINDS) {
  describe(`runtime: migrating a waiting run (${kind.name})`, function () {
    this.timeout(60_000);
    let t: KindStore;
    const clock = { now: 0 };
    beforeEach(async () => {
      clock.now = Date.parse('2026-12-04T10:00:00.000Z');
      t = await freshStore(kind);
    });
    afterEach(() => t.cleanup());
    const now = () => new Date(clock.now);

    it('a timer wait whose id moved keeps its deadline under its new key; the run resumes past it on the new definition', async () => {
      const v1 = await compile(V1);
      const started = await run(v1, 'Order', {}, { store: t.store, now });
      assert.equal(started.summary.status, 'waiting');
      const until = started.summary.waitingOn[0].kind === 'timer' ? started.summary.waitingOn[0].until : '';
      const outcome = await migrateRun({ store: t.store, runId: started.summary.runId, definition: await compile(V2) });
      assert.deepEqual([outcome.migrated, outcome.problems, outcome.renamed], [true, [], { 'Order/wait@1': 'Order/wait@2' }]);
      const stored = await t.store.getRun(started.summary.runId);
      assert.deepEqual(stored.waitingOn, [{ kind: 'timer', key: 'wait@Order/wait@2', node: 'Order/wait@2', until }]);
      clock.now = Date.parse(until) + 1000;
      const resumed = await resumeRun(started.summary.runId, { store: t.store, now, sleep: async () => undefined });
      assert.equal(resumed.status, 'succeeded');
      const events = await t.store.getEvents(started.summary.runId);
      // without the renames the replay would start a new 2-day wait instead of firing the stored one
      assert.equal(events.filter((e) => e.type === 'wait.started').length, 1);
      assert.deepEqual(events.flatMap((e) => (e.type === 'step.finished' ? [e.step] : [])), ['a', 'b', 'c']);
      assert.equal(events.filter((e) => e.type === 'run.migrated').length, 1);
    });

    it('a run waiting at a wait first inside a region migrates when the choice moved: its arms and group are renamed with it', async () => {
      const choice = (before: string, after: string) => `${AGENT}flow Order {
${before}  step intake: Worker { prompt: "intake" }
  region fulfil {
    wait first {
      on approval signoff { step ok: Worker { prompt: "ok" } }
      on timeout 3d { step late: Worker { prompt: "late" } }
    }
  }
  step ship: Worker { prompt: "ship" }
${after}}`;
      const started = await run(await compile(choice('', '')), 'Order', {}, { store: t.store, now });
      assert.equal(started.summary.status, 'waiting');
      const outcome = await migrateRun({ store: t.store, runId: started.summary.runId, definition: await compile(choice('  let k = 1\n', '  step invoice: Worker { prompt: "invoice" }\n')) });
      assert.deepEqual(outcome.problems, []);
      assert.deepEqual(outcome.renamed, { 'Order/choice@1.0.0': 'Order/choice@2.0.0', 'Order/on@1.0.0.1': 'Order/on@2.0.0.1' });
      const waits = (await t.store.getRun(started.summary.runId)).waitingOn;
      assert.deepEqual(waits.map((w) => [w.kind, 'key' in w ? w.key : w.task, (w as { group?: string }).group]), [
        ['approval', 'signoff', 'choice@Order/choice@2.0.0'],
        ['timer', 'wait@Order/on@2.0.0.1', 'choice@Order/choice@2.0.0'],
      ]);
      await t.store.recordDecision(started.summary.runId, 'signoff', { decision: 'approved' });
      assert.equal((await resumeRun(started.summary.runId, { store: t.store, now })).status, 'succeeded');
      const events = await t.store.getEvents(started.summary.runId);
      assert.deepEqual(events.flatMap((e) => (e.type === 'step.finished' ? [e.step] : [])), ['intake', 'ok', 'ship', 'invoice']);
      assert.equal(events.filter((e) => e.type === 'wait.started').length, 1);
    });

    it('an interrupted run (stopped inside a step) migrates: the step in flight is where it is; it resumes on the new definition', async () => {
      const controller = new AbortController();
      const first = await run(await compile(V1.replace('  wait 2d\n', '')), 'Order', {}, {
        store: t.store,
        now,
        signal: controller.signal,
        agents: scriptedAgents((r) => {
          if (r.stepKey !== 'b') return 'done';
          controller.abort(); // interrupted while b is in flight
          return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }),
      });
      assert.equal(first.summary.status, 'interrupted');
      const outcome = await migrateRun({ store: t.store, runId: first.summary.runId, definition: await compile(V2.replace('  wait 2d\n', '')) });
      assert.deepEqual(outcome.problems, []);
      assert.equal(outcome.migrated, true);
      const again = scriptedAgents(() => 'done');
      assert.equal((await resumeRun(first.summary.runId, { store: t.store, now, agents: again })).status, 'succeeded');
      assert.deepEqual(again.calls.map((c) => c.stepKey), ['b', 'c']);
    });

    it('a new step whose agent calls tools, before the wait: path-diverged like any step (its turns are refused, not failed)', async () => {
      const started = await run(await compile(V1), 'Order', {}, { store: t.store, now });
      const tooled = `agent Helper { stub: "ok" tools: [Worker] }\n${V1.replace('  wait 2d\n', '  step extra: Helper { prompt: "x" }\n  wait 2d\n')}`;
      const outcome = await migrateRun({ store: t.store, runId: started.summary.runId, definition: await compile(tooled) });
      assert.equal(outcome.migrated, false);
      assert.deepEqual(
        outcome.problems.map((p) => `${p.code}: ${p.message}`),
        ["path-diverged: step extra would run before the run's current wait, and it has not run"],
      );
    });

    it('the store refuses a switch when the run moved meanwhile (RUN_CHANGED) or an executor holds it (RUN_BUSY), writing nothing', async () => {
      const started = await run(await compile(V1), 'Order', {}, { store: t.store, now });
      const id = started.summary.runId;
      const before = (await t.store.getEvents(id)).length;
      const v2 = await compile(V2);
      await assert.rejects(
        t.store.migrateRun!(id, { from: '0'.repeat(64), definition: v2, flow: 'Order', waitingOn: [], event: { type: 'run.migrated', from: 'x', to: 'y', flow: 'Order', renamed: {} } }),
        (e: BatonError) => e.code === 'RUN_CHANGED',
      );
      const other = await t.open();
      assert.ok(await other.claimLease(id, 'worker-2', 60_000));
      await assert.rejects(migrateRun({ store: t.store, runId: id, definition: v2 }), (e: BatonError) => e.code === 'RUN_BUSY' && /worker-2/.test(e.message));
      assert.equal((await t.store.getEvents(id)).length, before);
      assert.equal((await t.store.getRun(id)).waitingOn[0].kind === 'timer' && (await t.store.getRun(id)).waitingOn[0].node, 'Order/wait@1');
    });
  });
}
