import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import type { WorkflowDefinition } from '@baton/protocol';
import { enqueueRun, ExecutorThread, SqliteRunStore, type Accepted, type BatonError } from '../../packages/runtime/src/index.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, freshStore, tempStore, type KindStore } from './helpers.js';

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
flow Later {
  step first: Worker { prompt: "first" }
  wait 1h
  step after: Worker { prompt: "after" }
}
flow Watched {
  approval go { prompt: "go?", sla: 1m }
}
`;

const ENTRY = new URL('./fixtures/executor-entry.mjs', import.meta.url);

/** Resolves when `check` holds, polling every 10 ms (up to 20 s). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runtime: the executor thread (baton serve executes runs on a worker thread; this thread accepts)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempStore>;
  let def: WorkflowDefinition;
  let main: SqliteRunStore;
  let gate: Int32Array;
  let lockWaiters: Int32Array;
  let logs: string[];
  const threads: ExecutorThread[] = [];
  const open = (gateOpen: boolean, extra: Record<string, unknown> = {}, concurrency = 2): Promise<ExecutorThread> => {
    Atomics.store(gate, 0, gateOpen ? 1 : 0);
    return ExecutorThread.start({ store: main, script: ENTRY, workerData: { storePath: t.file, lockWaiters, gate, definitions: [def], concurrency, ...extra }, definitions: [def], runAgents: { mode: 'stub' }, log: (l) => logs.push(l) }).then((thread) => {
      threads.push(thread);
      return thread;
    });
  };
  const openGate = (): void => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  before(async () => (def = await compile(FLOWS)));
  beforeEach(() => {
    t = tempStore();
    lockWaiters = new Int32Array(new SharedArrayBuffer(4));
    gate = new Int32Array(new SharedArrayBuffer(4));
    main = SqliteRunStore.open(t.file, { holdLock: false, lockWaiters });
    logs = [];
  });
  afterEach(async () => {
    openGate();
    for (const thread of threads.splice(0)) await thread.close();
    await main.close();
    t.cleanup();
  });

  it('accept resolves once the run is stored queued (counted at once), and the run executes on the other thread', async () => {
    const executor = await open(false);
    const accepted = await executor.accept({ definition: def, flowName: 'Job', inputs: { n: 1 } });
    assert.equal(accepted.duplicate, false);
    assert.ok(['queued', 'running'].includes((await main.getRun(accepted.runId)).status), 'stored before the answer');
    assert.equal((await main.getEvents(accepted.runId))[0]?.type, 'run.started');
    assert.equal(executor.active() + executor.waiting(), 1, 'counted as soon as it is accepted');
    assert.ok(executor.has(accepted.runId));
    openGate();
    if (!accepted.duplicate) await accepted.done;
    const run = await main.getRun(accepted.runId);
    assert.equal(run.status, 'succeeded');
    const outputs = (await main.getEvents(run.id)).flatMap((e) => (e.type === 'step.finished' ? [e.output] : []));
    assert.deepEqual(outputs.length, 2);
    for (const output of outputs) assert.notEqual(output, `thread ${threadId}`, 'not executed on the accepting thread');
    assert.match(String(outputs[0]), /^thread [1-9]\d*$/);
    await executor.idle();
    assert.deepEqual([executor.active(), executor.waiting(), executor.has(run.id)], [0, 0, false]);
  });

  it('a burst of starts with start keys: one run per key, every run stored and executed, each step once', async () => {
    const executor = await open(true, {}, 4);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => executor.accept({ definition: def, flowName: 'Job', inputs: { n }, startKey: { scope: '/hook', key: `k${n % 20}` } })));
    const fresh = answers.filter((a) => !a.duplicate);
    assert.equal(fresh.length, 20, 'one run per key');
    answers.forEach((a, n) => assert.equal(a.runId, answers[n % 20].runId, `key k${n % 20}: its first run`));
    await executor.idle();
    const runs = await main.listRuns({ limit: 1000 });
    assert.equal(runs.length, 20);
    for (const run of runs) {
      assert.equal(run.status, 'succeeded', run.id);
      const events = await main.getEvents(run.id);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'a gapless log');
      assert.deepEqual(events.filter((e) => e.type === 'step.finished').map((e) => (e as { step: string }).step), ['a', 'b']);
    }
  });

  it('refuses bad inputs and unknown flows with their codes, storing nothing, and stores the rest of the burst', async () => {
    const executor = await open(true);
    const results = await Promise.allSettled([
      executor.accept({ definition: def, flowName: 'Job', inputs: { n: 'x' as never } }),
      executor.accept({ definition: def, flowName: 'Nope', inputs: {} }),
      executor.accept({ definition: def, flowName: 'Job', inputs: { n: 2 } }),
    ]);
    assert.equal(results[0].status === 'rejected' && (results[0].reason as BatonError).code, 'INPUT_INVALID');
    assert.equal(results[1].status === 'rejected' && (results[1].reason as BatonError).code, 'UNKNOWN_FLOW');
    assert.equal(results[2].status, 'fulfilled');
    await executor.idle();
    assert.equal((await main.listRuns({ limit: 10 })).length, 1);
  });

  it('a decision stored on this thread continues the waiting run there; a cancel stops an executing one', async () => {
    const executor = await open(true);
    const gated = await executor.accept({ definition: def, flowName: 'Gated', inputs: {} });
    await until(async () => (await main.getRun(gated.runId)).status === 'waiting', 'the approval');
    await main.recordDecision(gated.runId, 'go', { decision: 'approved', by: 'ops' });
    const resumed = await executor.resume(gated.runId);
    // stored queued before resume resolves — by the time this reads it, the executor thread may already run it
    assert.ok(['queued', 'running', 'succeeded'].includes((await main.getRun(gated.runId)).status), 'no longer waiting once resume resolves');
    await resumed.done;
    assert.equal((await main.getRun(gated.runId)).status, 'succeeded');

    Atomics.store(gate, 0, 0);
    const job = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
    await until(async () => executor.active() === 1 && (await main.getRun(job.runId)).status === 'running', 'the run to execute');
    await executor.cancel(job.runId, 'ops');
    if (!job.duplicate) await job.done;
    assert.equal((await main.getRun(job.runId)).status, 'cancelled');
  });

  it('due timers and SLAs are polled on the executor thread: a due run is continued there (idle waits for it), a breach comes back — this thread reads nothing', async () => {
    const executor = await open(true);
    const later = await executor.accept({ definition: def, flowName: 'Later', inputs: {} });
    const watched = await executor.accept({ definition: def, flowName: 'Watched', inputs: {} });
    await until(async () => (await main.getRun(later.runId)).status === 'waiting' && (await main.getRun(watched.runId)).status === 'waiting', 'both runs to wait');
    const reads: string[] = [];
    for (const name of ['listRuns', 'dueSlas', 'getRun', 'getEvents'] as const) {
      const original = (main as unknown as Record<string, (...args: unknown[]) => unknown>)[name].bind(main);
      (main as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => (reads.push(name), original(...args));
    }
    assert.deepEqual(await executor.pollDue(Date.now()), { resumed: [], breaches: [] }, 'nothing due yet');
    const polled = await executor.pollDue(Date.now() + 2 * 3600_000);
    assert.deepEqual(polled.resumed, [later.runId]);
    assert.deepEqual(polled.breaches.map((b) => [b.event.runId, b.flow, b.event.key]), [[watched.runId, 'Watched', 'approval:go']]);
    assert.deepEqual(reads, [], 'the polls read nothing on this thread');
    await executor.idle();
    // continued there (its clock is the real one: the hour has not passed, so it waits again)
    const events = (await main.getEvents(later.runId)).map((e) => e.type);
    assert.ok(events.includes('run.resumed'), `continued: ${events.join(', ')}`);
    assert.equal(events.at(-1), 'run.waiting', 'idle() waited for the continuation to stop');
  });

  it('an executor that dies mid-run is replaced: the run it left running is continued on the new one and succeeds, each step finished once', async () => {
    const executor = await open(false);
    const job = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
    await until(async () => (await main.getRun(job.runId)).status === 'running', 'the run to execute');
    // the thread ends as if an error nothing caught had killed it
    await (executor as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => logs.some((l) => /starting a new one/.test(l)), 'the restart');
    openGate();
    await until(async () => (await main.getRun(job.runId)).status === 'succeeded', 'the run to succeed on the new executor');
    assert.ok(logs.some((l) => l.includes(`run ${job.runId} · Job: resuming (running)`)), logs.join('\n'));
    const finished = (await main.getEvents(job.runId)).filter((e) => e.type === 'step.finished').map((e) => (e as { step: string }).step);
    assert.deepEqual(finished, ['a', 'b']);
  });

  it('a start that comes while a dead executor is being replaced goes to the new one: stored, answered, executed', async () => {
    const executor = await open(true);
    const worker = (): { terminate(): Promise<number> } => (executor as unknown as { worker: { terminate(): Promise<number> } }).worker;
    // the start is asked for the moment the replacement is announced, before the new thread exists
    let inGap: Promise<Accepted> | undefined;
    const push = logs.push.bind(logs);
    logs.push = (...lines: string[]): number => {
      if (!inGap && lines.some((l) => /starting a new one/.test(l))) inGap = executor.accept({ definition: def, flowName: 'Job', inputs: {} });
      return push(...lines);
    };
    await worker().terminate();
    await until(() => inGap !== undefined, 'the replacement');
    const accepted = await inGap!;
    assert.equal(accepted.duplicate, false);
    if (!accepted.duplicate) await accepted.done;
    assert.equal((await main.getRun(accepted.runId)).status, 'succeeded');
  });

  it('an executor that keeps dying is replaced three times within a minute, then not again: starts are refused (EXECUTOR_STOPPED), the lines say why', async function () {
    this.timeout(120_000);
    const executor = await open(true);
    const worker = (): { terminate(): Promise<number> } => (executor as unknown as { worker: { terminate(): Promise<number> } }).worker;
    for (let death = 1; death <= 3; death++) {
      await worker().terminate();
      await until(() => logs.filter((l) => /starting a new one/.test(l)).length === death, `replacement ${death}`);
      const accepted = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
      if (!accepted.duplicate) await accepted.done;
    }
    await worker().terminate();
    await until(() => logs.some((l) => /stopped 4 times within 60 s/.test(l)), 'the executor given up');
    await assert.rejects(executor.accept({ definition: def, flowName: 'Job', inputs: {} }), (error: BatonError) => error.code === 'EXECUTOR_STOPPED' && /4 times/.test(error.message));
    assert.equal((await main.listRuns({ limit: 10 })).filter((r) => r.status === 'succeeded').length, 3, 'the runs before stayed stored');
  });

  it('a store that fails while a new executor queues what the old one left is a log line, not a crash of the process', async () => {
    const executor = await open(false);
    const job = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
    await until(() => main.database.getRun(job.runId).status === 'running', 'the run to execute');
    // from now on this thread's store cannot list runs (as a store busy past its wait would)
    const store = (executor as unknown as { options: { store: { listRuns: () => Promise<never> } } }).options.store;
    store.listRuns = () => Promise.reject(new Error('the run store stayed in use by other processes for 30 s'));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await (executor as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await until(() => logs.some((l) => /could not be queued: the run store stayed in use/.test(l)), 'the log line');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, [], 'no unhandled rejection');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an executor that cannot start says why (EXECUTOR_FAILED, its message)', async () => {
    await assert.rejects(open(true, { failBuild: 'no key for provider openai: set OPENAI_API_KEY' }), (error: BatonError) => error.code === 'EXECUTOR_FAILED' && /OPENAI_API_KEY/.test(error.message));
  });

  it('after close, accept refuses (EXECUTOR_STOPPED) and queued runs stay queued in the store', async () => {
    const executor = await open(false, {}, 1);
    const first = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
    const second = await executor.accept({ definition: def, flowName: 'Job', inputs: {} });
    await until(async () => (await main.getRun(first.runId)).status === 'running', 'the first run to execute');
    await executor.close();
    assert.equal((await main.getRun(first.runId)).status, 'interrupted');
    assert.equal((await main.getRun(second.runId)).status, 'queued');
    await assert.rejects(executor.accept({ definition: def, flowName: 'Job', inputs: {} }), (error: BatonError) => error.code === 'EXECUTOR_STOPPED');
  });
});

for (const kind of STORE_KINDS) {
  describe(`runtime: the executor thread counts what it continues (${kind.name})`, function () {
    this.timeout(60_000);
    let t: KindStore;
    let def: WorkflowDefinition;
    let gate: Int32Array;
    let executor: ExecutorThread | undefined;
    before(async () => (def = await compile(FLOWS)));
    beforeEach(async () => {
      t = await freshStore(kind);
      gate = new Int32Array(new SharedArrayBuffer(4));
    });
    afterEach(async () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await executor?.close();
      executor = undefined;
      await t.cleanup();
    });

    it('runs it is told to continue (a restart\'s recovery) are counted from then on, also while the executor is still storing them (what /health reports)', async () => {
      const workerData = kind.name === 'SQLite' ? { storePath: t.location, lockWaiters: new Int32Array(new SharedArrayBuffer(4)) } : { storeLocation: t.location };
      // three runs accepted by a process that stopped before executing them; the agents wait while the gate is shut
      for (let n = 0; n < 3; n++) await enqueueRun(def, 'Job', { n }, { store: t.store });
      executor = await ExecutorThread.start({ store: t.store, script: ENTRY, workerData: { ...workerData, gate, definitions: [def], concurrency: 1 }, definitions: [def], runAgents: { mode: 'stub' }, log: () => undefined });
      assert.equal((await executor.recover()).length, 3);
      // one executes (its agent held), two are queued: never fewer than three counted on the way there
      const seen: string[] = [];
      while (!(executor.active() === 1 && executor.waiting() === 2)) {
        seen.push(`${executor.active()}+${executor.waiting()}`);
        await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(seen.filter((counts) => counts.split('+').reduce((sum, n) => sum + Number(n), 0) !== 3), [], 'counted as active + queued');
    });
  });
}
