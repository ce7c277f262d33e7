import assert from 'node:assert/strict';
import type { WaitingOn } from '@baton/protocol';
import { BatonError, dueAt, DueTimerPoller, dueRuns, isDue, RunSupervisor, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { compiledWithTempStore, scriptedAgents } from './helpers.js';

const FLOWS = `
agent Worker { stub: "ok" }
flow Sleeper {
  step a: Worker { prompt: "a" }
  wait 1h
  step b: Worker { prompt: "b" }
}
`;

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const timer = (until: number): WaitingOn => ({ kind: 'timer', key: 'w', node: 'n1', until: iso(until) });
const approval = (deadline?: number): WaitingOn => ({ kind: 'approval', task: 'ok', node: 'n2', options: ['approved', 'rejected'], ...(deadline === undefined ? {} : { deadline: iso(deadline) }) });
const event = (deadline?: number): WaitingOn => ({ kind: 'event', key: 'e', node: 'n3', event: 'paid', ...(deadline === undefined ? {} : { deadline: iso(deadline) }) });

describe('runtime: due timers (isDue, dueRuns, the poller serve uses)', function () {
  this.timeout(30_000);
  const suite = compiledWithTempStore(FLOWS);

  /** A run stored with `status` and `waitingOn` as given (no execution). */
  const stored = async (status: 'waiting' | 'running' | 'succeeded', waitingOn: WaitingOn[], store: RunStoreApi = suite.t.store): Promise<string> => {
    const { id } = await store.createRun({ flow: 'Sleeper', inputs: {}, definition: suite.def, startedAt: iso(T0), status: 'queued' });
    await store.updateRun(id, { status, waitingOn });
    return id;
  };

  it('dueAt is the earliest timer until or approval/event deadline; undefined with no time to wait for', () => {
    assert.equal(dueAt({ waitingOn: [] }), undefined);
    assert.equal(dueAt({ waitingOn: [approval(), event()] }), undefined, 'no deadline: nothing falls due');
    assert.equal(dueAt({ waitingOn: [timer(T0 + 5000)] }), T0 + 5000);
    assert.equal(dueAt({ waitingOn: [timer(T0 + 5000), approval(T0 + 3000), event(T0 + 4000)] }), T0 + 3000);
    assert.equal(dueAt({ waitingOn: [event(T0 + 4000), approval()] }), T0 + 4000);
    assert.equal(dueAt({ waitingOn: [{ kind: 'timer', key: 'w', node: 'n', until: 'not a time' }, timer(T0)] }), T0, 'an unreadable time is ignored');
  });

  it('isDue: at or after the time it is due, not a millisecond before; a wait with no deadline is never due', () => {
    for (const w of [timer(T0), approval(T0), event(T0)]) {
      assert.equal(isDue({ waitingOn: [w] }, T0 - 1), false, `${w.kind} before its time`);
      assert.equal(isDue({ waitingOn: [w] }, T0), true, `${w.kind} at its time`);
      assert.equal(isDue({ waitingOn: [w] }, T0 + 86_400_000), true, `${w.kind} after its time`);
    }
    assert.equal(isDue({ waitingOn: [approval(), event()] }, Number.MAX_SAFE_INTEGER), false);
    assert.equal(isDue({ waitingOn: [approval(), timer(T0 + 10)] }, T0 + 10), true, 'one due wait is enough');
  });

  it('dueRuns answers the waiting runs due now — not those due later, without a time, or not waiting', async () => {
    const dueTimer = await stored('waiting', [timer(T0)]);
    const dueApproval = await stored('waiting', [approval(T0 - 60_000)]);
    await stored('waiting', [timer(T0 + 1)]);
    await stored('waiting', [approval(), event()]);
    await stored('running', [timer(T0 - 1)]);
    await stored('succeeded', [timer(T0 - 1)]);
    assert.deepEqual((await dueRuns(suite.t.store, T0)).map((r) => r.id).sort(), [dueTimer, dueApproval].sort());
    assert.equal((await dueRuns(suite.t.store, T0 - 60_001)).length, 0);
    assert.deepEqual((await dueRuns(suite.t.store, T0, { tenant: 'default' })).length, 2, 'scoped by tenant');
    assert.deepEqual(await dueRuns(suite.t.store, T0, { tenant: 'someone-else' }), []);
  });

  it('the poller continues a run whose wait is due (fake clock, real supervisor): nothing before its time, the run finishes after it', async () => {
    let clock = T0;
    const now = (): Date => new Date(clock);
    const agents = scriptedAgents(() => 'ok');
    const supervisor = new RunSupervisor({ store: suite.t.store, agents, concurrency: 1, now, log: () => undefined });
    const logs: string[] = [];
    const poller = new DueTimerPoller({ store: suite.t.store, supervisor, now, intervalMs: 0, log: (l) => logs.push(l) });
    try {
      const { runId, done } = await supervisor.start(suite.def, 'Sleeper', {});
      await done;
      const waiting = await suite.t.store.getRun(runId);
      assert.equal(waiting.status, 'waiting');
      assert.equal(dueAt(waiting), T0 + 3_600_000);
      clock = T0 + 3_599_999;
      assert.deepEqual(await poller.poll(), [], 'a millisecond early: not continued');
      assert.equal((await suite.t.store.getRun(runId)).status, 'waiting');
      clock = T0 + 3_600_000;
      assert.deepEqual(await poller.poll(), [runId]);
      await supervisor.idle();
      assert.equal((await suite.t.store.getRun(runId)).status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['a', 'b']);
      assert.deepEqual(logs, []);
    } finally {
      await supervisor.close();
    }
  });

  it('the poller skips runs queued or executing here and runs that finished meanwhile; another failure is logged and the next poll tries again', async () => {
    const a = await stored('waiting', [timer(T0)]);
    const b = await stored('waiting', [timer(T0)]);
    const c = await stored('waiting', [timer(T0)]);
    const resumed: string[] = [];
    let failWith: Error | undefined = new Error('store went away');
    const supervisor = {
      has: (id: string) => id === a,
      resume: async (id: string) => {
        if (id === b) throw new BatonError('RUN_FINISHED', `run ${id} finished`);
        if (failWith) throw failWith;
        resumed.push(id);
        return { done: Promise.resolve() };
      },
    };
    const logs: string[] = [];
    const poller = new DueTimerPoller({ store: suite.t.store, supervisor, now: () => new Date(T0), intervalMs: 0, log: (l) => logs.push(l) });
    assert.deepEqual(await poller.poll(), []);
    assert.deepEqual(logs, ['due timers: store went away']);
    failWith = undefined;
    assert.deepEqual(await poller.poll(), [c]);
    assert.deepEqual(resumed, [c]);
    assert.equal(logs.length, 1, 'RUN_FINISHED is not a failure');
  });

  it('one poll at a time: a poll asked for while one is under way does nothing', async () => {
    const id = await stored('waiting', [timer(T0)]);
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const supervisor = {
      has: () => false,
      resume: async (runId: string) => {
        calls.push(runId);
        await held;
        return { done: Promise.resolve() };
      },
    };
    const poller = new DueTimerPoller({ store: suite.t.store, supervisor, now: () => new Date(T0), intervalMs: 0, log: () => undefined });
    const first = poller.poll();
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    assert.deepEqual(await poller.poll(), [], 'dropped: the first is still under way');
    release();
    assert.deepEqual(await first, [id]);
    assert.deepEqual(calls, [id]);
  });

  it('start polls on its interval until stop; an interval of 0 never polls', async () => {
    await stored('waiting', [timer(T0)]);
    const resumed: string[] = [];
    let woke = (): void => undefined;
    const wokeUp = new Promise<void>((r) => (woke = r));
    const supervisor = {
      has: () => false,
      resume: async (runId: string) => {
        resumed.push(runId);
        woke();
        return { done: Promise.resolve() };
      },
    };
    const off = new DueTimerPoller({ store: suite.t.store, supervisor, now: () => new Date(T0), intervalMs: 0, log: () => undefined });
    off.start();
    const on = new DueTimerPoller({ store: suite.t.store, supervisor, now: () => new Date(T0), intervalMs: 5, log: () => undefined });
    on.start();
    await wokeUp;
    on.stop();
    off.stop();
    assert.ok(resumed.length >= 1);
    assert.equal((off as unknown as { timer: unknown }).timer, undefined, 'interval 0: no timer');
  });
});
