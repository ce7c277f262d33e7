import assert from 'node:assert/strict';
import { isRunnable, resumeRun, dueRuns } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENTS = `
agent Stock {
  instructions: "Count the stock."
  stub: "done"
}
`;

const FLOW = `${AGENTS}
flow Reserve {
  input sku: string
  input who: string
  lock "stock:\${input.sku}" {
    step count: Stock { prompt: "count \${input.who}" }
    step reserve: Stock { prompt: "reserve \${input.who}" }
  }
}`;

/** Real pauses (the lock waits poll the store), instant otherwise. */
const realSleep = (ms: number): Promise<void> => tick(ms);

for (const kind of STORE_KINDS) {
  describe(`runtime: lock blocks across runs (${kind.name})`, function () {
    this.timeout(30_000);
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    /** An agent that records who is inside `count`…`reserve` of which sku, and how many at once. */
    function ledgerAgents(firstCount?: () => Promise<void>) {
      const inside = new Map<string, number>();
      let most = 0;
      let counts = 0;
      const agents = scriptedAgents(async (r) => {
        const [what, who] = String(r.prompt).split(' ');
        if (what === 'count') inside.set(who, 1);
        if (what === 'count' && counts++ === 0) await firstCount?.();
        most = Math.max(most, inside.size);
        await tick(15);
        if (what === 'reserve') inside.delete(who);
        return r.prompt;
      });
      return { agents, most: () => most };
    }

    it('two runs of one lock name never are inside at once: the second waits, then runs', async () => {
      const def = await compile(FLOW);
      // the first count goes on only once the other run queued for the lock (at most 10 s)
      const { agents, most } = ledgerAgents(async () => {
        const deadline = Date.now() + 10_000;
        while (!(await t.store.listLocks()).some((l) => l.queue.length === 1) && Date.now() < deadline) await tick(5);
      });
      const [a, b] = await Promise.all([
        run(def, 'Reserve', { sku: 'A1', who: 'a' }, { store: t.store, agents, sleep: realSleep }),
        run(def, 'Reserve', { sku: 'A1', who: 'b' }, { store: t.store, agents, sleep: realSleep }),
      ]);
      assert.equal(a.summary.status, 'succeeded');
      assert.equal(b.summary.status, 'succeeded');
      assert.equal(most(), 1, 'never two runs between count and reserve');
      const waited = [a, b].filter((r) => r.events.some((e) => e.type === 'lock.requested'));
      assert.equal(waited.length, 1, 'one of them queued');
      assert.deepEqual(await t.store.listLocks(), [], 'both gave it up');
    });

    it('runs of different lock names are inside at once', async () => {
      const def = await compile(FLOW);
      // each count waits until both runs counted (or 5 s): with one lock for both, only one would ever be inside
      let counted = 0;
      let both!: () => void;
      const together = new Promise<void>((resolve) => (both = resolve));
      const agents = scriptedAgents(async (r) => {
        if (String(r.prompt).startsWith('count') && ++counted === 2) both();
        if (String(r.prompt).startsWith('count')) await Promise.race([together, tick(5000)]);
        return r.prompt;
      });
      const started = Date.now();
      await Promise.all([
        run(def, 'Reserve', { sku: 'A1', who: 'a' }, { store: t.store, agents, sleep: realSleep }),
        run(def, 'Reserve', { sku: 'B2', who: 'b' }, { store: t.store, agents, sleep: realSleep }),
      ]);
      assert.equal(counted, 2);
      assert.ok(Date.now() - started < 5000, 'the two counts met: both runs were inside their locks at once');
    });

    it('two branches of one run exclude each other', async () => {
      const def = await compile(`${AGENTS}
flow Both {
  parallel {
    lock "x" { step a1: Stock { prompt: "count a" }  step a2: Stock { prompt: "reserve a" } }
    lock "x" { step b1: Stock { prompt: "count b" }  step b2: Stock { prompt: "reserve b" } }
  }
}`);
      const { agents, most } = ledgerAgents();
      const { summary } = await run(def, 'Both', {}, { store: t.store, agents, sleep: realSleep });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.equal(most(), 1);
    });

    it('a body that fails gives the lock up: the waiting run gets it', async () => {
      const def = await compile(FLOW);
      const agents = scriptedAgents(async (r) => {
        await tick(10);
        if (r.prompt === 'count a') throw new Error('scale broken');
        return r.prompt;
      });
      const [a, b] = await Promise.all([
        run(def, 'Reserve', { sku: 'A1', who: 'a' }, { store: t.store, agents, sleep: realSleep }),
        (async () => {
          await tick(2);
          return run(def, 'Reserve', { sku: 'A1', who: 'b' }, { store: t.store, agents, sleep: realSleep });
        })(),
      ]);
      assert.equal(a.summary.status, 'failed');
      assert.equal(b.summary.status, 'succeeded');
      const released = a.events.find((e) => e.type === 'lock.released');
      assert.ok(released, 'the failed run recorded lock.released');
    });

    it("a waiter past the short-wait bound waits with the run; the holder's release makes it runnable and it continues holding the lock", async () => {
      const def = await compile(FLOW);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'count a') await gate;
        return r.prompt;
      });
      const holder = run(def, 'Reserve', { sku: 'A1', who: 'a' }, { store: t.store, agents, sleep: realSleep });
      // wait until a holds it
      while ((await t.store.listLocks()).length === 0) await tick(2);
      const waiter = await run(def, 'Reserve', { sku: 'A1', who: 'b' }, { store: t.store, agents, sleep: realSleep, shortWaitMs: 0 });
      assert.equal(waiter.summary.status, 'waiting');
      assert.deepEqual(waiter.summary.waitingOn.map((w) => w.kind), ['lock']);
      const id = waiter.summary.runId;
      assert.equal(isRunnable(await t.store.getRun(id), await t.store.getEvents(id), Date.now()), false, 'not runnable while a holds it');
      open();
      assert.equal((await holder).summary.status, 'succeeded');
      assert.equal(isRunnable(await t.store.getRun(id), await t.store.getEvents(id), Date.now()), true, 'handed over: runnable');
      assert.deepEqual((await dueRuns(t.store, Date.now())).map((r) => r.id), [id], "baton serve's due poller finds it");
      const resumed = await resumeRun(id, { store: t.store, agents, sleep: realSleep, random: () => 0.5 });
      assert.equal(resumed.status, 'succeeded');
      const calls = agents.calls.filter((c) => c.runId === id).map((c) => c.prompt);
      assert.deepEqual(calls, ['count b', 'reserve b']);
      assert.deepEqual(await t.store.listLocks(), []);
    });

    it('timeout: the on timeout block runs when the lock did not come in time; without one the run fails LOCK_TIMEOUT', async () => {
      const def = await compile(`${AGENTS}
flow Hold {
  lock "x" { step hold: Stock { prompt: "hold" } }
}
flow Try {
  output got: string
  lock "x" timeout 1m {
    step inside: Stock { prompt: "inside" }
    set output.got = "lock"
  } on timeout {
    set output.got = "timeout"
  }
}
flow Strict {
  lock "x" timeout 1m { step inside: Stock { prompt: "inside" } }
}`);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'hold') await gate;
        return r.prompt;
      });
      const holder = run(def, 'Hold', {}, { store: t.store, agents, sleep: realSleep });
      while ((await t.store.listLocks()).length === 0) await tick(2);
      // a clock that moves with the waits: the minute passes without real time
      let clock = Date.now();
      const fake = { now: () => new Date(clock), sleep: async (ms: number) => { clock += ms; await tick(1); } };
      const tried = await run(def, 'Try', {}, { store: t.store, agents, ...fake, shortWaitMs: 120_000 });
      assert.equal(tried.summary.status, 'succeeded');
      assert.deepEqual(tried.summary.outputs, { got: 'timeout' });
      const strict = await run(def, 'Strict', {}, { store: t.store, agents, ...fake, shortWaitMs: 120_000 });
      assert.equal(strict.summary.status, 'failed');
      assert.equal(strict.summary.error?.code, 'LOCK_TIMEOUT');
      assert.ok(!agents.calls.some((c) => c.prompt === 'inside'), 'no body ran without the lock');
      open();
      await holder;
      assert.deepEqual(await t.store.listLocks(), [], 'the timed-out waiters left the queue');
    });

    it('a lock block inside a block of the same name fails LOCK_DEADLOCK instead of waiting for itself', async () => {
      const def = await compile(`${AGENTS}
flow Inner {
  lock "x" { step inner: Stock { prompt: "inner" } }
}
flow Outer {
  lock "x" { step call: Inner }
}`);
      const { summary } = await run(def, 'Outer', {}, { store: t.store, agents: scriptedAgents((r) => r.prompt), sleep: realSleep });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'LOCK_DEADLOCK');
      assert.deepEqual(await t.store.listLocks(), []);
    });
  });
}
