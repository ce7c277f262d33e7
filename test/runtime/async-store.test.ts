import assert from 'node:assert/strict';
import type { NewRunEvent, RunEvent } from '@baton/protocol';
import { BatonError, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { EventJournal } from '../../packages/runtime/src/engine/event-journal.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, freshStore, run, scriptedAgents } from './helpers.js';

/**
 * The engine on the asynchronous store contract (RunStoreApi): what a server store (PostgreSQL) does that the
 * embedded one never did — a commit that is still under way while the run appends more, a failure that comes as
 * a rejected promise rather than a throw.
 */
describe('runtime: the engine on an asynchronous store', () => {
  it('a commit reports only the events appended before it began: one appended while it is under way waits for its own commit', async () => {
    let seq = 0;
    const flushes: (() => void)[] = [];
    const store = {
      append: (runId: string, event: NewRunEvent, time?: Date): RunEvent => ({ ...event, runId, seq: ++seq, time: (time ?? new Date()).toISOString() }) as RunEvent,
      // a server store's flush: the transaction holds what was buffered when it was called, and answers later
      flush: () => new Promise<void>((resolve) => flushes.push(resolve)),
    } as unknown as RunStoreApi;
    const reported: number[] = [];
    const journal = new EventJournal(store, 'r1', (e) => reported.push(e.seq));
    journal.record({ type: 'run.resumed', flow: 'F' }, new Date());
    journal.cancelScheduled();
    const first = journal.commit();
    // appended while the first commit is under way (a parallel branch finishing)
    journal.record({ type: 'value.recorded', key: 'now#0', value: 'x' }, new Date());
    journal.cancelScheduled();
    flushes.shift()!();
    await first;
    assert.deepEqual(reported, [1], 'the event appended after the commit began is not reported by it');
    const second = journal.commit();
    flushes.shift()!();
    await second;
    assert.deepEqual(reported, [1, 2]);
  });
});

/** Whether `event` is the start of step b. */
const startsB = (event: NewRunEvent): boolean => event.type === 'step.started' && event.step === 'b';

/**
 * `store` failing from the commit that holds step b's `step.started` on: from then every flush rejects with `error`
 * (asynchronously, as a server store's does) and `onUpdateRun` sees the state updates asked of it. The failure is
 * counted by events, not flushes: a server store's commit is still under way when the next one is arranged.
 */
function failingFromStepB(store: RunStoreApi, error: () => BatonError, onUpdateRun?: (fields: Parameters<RunStoreApi['updateRun']>[1]) => void): RunStoreApi {
  let failing = false;
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'append') return (...args: Parameters<RunStoreApi['append']>) => ((failing ||= startsB(args[1])), target.append(...args));
      if (property === 'flush') return (...args: Parameters<RunStoreApi['flush']>) => (failing ? Promise.reject(error()) : target.flush(...args));
      if (property === 'updateRun' && onUpdateRun) {
        return (id: string, fields: Parameters<RunStoreApi['updateRun']>[1]) => {
          if (failing) onUpdateRun(fields);
          return target.updateRun(id, fields);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const TWO_STEPS = `
agent Work { stub: "x" }
flow F {
  step a: Work { prompt: "a" compensate: Work { prompt: "undo a" } }
  step b: Work { prompt: "b" }
}`;

for (const kind of STORE_KINDS) {
  describe(`runtime: the engine on an asynchronous store: failures of the store (${kind.name})`, () => {
    it('a store failure that comes as a rejected promise (STORE_BUSY) stops the run as interrupted: the step is not failed, nothing is compensated', async () => {
      const t = await freshStore(kind);
      try {
        const def = await compile(TWO_STEPS);
        // the store fails (asynchronously) from the commit before step b's call on: the one holding b's step.started
        const store = failingFromStepB(t.store, () => new BatonError('STORE_BUSY', 'the run store stayed in use by other processes'));
        const agents = scriptedAgents(() => 'ok');
        await assert.rejects(run(def, 'F', {}, { store, agents }), (e: BatonError) => e.code === 'STORE_BUSY');
        const [stored] = await t.store.listRuns();
        assert.equal(stored.status, 'interrupted', 'resumable, not failed');
        const types = (await t.store.getEvents(stored.id)).map((e) => e.type);
        assert.ok(!types.includes('run.failed') && !types.includes('compensation.started'), types.join(' '));
        assert.deepEqual(agents.calls.map((c) => c.prompt), ['a'], 'step b was never called, nothing undone');
      } finally {
        await t.cleanup();
      }
    });

    it('a commit refused because another executor has the run (LEASE_LOST) stops this execution, which writes nothing more', async () => {
      const t = await freshStore(kind);
      try {
        const def = await compile(TWO_STEPS);
        // from the commit before step b's call on (the one holding b's step.started), the store refuses this handle's
        // writes of the run
        const written: string[] = [];
        const fenced = failingFromStepB(t.store, () => new BatonError('LEASE_LOST', 'the lease was taken over; nothing was written'), (fields) => written.push(JSON.stringify(fields)));
        const agents = scriptedAgents(() => 'ok');
        await assert.rejects(run(def, 'F', {}, { store: fenced, agents }), (e: BatonError) => e.code === 'LEASE_LOST');
        assert.deepEqual(written, [], 'no state written once the run was lost');
        const [stored] = await t.store.listRuns();
        assert.equal(stored.status, 'running', 'left as the new owner sees it');
        assert.deepEqual(agents.calls.map((c) => c.prompt), ['a'], 'step b was never called, nothing undone');
      } finally {
        await t.cleanup();
      }
    });

    it('another run\'s events refused on the same handle (EVENTS_CONFLICT) do not stop this run: its commits are its own', async () => {
      const t = await freshStore(kind);
      try {
        const def = await compile(`
agent Work { stub: "x" }
flow F {
  step a: Work { prompt: "a" }
  step b: Work { prompt: "b" }
}`);
        // run B: a second executor (another handle) stores a step of it, while this handle still buffers its own
        const other = await t.open();
        const b = (await t.store.createRun({ flow: 'F', inputs: {}, definition: def, startedAt: new Date().toISOString() })).id;
        await other.getEvents(b);
        other.append(b, { type: 'step.started', node: 'theirs', step: 'theirs', agent: 'Work', target: 'agent' });
        await other.flush();
        // while step a runs, this handle buffers a step of B that the store must refuse: the run's next commit holds it
        const agents = scriptedAgents((request) => {
          if (request.prompt === 'a') t.store.append(b, { type: 'step.started', node: 'stale', step: 'stale', agent: 'Work', target: 'agent' });
          return 'ok';
        });
        const { summary } = await run(def, 'F', {}, { store: t.store, agents });
        assert.equal(summary.status, 'succeeded');
        assert.deepEqual(agents.calls.map((c) => c.prompt), ['a', 'b']);
        assert.deepEqual((await other.getEvents(b)).map((e) => (e as { node?: string }).node), ['theirs'], 'B\'s refused step was not written');
        await assert.rejects(t.store.flush(b), (e: BatonError) => e.code === 'EVENTS_CONFLICT', 'B\'s own flush is told');
      } finally {
        await t.cleanup();
      }
    });
  });
}
