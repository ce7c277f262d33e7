import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BatonError, resumeRun, type RunOptions } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, tempStore } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const CHAIN = `
agent Worker { instructions: "x" output: { n: number } stub: { n: 0 } }
flow Chain {
  output total: number
  step s1: Worker { prompt: "1" }
  step s2: Worker { prompt: "2" }
  step s3: Worker { prompt: "3" }
  step s4: Worker { prompt: "4" }
  step s5: Worker { prompt: "5" }
  step s6: Worker { prompt: "6" }
  set output.total = s1.output.n + s2.output.n + s3.output.n + s4.output.n + s5.output.n + s6.output.n
}`;

describe('runtime: waiting, resuming, interruption', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('an approval leaves the run waiting (stored); a decision and resume continue it', async () => {
    const def = await compile(`
agent Worker { instructions: "x" stub: "done" }
flow Main {
  output decision: string
  step prepare: Worker { prompt: "prepare" }
  approval signoff {
    prompt: "Sign off?"
    assignee: "cfo"
    options: ["approved", "rejected", "edit"]
  }
  step after: Worker { prompt: "after \${signoff.output.decision}" }
  set output.decision = signoff.output.decision + " by " + signoff.output.by
}`);
    const agents = scriptedAgents(() => 'done');
    const first = await run(def, 'Main', {}, { store: t.store, agents });
    assert.equal(first.summary.status, 'waiting');
    assert.deepEqual(first.summary.waitingOn.map((w) => w.kind === 'approval' && [w.task, w.assignee]), [['signoff', 'cfo']]);
    const stored = t.store.getRun(first.summary.runId);
    assert.equal(stored.status, 'waiting');
    assert.equal(stored.waitingOn.length, 1);
    assert.throws(() => t.store.recordDecision(first.summary.runId, 'nope', { decision: 'approved' }), (e: BatonError) => e.code === 'TASK_NOT_WAITING' && /waiting: signoff/.test(e.message));
    assert.throws(() => t.store.recordDecision(first.summary.runId, 'signoff', { decision: 'maybe' }), (e: BatonError) => e.code === 'DECISION_INVALID');

    t.store.recordDecision(first.summary.runId, 'signoff', { decision: 'edit', by: 'ada' });
    const resumed = await resumeRun(first.summary.runId, { store: t.store, agents });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(resumed.outputs, { decision: 'edit by ada' });
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['prepare', 'after edit'], 'prepare ran once');
    await assert.rejects(resumeRun(first.summary.runId, { store: t.store }), (e: BatonError) => e.code === 'RUN_FINISHED');
  });

  it('an approval past its deadline is decided as "timeout" on resume', async () => {
    const def = await compile(`
flow Main {
  output d: string
  approval ok { prompt: "ok?" timeout: 1h }
  set output.d = ok.output.decision
}`);
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = (): Date => new Date(clock);
    const first = await run(def, 'Main', {}, { store: t.store, now });
    assert.equal(first.summary.status, 'waiting');
    clock += 2 * 3600_000;
    const resumed = await resumeRun(first.summary.runId, { store: t.store, now });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(resumed.outputs, { d: 'timeout' });
  });

  it('wait event stops the run until the event is delivered; its data is readable', async () => {
    const def = await compile(`
flow Main {
  output amount: number
  wait event "payment.received"
  set output.amount = 10
}`);
    const first = await run(def, 'Main', {}, { store: t.store });
    assert.equal(first.summary.status, 'waiting');
    assert.deepEqual(first.summary.waitingOn.map((w) => w.kind === 'event' && w.event), ['payment.received']);
    assert.throws(() => t.store.recordSignal(first.summary.runId, 'other.event', {}), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED');
    t.store.recordSignal(first.summary.runId, 'payment.received', { amount: 10 });
    const resumed = await resumeRun(first.summary.runId, { store: t.store });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(resumed.outputs, { amount: 10 });
  });

  it('a short wait sleeps in-process; a long one leaves the run waiting until its time has come', async () => {
    const def = await compile(`
agent Worker { instructions: "x" stub: "done" }
flow Main {
  step before: Worker { prompt: "before" }
  wait 2s
  step middle: Worker { prompt: "middle" }
  wait 3d
  step after: Worker { prompt: "after" }
}`);
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = (): Date => new Date(clock);
    const agents = scriptedAgents(() => 'done');
    const first = await run(def, 'Main', {}, { store: t.store, agents, now });
    assert.deepEqual(first.sleeps, [2000], 'the 2 s wait slept');
    assert.equal(first.summary.status, 'waiting');
    assert.deepEqual(first.summary.waitingOn.map((w) => w.kind === 'timer' && w.until), ['2026-01-04T00:00:00.000Z']);

    const early = await resumeRun(first.summary.runId, { store: t.store, agents, now });
    assert.equal(early.status, 'waiting', 'resuming before the time keeps it waiting');
    clock += 3 * 86_400_000;
    const late = await resumeRun(first.summary.runId, { store: t.store, agents, now });
    assert.equal(late.status, 'succeeded');
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['before', 'middle', 'after']);
  });

  it('cancelling a waiting run makes it cancelled at once, and it cannot be resumed', async () => {
    const def = await compile(`flow Main { approval ok { prompt: "ok?" } }`);
    const first = await run(def, 'Main', {}, { store: t.store });
    assert.equal(t.store.requestCancel(first.summary.runId, 'ada'), 'cancelled');
    assert.equal(t.store.getRun(first.summary.runId).status, 'cancelled');
    assert.deepEqual(t.store.getEvents(first.summary.runId).slice(-2).map((e) => e.type), ['cancel.requested', 'run.cancelled']);
    await assert.rejects(resumeRun(first.summary.runId, { store: t.store }), (e: BatonError) => e.code === 'RUN_FINISHED');
  });

  it('an interrupted run resumes without re-running the steps it finished', async () => {
    const def = await compile(CHAIN);
    const controller = new AbortController();
    const firstAgents = scriptedAgents((r, n) => {
      if (n === 3) {
        // interrupt while s3 is in flight
        controller.abort();
        return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      return { n };
    });
    const first = await run(def, 'Chain', {}, { store: t.store, agents: firstAgents, signal: controller.signal });
    assert.equal(first.summary.status, 'interrupted');
    assert.equal(t.store.getRun(first.summary.runId).status, 'interrupted');
    assert.deepEqual(finished(first.events), ['s1:succeeded', 's2:succeeded']);

    const again = scriptedAgents((r) => ({ n: Number(r.prompt) * 10 }));
    t.store.close(); // as if the process had exited: the run is read back from the file
    const options: RunOptions = { store: t.reopen(), agents: again };
    const resumed = await resumeRun(first.summary.runId, options);
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(again.calls.map((c) => c.stepKey), ['s3', 's4', 's5', 's6'], 's1 and s2 were not called again');
    // s1 and s2 keep their stored outputs (1, 2); s3..s6 answered 30..60
    assert.deepEqual(resumed.outputs, { total: 1 + 2 + 30 + 40 + 50 + 60 });
  });

  it('an interrupt during a short wait stops the run as interrupted, without compensating', async () => {
    const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  step first: Op { prompt: "do" compensate: Op { prompt: "undo" } }
  wait 2s
  step second: Op { prompt: "then" }
}`);
    const controller = new AbortController();
    const agents = scriptedAgents(() => 'done');
    const first = await run(def, 'Main', {}, {
      store: t.store,
      agents,
      signal: controller.signal,
      sleep: (_ms, signal) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(new Error('sleep aborted')));
          controller.abort(); // Ctrl-C while sleeping
        }),
    });
    assert.equal(first.summary.status, 'interrupted');
    assert.ok(!first.events.some((e) => e.type === 'compensation.started'), 'nothing was undone');
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['do']);
    const resumed = await resumeRun(first.summary.runId, { store: t.store, agents, sleep: async () => undefined });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['do', 'then']);
  });

  it('a process killed with SIGKILL mid-run leaves a run that resumes from its last stored step', async function () {
    this.timeout(60_000);
    const def = await compile(CHAIN);
    const definitionFile = path.join(t.dir, 'definition.json');
    writeFileSync(definitionFile, JSON.stringify(def));
    t.store.close(); // the child process owns the store while it runs

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'crash-child.ts'), t.file, definitionFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('called s4')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code) => (out.includes('called s4') ? resolve() : reject(new Error(`child exited ${code} before the crash point: ${err}`))));
    });
    await new Promise((resolve) => child.on('close', resolve));
    assert.equal(out, 'called s1\ncalled s2\ncalled s3\ncalled s4\n');

    const store = t.reopen();
    const [crashed] = store.listRuns();
    assert.equal(crashed.status, 'running', 'the killed run is still marked running');
    assert.deepEqual(
      store.getEvents(crashed.id).filter((e) => e.type === 'step.finished').map((e) => e.type === 'step.finished' && e.step),
      ['s1', 's2', 's3'],
    );
    const again = scriptedAgents((r) => ({ n: Number(r.prompt) * 10 }));
    const resumed = await resumeRun(crashed.id, { store, agents: again });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(again.calls.map((c) => c.stepKey), ['s4', 's5', 's6'], 'steps stored before the crash were not called again');
    assert.deepEqual(resumed.outputs, { total: 1 + 2 + 3 + 40 + 50 + 60 });
  });
});
