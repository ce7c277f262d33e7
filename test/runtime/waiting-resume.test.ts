import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentRequest, type BatonError, createStubAgents, resumeRun, type RunOptions } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

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

for (const kind of STORE_KINDS) {
  describe(`runtime: waiting, resuming, interruption (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
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
      const stored = await t.store.getRun(first.summary.runId);
      assert.equal(stored.status, 'waiting');
      assert.equal(stored.waitingOn.length, 1);
      await assert.rejects(t.store.recordDecision(first.summary.runId, 'nope', { decision: 'approved' }), (e: BatonError) => e.code === 'TASK_NOT_WAITING' && /waiting: signoff/.test(e.message));
      await assert.rejects(t.store.recordDecision(first.summary.runId, 'signoff', { decision: 'maybe' }), (e: BatonError) => e.code === 'DECISION_INVALID');

      await t.store.recordDecision(first.summary.runId, 'signoff', { decision: 'edit', by: 'ada' });
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

    it('wait event stops the run until the event is delivered; the delivery is logged with its data', async () => {
      const def = await compile(`
agent Worker { instructions: "x" stub: "done" }
flow Main {
  output paid: boolean
  step invoice: Worker { prompt: "invoice" }
  wait event "payment.received"
  step ship: Worker { prompt: "ship" }
  set output.paid = true
}`);
      const agents = scriptedAgents(() => 'done');
      const first = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(first.summary.status, 'waiting');
      const node = def.flows.Main.body[1].id;
      assert.deepEqual(first.summary.waitingOn, [{ kind: 'event', key: `event@${node}`, node, event: 'payment.received', deadline: undefined }]);
      assert.deepEqual(first.events.slice(-2).map((e) => e.type), ['event.waiting', 'run.waiting']);
      await assert.rejects(t.store.recordSignal(first.summary.runId, 'other.event', {}), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED' && e.message.includes('payment.received'));

      // resuming before the event arrives keeps it waiting, without asking again
      const early = await resumeRun(first.summary.runId, { store: t.store, agents });
      assert.equal(early.status, 'waiting');
      await t.store.recordSignal(first.summary.runId, 'payment.received', { amount: 10 });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { paid: true });
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['invoice', 'ship']);
      const log = await t.store.getEvents(first.summary.runId);
      assert.equal(log.filter((e) => e.type === 'event.waiting').length, 1);
      const received = log.find((e) => e.type === 'event.received');
      assert.deepEqual(received?.type === 'event.received' && [received.event, received.data, received.key], ['payment.received', { amount: 10 }, `event@${node}`]);
    });

    it('wait event with a timeout goes on without the event once its deadline has passed', async () => {
      const def = await compile(`
flow Main {
  output done: boolean
  wait event "payment.received" timeout 2d
  set output.done = true
}`);
      let clock = Date.parse('2026-03-01T00:00:00Z');
      const now = (): Date => new Date(clock);
      const first = await run(def, 'Main', {}, { store: t.store, now });
      assert.equal(first.summary.status, 'waiting');
      assert.equal(first.summary.waitingOn[0].kind === 'event' && first.summary.waitingOn[0].deadline, '2026-03-03T00:00:00.000Z');
      clock += 2 * 86_400_000;
      const resumed = await resumeRun(first.summary.runId, { store: t.store, now });
      assert.equal(resumed.status, 'succeeded');
      const received = (await t.store.getEvents(first.summary.runId)).find((e) => e.type === 'event.received');
      assert.deepEqual(received?.type === 'event.received' && [received.data, received.timedOut], [null, true]);
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
      assert.equal(await t.store.requestCancel(first.summary.runId, 'ada'), 'cancelled');
      assert.equal((await t.store.getRun(first.summary.runId)).status, 'cancelled');
      assert.deepEqual((await t.store.getEvents(first.summary.runId)).slice(-2).map((e) => e.type), ['cancel.requested', 'run.cancelled']);
      assert.equal((await t.store.getRun(first.summary.runId)).finishedAt, (await t.store.getEvents(first.summary.runId)).at(-1)!.time);
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
      assert.equal((await t.store.getRun(first.summary.runId)).status, 'interrupted');
      assert.deepEqual(finished(first.events), ['s1:succeeded', 's2:succeeded']);

      const again = scriptedAgents((r) => ({ n: Number(r.prompt) * 10 }));
      await t.store.close(); // as if the process had exited: the run is read back from the store
      const options: RunOptions = { store: await t.open(), agents: again };
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

    it(`a process killed with SIGKILL mid-run leaves a run that resumes from its last stored step${kind.name === 'SQLite' ? ' (SQLite: past the lock the dead process left)' : ''}`, async function () {
      this.timeout(60_000);
      const def = await compile(CHAIN);
      const definitionFile = path.join(t.dir, 'definition.json');
      writeFileSync(definitionFile, JSON.stringify(def));
      await t.store.close(); // the child process owns the store while it runs

      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'crash-child.ts'), t.location, definitionFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('called s4')) child.kill('SIGKILL');
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, sig) => resolve([c, sig])));
      assert.equal(signal, 'SIGKILL', `the child was killed mid-run (exit ${code}): ${out}${err}`);
      assert.equal(out, 'called s1\ncalled s2\ncalled s3\ncalled s4\n');
      // SQLite: the killed process still held the database lock: the store must recognise it as stale
      if (kind.name === 'SQLite') assert.ok(existsSync(`${t.location}.lock`), 'the dead process left its lock behind');

      const store = await t.open();
      const [crashed] = await store.listRuns();
      assert.equal(crashed.status, 'running', 'the killed run is still marked running');
      const before = await store.getEvents(crashed.id);
      assert.deepEqual(
        before.filter((e) => e.type === 'step.finished').map((e) => e.type === 'step.finished' && `${e.step}:${e.status}`),
        ['s1:succeeded', 's2:succeeded', 's3:succeeded'],
      );
      assert.deepEqual(before.filter((e) => e.type === 'step.started').map((e) => e.type === 'step.started' && e.step), ['s1', 's2', 's3', 's4']);
      const again = scriptedAgents((r) => ({ n: Number(r.prompt) * 10 }));
      const resumed = await resumeRun(crashed.id, { store, agents: again });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(again.calls.map((c) => c.stepKey), ['s4', 's5', 's6'], 'steps stored before the crash were not called again');
      assert.deepEqual(resumed.outputs, { total: 1 + 2 + 3 + 40 + 50 + 60 });
      const log = await store.getEvents(crashed.id);
      assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1), 'the log stays one gap-free sequence');
      assert.equal(log.filter((e) => e.type === 'step.finished').length, 6, 'no step finished twice');
    });

    it('two approvals in parallel wait together; each decision resumes only what it unblocks', async () => {
      const def = await compile(`
flow Main {
  output verdict: string
  parallel {
    approval legal { prompt: "Legal ok?" assignee: "legal" }
    approval finance { prompt: "Finance ok?" assignee: "cfo" }
  }
  set output.verdict = legal.output.decision + "/" + finance.output.decision
}`);
      const first = await run(def, 'Main', {}, { store: t.store });
      assert.equal(first.summary.status, 'waiting');
      assert.deepEqual(first.summary.waitingOn.map((w) => w.kind === 'approval' && `${w.task}@${w.assignee}`).sort(), ['finance@cfo', 'legal@legal']);
      await t.store.recordDecision(first.summary.runId, 'legal', { decision: 'approved' });
      const half = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(half.status, 'waiting');
      assert.deepEqual(half.waitingOn.map((w) => w.kind === 'approval' && w.task), ['finance']);
      await t.store.recordDecision(first.summary.runId, 'finance', { decision: 'rejected', comment: 'too expensive' });
      const done = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.outputs, { verdict: 'approved/rejected' });
      const log = await t.store.getEvents(first.summary.runId);
      assert.equal(log.filter((e) => e.type === 'approval.requested').length, 2, 'each approval was requested once');
      assert.deepEqual(log.filter((e) => e.type === 'approval.decided').map((e) => e.type === 'approval.decided' && [e.task, e.decision, e.comment]), [
        ['legal', 'approved', undefined],
        ['finance', 'rejected', 'too expensive'],
      ]);
    });

    it('approvals inside a foreach and a sub-flow are addressed by item and by calling step', async () => {
      const def = await compile(`
flow Review {
  input doc: string
  output decision: string
  approval check { prompt: "Review \${input.doc}" }
  set output.decision = check.output.decision
}
flow Main {
  output decisions: string[]
  foreach doc in ["a", "b"] {
    step review: Review { input: { doc: doc } }
  }
  set output.decisions = [review[0].output.decision, review[1].output.decision]
}`);
      const first = await run(def, 'Main', {}, { store: t.store });
      assert.equal(first.summary.status, 'waiting');
      assert.deepEqual(first.summary.waitingOn.map((w) => w.kind === 'approval' && [w.task, w.prompt]), [['review[0]/check', 'Review a']]);
      await t.store.recordDecision(first.summary.runId, 'review[0]/check', { decision: 'approved' });
      const second = await resumeRun(first.summary.runId, { store: t.store });
      assert.deepEqual(second.waitingOn.map((w) => w.kind === 'approval' && w.task), ['review[1]/check']);
      await t.store.recordDecision(first.summary.runId, 'review[1]/check', { decision: 'rejected' });
      const done = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.outputs, { decisions: ['approved', 'rejected'] });
    });

    it('a decision recorded by another store handle (another process) is picked up by a long-lived one', async () => {
      const def = await compile(`
agent Worker { instructions: "x" stub: "done" }
flow Main {
  output decision: string
  step prepare: Worker { prompt: "prepare" }
  approval ok { prompt: "ok?" }
  step after: Worker { prompt: "after" }
  set output.decision = ok.output.decision
}`);
      const first = await run(def, 'Main', {}, { store: t.store });
      assert.equal(first.summary.status, 'waiting');
      const other = await t.open(); // as `baton approve` would, from another process
      await other.recordDecision(first.summary.runId, 'ok', { decision: 'approved', by: 'ada' });
      await other.close();
      const resumed = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
      assert.deepEqual(resumed.outputs, { decision: 'approved' });
      const log = await t.store.getEvents(first.summary.runId);
      assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
      assert.equal(log.filter((e) => e.type === 'approval.decided').length, 1);
    });

    it('cancelling a running run stops it at its next step, without compensating', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  step one: Op { prompt: "one" compensate: Op { prompt: "undo one" } }
  step two: Op { prompt: "two" }
  step three: Op { prompt: "three" }
}`);
      let runId = '';
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'two') {
          assert.equal(await t.store.requestCancel(runId, 'ada'), 'running', 'a running run is only asked to stop');
          await tick(150); // the engine looks for cancel requests at most every 100 ms
        }
        return 'done';
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents, onEvent: (e) => (runId = e.runId) });
      assert.equal(summary.status, 'cancelled');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['one', 'two'], 'three never ran, nothing was undone');
      assert.deepEqual(finished(events), ['one:succeeded', 'two:succeeded']);
      assert.equal(events.at(-1)?.type, 'run.cancelled');
      const stored = await t.store.getRun(summary.runId);
      assert.equal(stored.status, 'cancelled');
      assert.equal(stored.finishedAt, events.at(-1)!.time, "finishedAt is the run.cancelled event's time");
      assert.deepEqual((await t.store.getEvents(summary.runId)).filter((e) => e.type === 'cancel.requested').map((e) => e.type === 'cancel.requested' && e.by), ['ada']);
      await assert.rejects(resumeRun(summary.runId, { store: t.store }), (e: BatonError) => e.code === 'RUN_FINISHED');
    });

    it('a cancel from another process reaches a running run without corrupting its log', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  step one: Op { prompt: "one" }
  step two: Op { prompt: "two" }
  step three: Op { prompt: "three" }
}`);
      let runId = '';
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'two') {
          const other = await t.open(); // as `baton cancel` would, from another terminal
          assert.equal(await other.requestCancel(runId), 'running');
          await other.close();
          await tick(150);
        }
        return 'done';
      });
      const { summary } = await run(def, 'Main', {}, { store: t.store, agents, onEvent: (e) => (runId = e.runId) });
      assert.equal(summary.status, 'cancelled');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['one', 'two']);
      const log = await t.store.getEvents(summary.runId);
      assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
      assert.deepEqual(log.map((e) => e.type), ['run.started', 'step.started', 'step.finished', 'step.started', 'cancel.requested', 'step.finished', 'run.cancelled']);
    });

    it('an interrupted foreach resumes with the items it had not finished', async () => {
      const def = await compile(`
agent Worker { instructions: "x" output: { n: number } stub: { n: 0 } }
flow Main {
  input items: string[]
  output ns: number[]
  foreach item in input.items concurrency 2 {
    step work: Worker { prompt: "\${item}" }
  }
  set output.ns = [work[0].output.n, work[1].output.n, work[2].output.n, work[3].output.n]
}`);
      const controller = new AbortController();
      const firstAgents = scriptedAgents((r) => {
        if (r.prompt === 'c') {
          controller.abort(); // Ctrl-C while c is in flight (a and b are done)
          return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return { n: r.prompt.charCodeAt(0) };
      });
      const first = await run(def, 'Main', { items: ['a', 'b', 'c', 'd'] }, { store: t.store, agents: firstAgents, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      assert.deepEqual(finished(first.events).sort(), ['work[0]:succeeded', 'work[1]:succeeded']);
      const again = scriptedAgents((r) => ({ n: r.prompt.charCodeAt(0) + 100 }));
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(again.calls.map((c) => c.stepKey).sort(), ['work[2]', 'work[3]']);
      assert.deepEqual(resumed.outputs, { ns: [97, 98, 199, 200] });
    });

    it('an interrupted sub-flow resumes inside the sub-flow, keeping its finished steps', async () => {
      const def = await compile(`
agent Worker { instructions: "x" output: { n: number } stub: { n: 0 } }
flow Child {
  output sum: number
  step x: Worker { prompt: "x" }
  step y: Worker { prompt: "y" }
  set output.sum = x.output.n + y.output.n
}
flow Main {
  output sum: number
  step before: Worker { prompt: "before" }
  step sub: Child
  set output.sum = before.output.n + sub.output.sum
}`);
      const controller = new AbortController();
      const firstAgents = scriptedAgents((r, n) => {
        if (r.stepKey === 'sub/y') {
          controller.abort();
          return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return { n };
      });
      const first = await run(def, 'Main', {}, { store: t.store, agents: firstAgents, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      assert.deepEqual(finished(first.events), ['before:succeeded', 'sub/x:succeeded']);
      const again = scriptedAgents(() => ({ n: 100 }));
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(again.calls.map((c) => c.stepKey), ['sub/y']);
      assert.deepEqual(resumed.outputs, { sum: 1 + 2 + 100 });
    });

    it('a resumed run with stub agents continues each stub list where it stopped: same result as a run never interrupted', async () => {
      const def = await compile(`
agent Counter { instructions: "x" output: { n: number } stub: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }] }
flow Main {
  output ns: number[]
  step a: Counter { prompt: "a" }
  step b: Counter { prompt: "b" }
  step c: Counter { prompt: "c" }
  step d: Counter { prompt: "d" }
  set output.ns = [a.output.n, b.output.n, c.output.n, d.output.n]
}`);
      const straight = await run(def, 'Main', {}, { store: t.store });
      assert.deepEqual(straight.summary.outputs, { ns: [1, 2, 3, 4] });

      const controller = new AbortController();
      const stub = createStubAgents();
      const interrupting = {
        call: (request: AgentRequest) => {
          if (request.stepKey === 'c') {
            controller.abort();
            return new Promise<never>((_, reject) => request.signal.addEventListener('abort', () => reject(new Error('aborted'))));
          }
          return stub.call(request);
        },
      };
      const first = await run(def, 'Main', {}, { store: t.store, agents: interrupting, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      const resumed = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, straight.summary.outputs);
    });

    it('after a resume, a failure compensates the steps finished before the interruption too, newest first', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  step a: Op { prompt: "do a" compensate: Op { prompt: "undo a" } }
  step b: Op { prompt: "do b" compensate: Op { prompt: "undo b" } }
  step c: Op { prompt: "do c" compensate: Op { prompt: "undo c" } }
  step d: Op { prompt: "do d" }
}`);
      const controller = new AbortController();
      const firstAgents = scriptedAgents((r) => {
        if (r.prompt === 'do c') {
          controller.abort();
          return new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return 'done';
      });
      const first = await run(def, 'Main', {}, { store: t.store, agents: firstAgents, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      const again = scriptedAgents((r) => {
        if (r.prompt === 'do d') throw new Error('d broke');
        return 'done';
      });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again });
      assert.equal(resumed.status, 'failed');
      assert.deepEqual(again.calls.map((c) => c.prompt), ['do c', 'do d', 'undo c', 'undo b', 'undo a']);
    });

    it('a foreach iteration that waits keeps its slot: no more than `concurrency` iterations are under way', async () => {
      const def = await compile(`
agent Worker { instructions: "x" stub: "done" }
flow Main {
  foreach item in ["a", "b", "c"] concurrency 2 {
    step prepare: Worker { prompt: "\${item}" }
    wait 1d
  }
}`);
      let clock = Date.parse('2026-01-01T00:00:00Z');
      const now = (): Date => new Date(clock);
      const agents = scriptedAgents(() => 'done');
      const first = await run(def, 'Main', {}, { store: t.store, agents, now });
      assert.equal(first.summary.status, 'waiting');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['a', 'b'], 'c waits for a free slot');
      assert.equal(first.summary.waitingOn.length, 2);
      clock += 86_400_000;
      const second = await resumeRun(first.summary.runId, { store: t.store, agents, now });
      assert.equal(second.status, 'waiting');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['a', 'b', 'c']);
      clock += 86_400_000;
      const done = await resumeRun(first.summary.runId, { store: t.store, agents, now });
      assert.equal(done.status, 'succeeded');
      assert.equal(agents.calls.length, 3);
    });
  });
}
