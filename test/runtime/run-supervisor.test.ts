import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowDefinition } from '@baton/protocol';
import { createRealAgents, emptyConfig, enqueueRun, resumeRun, RunSupervisor, type AgentCaller, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, freshStore, scriptedAgents, tempStore, type KindStore } from './helpers.js';

const FLOWS = `
agent Worker { stub: "ok" }
flow Job {
  input n: number = 0
  step a: Worker { prompt: "a \${input.n}" }
  step b: Worker { prompt: "b" }
}
flow Gated {
  step first: Worker { prompt: "first" }
  approval go { prompt: "go?", assignee: "ops" }
  step after: Worker { prompt: "after" }
}
`;

/** A gate a test opens: agent calls wait on it. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

for (const kind of STORE_KINDS) {
  describe(`runtime: the run supervisor (a run queue with bounded concurrency) (${kind.name})`, function () {
    this.timeout(30_000);
    let t: KindStore;
    let def: WorkflowDefinition;
    const supervisors: RunSupervisor[] = [];
    const supervise = (agents: AgentCaller, concurrency: number, store: RunStoreApi = t.store): RunSupervisor => {
      const s = new RunSupervisor({ store, agents, concurrency, log: () => undefined });
      supervisors.push(s);
      return s;
    };
    before(async () => (def = await compile(FLOWS)));
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(async () => {
      for (const s of supervisors.splice(0)) await s.close();
      await t.cleanup();
    });

    it('start stores the run as queued with its run.started event before it returns, and executes nothing on the caller\'s turn', async () => {
      const agents = scriptedAgents(() => 'ok');
      // the supervisor's executions claim their lease only once the test has read what start stored
      const claims = gate();
      const gated = new Proxy(t.store, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property === 'claimLease') return async (...args: Parameters<RunStoreApi['claimLease']>) => (await claims.wait, target.claimLease(...args));
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const s = supervise(agents, 2, gated);
      const { runId, done } = await s.start(def, 'Job', { n: 1 });
      assert.equal(agents.calls.length, 0, 'no step ran before start returned');
      assert.deepEqual([s.active(), s.waiting()], [0, 1]);
      // what the caller acknowledges (an HTTP 202) is already stored: committed, as another process reads it
      const other = await t.open();
      assert.equal((await other.getRun(runId)).status, 'queued');
      assert.deepEqual((await other.getEvents(runId)).map((e) => e.type), ['run.started']);
      claims.open();
      await done;
      assert.equal((await t.store.getRun(runId)).status, 'succeeded');
      assert.deepEqual(
        (await t.store.getEvents(runId)).map((e) => e.type).filter((type) => type.startsWith('run.')),
        ['run.started', 'run.succeeded'],
        'one run.started (from the accept), no run.resumed',
      );
    });

    it('accepting more starts does not wait for executing runs: they queue, at most `concurrency` execute at once, all succeed in order', async () => {
      const held = gate();
      const agents = scriptedAgents(async () => {
        await held.wait;
        return 'ok';
      });
      const s = supervise(agents, 2);
      const ids: string[] = [];
      for (let n = 0; n < 6; n++) ids.push((await s.start(def, 'Job', { n })).runId);
      // both slots are taken by held runs; a seventh start is still accepted at once
      while (agents.calls.length < 2) await new Promise((r) => setImmediate(r));
      const seventh = await s.start(def, 'Job', { n: 7 });
      assert.equal((await t.store.getRun(seventh.runId)).status, 'queued');
      assert.deepEqual([s.active(), s.waiting()], [2, 5]);
      assert.deepEqual(
        await Promise.all(ids.map(async (id) => (await t.store.getRun(id)).status)),
        ['running', 'running', 'queued', 'queued', 'queued', 'queued'],
      );
      held.open();
      await s.idle();
      assert.equal(agents.maxInFlight, 2);
      assert.deepEqual(await Promise.all([...ids, seventh.runId].map(async (id) => (await t.store.getRun(id)).status)), Array(7).fill('succeeded'));
      // executed in the order accepted: a run starts only when a slot frees, so when a run makes its first call, at
      // most concurrency − 1 runs accepted before it have not made theirs yet (they execute, their first call under
      // way — which of two runs executing at once calls first is theirs to race, on a server store)
      const firstCalls = agents.calls.filter((c) => c.stepKey === 'a').map((c) => c.prompt);
      assert.deepEqual([...firstCalls].sort(), ['a 0', 'a 1', 'a 2', 'a 3', 'a 4', 'a 5', 'a 7']);
      const accepted = ['a 0', 'a 1', 'a 2', 'a 3', 'a 4', 'a 5', 'a 7'];
      const overtaken = firstCalls.flatMap((call, i) => {
        const pending = accepted.slice(0, accepted.indexOf(call)).filter((earlier) => !firstCalls.slice(0, i).includes(earlier));
        return pending.length > 1 ? [`${call} before ${pending.join(', ')}`] : [];
      });
      assert.deepEqual(overtaken, [], 'executed in the order accepted');
    });

    it('nothing accepted is lost when the process stops: queued runs stay queued, and a new supervisor on the store executes them (and the interrupted one)', async () => {
      const held = gate();
      const first = supervise(
        scriptedAgents(async () => {
          await held.wait;
          return 'ok';
        }),
        1,
      );
      const ids: string[] = [];
      for (let n = 0; n < 4; n++) ids.push((await first.start(def, 'Job', { n })).runId);
      while (first.active() < 1) await new Promise((r) => setImmediate(r));
      await first.close();
      assert.deepEqual(
        await Promise.all(ids.map(async (id) => (await t.store.getRun(id)).status)),
        ['interrupted', 'queued', 'queued', 'queued'],
      );
      const agents = scriptedAgents(() => 'ok');
      const second = supervise(agents, 2);
      assert.deepEqual(await second.recover(), ids, 'oldest first');
      await second.idle();
      assert.deepEqual(await Promise.all(ids.map(async (id) => (await t.store.getRun(id)).status)), Array(4).fill('succeeded'));
      for (const id of ids.slice(1)) {
        assert.deepEqual(
          (await t.store.getEvents(id)).map((e) => e.type).filter((type) => type.startsWith('run.')),
          ['run.started', 'run.succeeded'],
        );
      }
    });

    it('a queued run cancelled before its turn is cancelled at once and never executes', async () => {
      const held = gate();
      const agents = scriptedAgents(async () => {
        await held.wait;
        return 'ok';
      });
      const s = supervise(agents, 1);
      const running = await s.start(def, 'Job', { n: 0 });
      const queued = await s.start(def, 'Job', { n: 1 });
      assert.equal(await s.cancel(queued.runId, 'ops'), 'cancelled');
      held.open();
      await s.idle();
      assert.deepEqual([(await t.store.getRun(running.runId)).status, (await t.store.getRun(queued.runId)).status], ['succeeded', 'cancelled']);
      assert.equal(agents.calls.some((c) => c.prompt === 'a 1'), false);
    });

    it('a resume asked for while the run is still executing is done after that execution (a decision is never dropped)', async () => {
      const s = supervise(scriptedAgents(() => 'ok'), 2);
      const { runId } = await s.start(def, 'Gated', {});
      await s.idle();
      assert.equal((await t.store.getRun(runId)).status, 'waiting');
      // the decision lands, then two resumes are asked for at once: one execution, which finishes the run
      await t.store.recordDecision(runId, 'go', { decision: 'approved', by: 'ops' });
      await Promise.all((await Promise.all([s.resume(runId), s.resume(runId)])).map((c) => c.done));
      assert.equal((await t.store.getRun(runId)).status, 'succeeded');
      assert.equal((await t.store.getEvents(runId)).filter((e) => e.type === 'run.resumed').length, 1);
    });

    it('two processes on one store recovering the same runs execute each run once (only the lease holder executes)', async () => {
      const ids: string[] = [];
      // accepted (stored queued, as a supervisor's start stores them) by a process that stopped before executing them
      for (let n = 0; n < 4; n++) ids.push((await enqueueRun(def, 'Job', { n }, { store: t.store })).id);
      assert.deepEqual(await Promise.all(ids.map(async (id) => (await t.store.getRun(id)).status)), ['queued', 'queued', 'queued', 'queued']);
      const agents = scriptedAgents(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return 'ok';
      });
      const [one, two] = [supervise(agents, 4, await t.open()), supervise(agents, 4, await t.open())];
      await Promise.all([one.recover(), two.recover()]);
      await Promise.all([one.idle(), two.idle()]);
      for (const id of ids) {
        const events = await t.store.getEvents(id);
        assert.equal((await t.store.getRun(id)).status, 'succeeded', id);
        assert.deepEqual(events.filter((e) => e.type === 'step.finished').map((e) => (e as { step: string }).step), ['a', 'b'], `${id}: one step.finished per step`);
      }
      assert.equal(agents.calls.length, ids.length * 2, 'each step called once, by one of the two');
    });

    it('resumeRun (baton resume) executes a queued run from its accept, without a run.resumed', async () => {
      const held = gate();
      const s = supervise(
        scriptedAgents(async () => {
          await held.wait;
          return 'ok';
        }),
        1,
      );
      await s.start(def, 'Job', { n: 0 });
      const { runId } = await s.start(def, 'Job', { n: 1 });
      await s.close();
      held.open();
      const summary = await resumeRun(runId, { store: t.store, agents: scriptedAgents(() => 'ok') });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(
        (await t.store.getEvents(runId)).map((e) => e.type).filter((type) => type.startsWith('run.')),
        ['run.started', 'run.succeeded'],
      );
    });
  });
}

describe('runtime: command agents start their process off the caller\'s thread', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('a command agent runs and answers, its program started by a helper process (starting a process blocks and slows the one that forks it)', async () => {
    const file = path.join(t.dir, 'tool.cjs');
    writeFileSync(file, `let s = ''; process.stdin.on('data', (c) => (s += c)); process.stdin.on('end', () => console.log(JSON.stringify({ output: { said: JSON.parse(s).prompt + '!', parent: process.ppid } })));`);
    const def = await compile(`agent Tool { model: "command/tool" }\nflow Go {\n  step t: Tool { prompt: "hi" }\n}\n`);
    const agents = createRealAgents({ config: { ...emptyConfig(), commands: { tool: { command: [process.execPath, file], cwd: t.dir } } }, env: {} });
    const s = new RunSupervisor({ store: t.store, agents, concurrency: 2, log: () => undefined });
    const runs = [await s.start(def, 'Go', {}), await s.start(def, 'Go', {})];
    await Promise.all(runs.map((r) => r.done));
    for (const { runId } of runs) {
      assert.equal((await t.store.getRun(runId)).status, 'succeeded');
      const step = (await t.store.getEvents(runId)).find((e) => e.type === 'step.finished') as unknown as { output: { said: string; parent: number } };
      assert.equal(step.output.said, 'hi!');
      assert.notEqual(step.output.parent, process.pid, 'the agent\'s program was forked from this process');
    }
  });

  it('a cancelled command agent call stops its process (SIGTERM) and the step ends at once', async () => {
    const file = path.join(t.dir, 'slow.cjs');
    const pidFile = path.join(t.dir, 'pid');
    writeFileSync(file, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000);`);
    const def = await compile(`agent Tool { model: "command/tool" }\nflow Go {\n  step t: Tool { prompt: "hi" }\n}\n`);
    const agents = createRealAgents({ config: { ...emptyConfig(), commands: { tool: { command: [process.execPath, file], cwd: t.dir } } }, env: {} });
    const s = new RunSupervisor({ store: t.store, agents, concurrency: 1, log: () => undefined });
    const { runId } = await s.start(def, 'Go', {});
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 10));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await s.close(); // interrupts the run: its call is cancelled
    assert.equal((await t.store.getRun(runId)).status, 'interrupted');
    // the process goes away (SIGTERM): polling its existence with signal 0
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (Date.now() > deadline) assert.fail(`process ${pid} still runs`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
