import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { BatonError, createStubAgents, stubValueFor, type AgentRequest } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

/** `compensation.finished` events as `step:status`, in order. */
function compensated(events: RunEvent[]): string[] {
  return events.filter((e) => e.type === 'compensation.finished').map((e) => `${e.step}:${e.type === 'compensation.finished' && e.status}`);
}

for (const kind of STORE_KINDS) {
  describe(`runtime: retries, timeouts, compensation, stubs (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    const RETRY_FLOW = `
agent Flaky { instructions: "x" output: { ok: boolean } stub: { ok: true } }
flow Main {
  output ok: boolean
  step call: Flaky { prompt: "go" retry: 3 backoff 1s }
  set output.ok = call.output.ok
}`;

    it('retries a failing call with exponential backoff and jitter, then succeeds', async () => {
      const def = await compile(RETRY_FLOW);
      const agents = scriptedAgents((_r, n) => {
        if (n <= 2) throw new BatonError('AGENT_UNAVAILABLE', `transient ${n}`);
        return { ok: true };
      });
      const randoms = [0.5, 0.25];
      const { summary, events, sleeps } = await run(def, 'Main', {}, { store: t.store, agents, random: () => randoms.shift() ?? 0 });
      assert.equal(summary.status, 'succeeded');
      assert.equal(agents.calls.length, 3);
      // delay = random × backoff × 2^(attempt-1): 0.5 × 1000 × 1, then 0.25 × 1000 × 2
      assert.deepEqual(sleeps, [500, 500]);
      const retrying = events.filter((e) => e.type === 'step.retrying');
      assert.deepEqual(retrying.map((e) => e.type === 'step.retrying' && [e.attempt, e.delayMs, e.error.message]), [[1, 500, 'transient 1'], [2, 500, 'transient 2']]);
      const done = events.find((e) => e.type === 'step.finished');
      assert.equal(done?.type === 'step.finished' && done.attempts, 3);
    });

    it('the backoff doubles with each attempt (random fixed at 1)', async () => {
      const def = await compile(RETRY_FLOW);
      const agents = scriptedAgents(() => {
        throw new BatonError('AGENT_RATE_LIMITED', 'always');
      });
      const { summary, sleeps, events } = await run(def, 'Main', {}, { store: t.store, agents, random: () => 0.999 });
      assert.equal(summary.status, 'failed');
      assert.equal(agents.calls.length, 4, 'one call plus three retries');
      assert.deepEqual(sleeps, [999, 1998, 3996]);
      const done = events.find((e) => e.type === 'step.finished');
      assert.equal(done?.type === 'step.finished' && done.status, 'failed');
      assert.equal(summary.error?.code, 'AGENT_RATE_LIMITED');
    });

    it('a step that overruns its timeout is aborted and fails with STEP_TIMEOUT', async () => {
      const def = await compile(`
agent Slow { instructions: "x" stub: "late" }
flow Main {
  step wait_for_it: Slow { prompt: "go" timeout: 50ms }
}`);
      let seen: AbortSignal | undefined;
      const agents = scriptedAgents((r) => {
        seen = r.signal;
        return new Promise(() => undefined); // never answers
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'STEP_TIMEOUT');
      assert.equal(seen?.aborted, true, "the agent call's signal was aborted");
      assert.equal(agents.calls[0].timeoutMs, 50);
      assert.deepEqual(finished(events), ['wait_for_it:failed']);
    });

    it('on failure, compensations run in reverse order of completion and are recorded', async () => {
      const def = await compile(`
agent Op { instructions: "x" output: { detail: string } stub: { detail: "ok" } }
flow Main {
  step a: Op { prompt: "do a" compensate: Op { prompt: "undo a (\${a.output.detail})" } }
  step b: Op { prompt: "do b" compensate: Op { prompt: "undo b" } }
  step c: Op { prompt: "do c" compensate: Op { prompt: "undo c" } }
  step d: Op { prompt: "do d" }
}`);
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'do d') throw new BatonError('AGENT_ERROR', 'd broke');
        return { detail: `${r.prompt} done` };
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['do a', 'do b', 'do c', 'do d', 'undo c', 'undo b', 'undo a (do a done)']);
      const comp = events.filter((e) => e.type === 'compensation.started' || e.type === 'compensation.finished').map((e) => `${e.type}:${'step' in e ? e.step : ''}`);
      assert.deepEqual(comp, [
        'compensation.started:c', 'compensation.finished:c',
        'compensation.started:b', 'compensation.finished:b',
        'compensation.started:a', 'compensation.finished:a',
      ]);
      assert.equal(events.at(-1)?.type, 'run.failed', 'the run fails after compensating');
    });

    it('stub lists answer calls in order, error(...) fails that call, the last item repeats', async () => {
      const def = await compile(`
agent Seq { instructions: "x" output: { n: number } stub: [{ n: 1 }, error("second call fails"), { n: 3 }] }
flow Main {
  output a: number
  output c: number
  output d: number
  step one: Seq { prompt: "1" }
  step two: Seq { prompt: "2" on error: continue }
  step three: Seq { prompt: "3" }
  step four: Seq { prompt: "4" }
  set output.a = one.output.n
  set output.c = three.output.n
  set output.d = four.output.n
}`);
      const { summary, events } = await run(def, 'Main', {}, { store: t.store });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { a: 1, c: 3, d: 3 });
      const two = events.find((e) => e.type === 'step.finished' && e.step === 'two');
      assert.equal(two?.type === 'step.finished' && two.error?.code, 'STUB_ERROR');
      assert.equal(two?.type === 'step.finished' && two.error?.message, 'second call fails');
    });

    it('without a stub, the value is built from the output type, the same on every run', async () => {
      const def = await compile(`
agent Typed {
  model: "openai/gpt-4o-mini"
  instructions: "x"
  output: { name: string, level: "LOW" | "HIGH", score: number, ok: boolean, tags: string[], note?: string }
}
flow Main {
  output v: any
  step s: Typed { prompt: "x" }
  set output.v = s.output
}`);
      const first = await run(def, 'Main', {}, { store: t.store });
      const second = await run(def, 'Main', {}, { store: t.store });
      const expected = { name: 'Typed.name', level: 'LOW', score: 0, ok: true, tags: ['Typed.tags[0]'] };
      assert.deepEqual(first.summary.outputs.v, expected);
      assert.deepEqual(second.summary.outputs.v, expected);
      assert.deepEqual(stubValueFor(def.agents.Typed), expected);
    });

    it('retries count as stub calls: error items fail the first attempts, the step succeeds with its attempts recorded', async () => {
      const def = await compile(`
agent Flaky { instructions: "x" output: { ok: boolean } stub: [error("rate limited"), error("still limited"), { ok: true }] }
flow Main {
  output attempts: number
  output ok: boolean
  step call: Flaky { prompt: "go" retry: 2 backoff 200ms }
  set output.attempts = call.attempts
  set output.ok = call.output.ok
}`);
      const { summary, events, sleeps } = await run(def, 'Main', {}, { store: t.store, random: () => 0.5 });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { attempts: 3, ok: true });
      assert.deepEqual(sleeps, [100, 200]);
      assert.deepEqual(
        events.filter((e) => e.type === 'step.retrying').map((e) => e.type === 'step.retrying' && [e.attempt, e.callIndex, e.error.code, e.error.message]),
        [[1, 0, 'STUB_ERROR', 'rate limited'], [2, 1, 'STUB_ERROR', 'still limited']],
      );
      const done = events.find((e) => e.type === 'step.finished');
      assert.deepEqual(done?.type === 'step.finished' && [done.status, done.attempts, done.callIndexes], ['succeeded', 3, [0, 1, 2]]);
    });

    it("an agent's timeout and retry are defaults for its steps; a step's own setting wins", async () => {
      const def = await compile(`
agent Slowish { instructions: "x" stub: "ok" timeout: 40ms retry: 1 backoff 10ms }
flow Main {
  step inherits: Slowish { prompt: "a" }
  step overrides: Slowish { prompt: "b" timeout: 30s retry: 0 }
}`);
      const seen: { step: string; timeoutMs?: number; aborted?: boolean }[] = [];
      const agents = scriptedAgents((r: AgentRequest) => {
        const entry: { step: string; timeoutMs?: number; aborted?: boolean } = { step: r.stepKey, timeoutMs: r.timeoutMs };
        seen.push(entry);
        // the first call of `inherits` hangs until its 40 ms timeout aborts it; every other call answers
        if (seen.length === 1) {
          return new Promise((_, reject) => r.signal.addEventListener('abort', () => {
            entry.aborted = true;
            reject(new Error('aborted'));
          }));
        }
        return 'ok';
      });
      const { summary, events, sleeps } = await run(def, 'Main', {}, { store: t.store, agents, random: () => 1 });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(seen, [
        { step: 'inherits', timeoutMs: 40, aborted: true },
        { step: 'inherits', timeoutMs: 40 },
        { step: 'overrides', timeoutMs: 30_000 },
      ]);
      assert.deepEqual(sleeps, [10]);
      const retrying = events.find((e) => e.type === 'step.retrying');
      assert.equal(retrying?.type === 'step.retrying' && retrying.error.code, 'STEP_TIMEOUT', 'the timed-out attempt was retried');
    });

    it('every attempt that overruns its timeout is aborted; the step fails with STEP_TIMEOUT after the last', async () => {
      const def = await compile(`
agent Hang { instructions: "x" stub: "never" }
flow Main {
  step h: Hang { prompt: "go" timeout: 30ms retry: 1 }
}`);
      const signals: AbortSignal[] = [];
      const agents = scriptedAgents((r) => {
        signals.push(r.signal);
        return new Promise(() => undefined);
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'STEP_TIMEOUT');
      assert.equal(signals.length, 2);
      assert.ok(signals.every((s) => s.aborted));
      const done = events.find((e) => e.type === 'step.finished');
      assert.deepEqual(done?.type === 'step.finished' && [done.status, done.attempts, done.error?.code], ['failed', 2, 'STEP_TIMEOUT']);
    });

    it('compensations follow the order of completion, not of declaration (parallel branches)', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  parallel {
    step first_declared: Op { prompt: "do 1" compensate: Op { prompt: "undo 1" } }
    step second_declared: Op { prompt: "do 2" compensate: Op { prompt: "undo 2" } }
  }
  step boom: Op { prompt: "boom" }
}`);
      // "do 1" answers only after "do 2" has finished, so completion order is 2, 1
      let secondFinished!: () => void;
      const secondDone = new Promise<void>((resolve) => (secondFinished = resolve));
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'do 1') await secondDone;
        if (r.prompt === 'boom') throw new BatonError('AGENT_ERROR', 'boom');
        return 'done';
      });
      const { summary, events } = await run(def, 'Main', {}, {
        store: t.store,
        agents,
        onEvent: (e) => {
          if (e.type === 'step.finished' && e.step === 'second_declared') secondFinished();
        },
      });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(finished(events), ['second_declared:succeeded', 'first_declared:succeeded', 'boom:failed']);
      assert.deepEqual(compensated(events), ['first_declared:succeeded', 'second_declared:succeeded']);
      assert.deepEqual(agents.calls.slice(-2).map((c) => c.prompt), ['undo 1', 'undo 2']);
    });

    it('a failing compensation is recorded and the others still run; the run keeps its original error', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  step a: Op { prompt: "do a" compensate: Op { prompt: "undo a" } }
  step b: Op { prompt: "do b" compensate: Op { prompt: "undo b" } }
  step skipped: Op { prompt: "never" when: false compensate: Op { prompt: "undo skipped" } }
  step c: Op { prompt: "do c" on error: continue compensate: Op { prompt: "undo c" } }
  step d: Op { prompt: "do d" }
}`);
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'undo b' || r.prompt === 'do c') throw new BatonError('AGENT_ERROR', `${r.prompt} failed`);
        if (r.prompt === 'do d') throw new BatonError('AGENT_ERROR', 'd failed');
        return 'done';
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(summary.error, { code: 'AGENT_ERROR', message: 'step d failed: d failed' });
      assert.deepEqual(compensated(events), ['b:failed', 'a:succeeded'], 'only steps that succeeded are undone');
      const failedComp = events.find((e) => e.type === 'compensation.finished' && e.step === 'b');
      assert.deepEqual(failedComp?.type === 'compensation.finished' && failedComp.error, { code: 'AGENT_ERROR', message: 'undo b failed' });
      const last = events.at(-1);
      assert.deepEqual(last?.type === 'run.failed' && [last.step, last.error.code], ['d', 'AGENT_ERROR']);
    });

    it('foreach iterations are compensated newest first, each with its own item', async () => {
      const def = await compile(`
agent Op { instructions: "x" stub: "done" }
flow Main {
  input systems: string[]
  foreach system in input.systems {
    step migrate: Op { prompt: "migrate \${system}" compensate: Op { prompt: "roll back \${system}" } }
  }
  fail "verification failed"
}`);
      const agents = scriptedAgents(() => 'done');
      const { summary, events } = await run(def, 'Main', { systems: ['crm', 'billing', 'erp'] }, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(agents.calls.slice(3).map((c) => [c.stepKey, c.prompt]), [
        ['migrate[2]', 'roll back erp'],
        ['migrate[1]', 'roll back billing'],
        ['migrate[0]', 'roll back crm'],
      ]);
      assert.deepEqual(compensated(events), ['migrate[2]:succeeded', 'migrate[1]:succeeded', 'migrate[0]:succeeded']);
      assert.ok(events.filter((e) => e.type === 'compensation.started').every((e) => e.type === 'compensation.started' && e.node === 'Main/migrate'));
    });

    it('compensations take their stub items from the same per-agent call sequence as steps', async () => {
      const def = await compile(`
agent Op { instructions: "x" output: { n: number } stub: [{ n: 1 }, { n: 2 }, error("third call fails"), { n: 4 }, { n: 5 }] }
flow Main {
  step a: Op { prompt: "a" compensate: Op { prompt: "undo a" } }
  step b: Op { prompt: "b" compensate: Op { prompt: "undo b" } }
  step c: Op { prompt: "c" }
}`);
      const { summary, events } = await run(def, 'Main', {}, { store: t.store });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'STUB_ERROR');
      const comps = events.filter((e) => e.type === 'compensation.finished');
      assert.deepEqual(comps.map((e) => e.type === 'compensation.finished' && [e.step, e.callIndexes, e.output]), [
        ['b', [3], { n: 4 }],
        ['a', [4], { n: 5 }],
      ]);
    });

    it('stubOverrides replace an agent stub for a run; the stub caller repeats the last item and honours an aborted signal', async () => {
      const def = await compile(`
agent Seq { instructions: "x" output: { n: number } stub: { n: 1 } }
flow Main {
  output ns: number[]
  step a: Seq { prompt: "a" }
  step b: Seq { prompt: "b" }
  step c: Seq { prompt: "c" }
  set output.ns = [a.output.n, b.output.n, c.output.n]
}`);
      const own = await run(def, 'Main', {}, { store: t.store });
      assert.deepEqual(own.summary.outputs, { ns: [1, 1, 1] });
      const overridden = await run(def, 'Main', {}, { store: t.store, stubOverrides: { Seq: { items: [{ kind: 'value', value: { n: 7 } }, { kind: 'value', value: { n: 8 } }] } } });
      assert.deepEqual(overridden.summary.outputs, { ns: [7, 8, 8] });

      const stub = createStubAgents();
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(
        stub.call({ agent: def.agents.Seq, stepKey: 'a', prompt: '', callIndex: 0, runId: 'r', idempotencyKey: 'r/a/0', signal: aborted.signal }),
        (e: BatonError) => e.code === 'STEP_CANCELLED',
      );
    });
  });
}
