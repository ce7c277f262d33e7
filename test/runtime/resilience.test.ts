import assert from 'node:assert/strict';
import { BatonError, stubValueFor } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, tempStore } from './helpers.js';

describe('runtime: retries, timeouts, compensation, stubs', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
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
      if (n <= 2) throw new BatonError('AGENT_ERROR', `transient ${n}`);
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
      throw new BatonError('AGENT_ERROR', 'always');
    });
    const { summary, sleeps, events } = await run(def, 'Main', {}, { store: t.store, agents, random: () => 0.999 });
    assert.equal(summary.status, 'failed');
    assert.equal(agents.calls.length, 4, 'one call plus three retries');
    assert.deepEqual(sleeps, [999, 1998, 3996]);
    const done = events.find((e) => e.type === 'step.finished');
    assert.equal(done?.type === 'step.finished' && done.status, 'failed');
    assert.equal(summary.error?.code, 'AGENT_ERROR');
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
});
