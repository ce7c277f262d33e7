import assert from 'node:assert/strict';
import type { TestDef } from '@baton/protocol';
import { runTests, type BatonError } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENTS = `
agent Worker {
  instructions: "Do the work."
  output: { text: string, score: number, items: string[] }
  stub: { text: "done", score: 5, items: ["a", "b", "c"] }
}
agent Notifier { instructions: "Send a message." stub: "sent" }
`;

for (const kind of STORE_KINDS) {
  describe(`runtime: statements (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('runs steps in order, renders prompts from earlier outputs and inputs, and sets outputs', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input who: string
  output summary: string
  step first: Worker { prompt: "Start for \${input.who}" }
  step second: Notifier { prompt: "First said \${first.output.text} with \${first.output.score}" }
  set output.summary = first.output.text + "/" + second.output
}`);
      const agents = scriptedAgents((r) => (r.agent.name === 'Worker' ? { text: 'hello', score: 7, items: [] } : 'ok'));
      const { summary, events } = await run(def, 'Main', { who: 'Ada' }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { summary: 'hello/ok' });
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['Start for Ada', 'First said hello with 7']);
      assert.deepEqual(finished(events), ['first:succeeded', 'second:succeeded']);
      assert.deepEqual(
        events.map((e) => e.type),
        ['run.started', 'step.started', 'step.finished', 'step.started', 'step.finished', 'output.set', 'run.succeeded'],
      );
      const step = events.find((e) => e.type === 'step.started');
      assert.equal(step?.type === 'step.started' && step.node, 'Main/first', 'events name IR node ids');
      // every event is stored, in order
      assert.deepEqual((await t.store.getEvents(summary.runId)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
      assert.equal((await t.store.getRun(summary.runId)).status, 'succeeded');
    });

    it('calls a sub-flow with its inputs and reads its outputs', async () => {
      const def = await compile(`${AGENTS}
flow Child {
  input topic: string
  output line: string
  step w: Worker { prompt: "About \${input.topic}" }
  set output.line = "child:" + w.output.text
}
flow Parent {
  output got: string
  step sub: Child { input: { topic: "billing" } }
  set output.got = sub.output.line
}`);
      const { summary, events } = await run(def, 'Parent', {}, { store: t.store });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { got: 'child:done' });
      assert.deepEqual(finished(events), ['sub/w:succeeded', 'sub:succeeded']);
    });

    it('takes the first true if branch, else the else, and records the branch', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input n: number
  output path: string
  if input.n > 10 {
    set output.path = "big"
  } else if input.n > 5 {
    set output.path = "medium"
  } else {
    set output.path = "small"
  }
}`);
      for (const [n, expected, branch] of [[20, 'big', 0], [7, 'medium', 1], [1, 'small', 2]] as const) {
        const { summary, events } = await run(def, 'Main', { n }, { store: t.store });
        assert.equal(summary.outputs.path, expected);
        const taken = events.find((e) => e.type === 'branch.taken');
        assert.equal(taken?.type === 'branch.taken' && taken.branch, branch);
      }
    });

    it('switch runs the matching case, a case with several values, or default', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input kind: string
  output path: string
  switch input.kind {
    case "a" { set output.path = "A" }
    case "b", "c" { set output.path = "BC" }
    default { set output.path = "other" }
  }
}`);
      const outputs: unknown[] = [];
      for (const kind of ['a', 'c', 'zzz']) outputs.push((await run(def, 'Main', { kind }, { store: t.store })).summary.outputs.path);
      assert.deepEqual(outputs, ['A', 'BC', 'other']);
    });

    it('a step with when: false is skipped and reads as skipped', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input go: boolean
  output st: string
  step maybe: Worker { prompt: "x" when: input.go }
  set output.st = maybe.status
}`);
      const agents = scriptedAgents(() => ({ text: 't', score: 1, items: [] }));
      const off = await run(def, 'Main', { go: false }, { store: t.store, agents });
      assert.equal(off.summary.outputs.st, 'skipped');
      assert.deepEqual(finished(off.events), ['maybe:skipped']);
      assert.equal(agents.calls.length, 0);
      const on = await run(def, 'Main', { go: true }, { store: t.store, agents });
      assert.equal(on.summary.outputs.st, 'succeeded');
    });

    it('a foreach in a branch that did not run leaves its steps an empty list (0 iterations), also nested and in a test', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input go: boolean
  output count: number
  output fallback: number
  output inner: number[]
  if input.go {
    foreach x in [1, 2, 3] {
      if x > 1 {
        foreach y in [1, 2] {
          step deep: Worker { prompt: "d \${y}" }
        }
      }
      step work: Worker { prompt: "w \${x}" }
    }
  }
  set output.count = len(work)
  set output.fallback = len(work ?? [])
  set output.inner = len(work) > 0 ? [len(deep[0]), len(deep[1]), len(deep[2])] : []
}
test "no iterations" {
  flow: Main
  input: { go: false }
  expect: len(work) == 0 && len(deep) == 0 && output.count == 0
}`);
      const off = await run(def, 'Main', { go: false }, { store: t.store });
      assert.deepEqual(off.summary.outputs, { count: 0, fallback: 0, inner: [] });
      const on = await run(def, 'Main', { go: true }, { store: t.store });
      // the first iteration's inner loop did not run: an empty list, not a skipped step
      assert.deepEqual(on.summary.outputs, { count: 3, fallback: 3, inner: [0, 2, 2] });
      const [result] = await runTests(def, def.tests as TestDef[]);
      assert.equal(result.passed, true, result.message);
    });

    it('parallel runs all branches at once and joins', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output both: string
  parallel {
    step a: Worker { prompt: "a" }
    step b: Worker { prompt: "b" }
    step c: Worker { prompt: "c" }
  }
  set output.both = a.output.text + b.output.text + c.output.text
}`);
      const agents = scriptedAgents(async (r) => {
        await tick(10);
        return { text: r.prompt, score: 1, items: [] };
      });
      const { summary } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.equal(summary.outputs.both, 'abc');
      assert.equal(agents.maxInFlight, 3, 'the three branches were in flight together');
    });

    it('parallel is fail-fast: one failing branch cancels the others and fails the run', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel {
    step slow: Worker { prompt: "slow" }
    step bad: Worker { prompt: "bad" }
  }
  step after: Notifier { prompt: "never" }
}`);
      let slowSignal: AbortSignal | undefined;
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'bad') {
          await tick(5);
          throw Object.assign(new Error('exploded'), { code: 'AGENT_ERROR' });
        }
        slowSignal = r.signal;
        await new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        return null;
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(slowSignal?.aborted, true, 'the sibling call was aborted');
      const statuses = Object.fromEntries(events.filter((e) => e.type === 'step.finished').map((e) => [e.step, e.type === 'step.finished' && e.status]));
      assert.deepEqual(statuses, { bad: 'failed', slow: 'failed' });
      const slow = events.find((e) => e.type === 'step.finished' && e.step === 'slow');
      assert.equal(slow?.type === 'step.finished' && slow.error?.code, 'STEP_CANCELLED');
      assert.ok(!agents.calls.some((c) => c.prompt === 'never'), 'nothing after the parallel ran');
    });

    it('a branch with on error: continue fails alone and the run goes on', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output st: string
  parallel {
    step ok: Worker { prompt: "ok" }
    step flaky: Worker { prompt: "flaky" on error: continue }
  }
  step after: Notifier { prompt: "after \${ok.output.text}" }
  set output.st = flaky.status
}`);
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'flaky') throw new Error('nope');
        return r.agent.name === 'Notifier' ? 'sent' : { text: 'fine', score: 1, items: [] };
      });
      const { summary } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.equal(summary.outputs.st, 'failed');
      assert.ok(agents.calls.some((c) => c.prompt === 'after fine'));
    });

    it('foreach runs one iteration per item, at most `concurrency` at once, and collects the steps in item order', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input systems: string[]
  output first: string
  output count: number
  foreach system in input.systems concurrency 2 {
    step migrate: Worker { prompt: "Migrate \${system}" }
  }
  set output.first = migrate[0].output.text
  set output.count = len(migrate)
}`);
      const agents = scriptedAgents(async (r) => {
        // later items finish first, so item order must come from the loop, not from completion
        await tick(r.prompt.endsWith('a') ? 20 : 2);
        return { text: r.prompt, score: 1, items: [] };
      });
      const { summary, events } = await run(def, 'Main', { systems: ['a', 'b', 'c', 'd', 'e'] }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.equal(agents.maxInFlight, 2);
      assert.equal(summary.outputs.first, 'Migrate a');
      assert.equal(summary.outputs.count, 5);
      assert.deepEqual(finished(events).sort(), ['migrate[0]:succeeded', 'migrate[1]:succeeded', 'migrate[2]:succeeded', 'migrate[3]:succeeded', 'migrate[4]:succeeded']);
    });

    it('repeat stops when until holds, and fails with REPEAT_LIMIT at max', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input target: number
  output score: number
  repeat max 4 {
    step review: Worker { prompt: "review" }
  } until review.output.score >= input.target
  set output.score = review.output.score
}`);
      let calls = 0;
      const agents = scriptedAgents(() => ({ text: 'r', score: ++calls * 3, items: [] }));
      const ok = await run(def, 'Main', { target: 8 }, { store: t.store, agents });
      assert.equal(ok.summary.status, 'succeeded');
      assert.equal(ok.summary.outputs.score, 9, 'the last iteration is read after the loop');
      assert.equal(calls, 3);
      calls = 0;
      const limit = await run(def, 'Main', { target: 100 }, { store: t.store, agents });
      assert.equal(limit.summary.status, 'failed');
      assert.equal(limit.summary.error?.code, 'REPEAT_LIMIT');
      assert.equal(calls, 4);
    });

    it('let names a value; fail ends the run with its message', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input amount: number
  output doubled: number
  let twice = input.amount * 2
  if twice > 100 {
    fail "too much: \${twice}"
  }
  set output.doubled = twice
}`);
      const ok = await run(def, 'Main', { amount: 21 }, { store: t.store });
      assert.deepEqual(ok.summary.outputs, { doubled: 42 });
      const bad = await run(def, 'Main', { amount: 60 }, { store: t.store });
      assert.equal(bad.summary.status, 'failed');
      assert.equal(bad.summary.error?.code, 'FLOW_FAILED');
      assert.equal(bad.summary.error?.message, 'too much: 120');
      assert.equal((await t.store.getRun(bad.summary.runId)).error?.message, 'too much: 120');
    });

    it('events of an if name the IR nodes: the branch decision, then the steps of the branch taken only', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input n: number
  step before: Notifier { prompt: "before" }
  if input.n > 1 {
    step big: Notifier { prompt: "big" }
  } else {
    step small: Notifier { prompt: "small" }
  }
  step after: Notifier { prompt: "after" }
}`);
      const [before, branch, after] = def.flows.Main.body;
      assert.equal(branch.kind, 'if');
      const { summary, events } = await run(def, 'Main', { n: 5 }, { store: t.store });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(
        events.filter((e) => e.type !== 'run.started' && e.type !== 'run.succeeded').map((e) => `${e.type} ${'node' in e ? e.node : ''}`),
        [
          `step.started ${before.id}`,
          `step.finished ${before.id}`,
          `branch.taken ${branch.id}`,
          'step.started Main/big',
          'step.finished Main/big',
          `step.started ${after.id}`,
          `step.finished ${after.id}`,
        ],
      );
      const taken = events.find((e) => e.type === 'branch.taken');
      assert.deepEqual(taken?.type === 'branch.taken' && [taken.branch, taken.label, taken.scope], [0, 'if input.n > 1 → then', '']);
      assert.ok(!events.some((e) => 'step' in e && e.step === 'small'), 'the other branch left no trace');
    });

    it('a switch without default and without a matching case runs nothing and goes on', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input kind: string
  output path: string
  set output.path = "none"
  switch input.kind {
    case "a" { set output.path = "A" }
  }
  step after: Notifier { prompt: "after" }
}`);
      const { summary, events } = await run(def, 'Main', { kind: 'zzz' }, { store: t.store });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { path: 'none' });
      const taken = events.find((e) => e.type === 'branch.taken');
      assert.deepEqual(taken?.type === 'branch.taken' && [taken.branch, taken.label], [-1, 'switch input.kind = "zzz" → no case']);
      assert.deepEqual(finished(events), ['after:succeeded']);
    });

    it('a skipped step has no step.started, only a step.finished with status skipped, and no call', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  step maybe: Notifier { prompt: "x" when: false }
}`);
      const agents = scriptedAgents(() => 'sent');
      const { events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.deepEqual(events.map((e) => e.type), ['run.started', 'step.finished', 'run.succeeded']);
      const skipped = events[1];
      assert.deepEqual(skipped.type === 'step.finished' && [skipped.step, skipped.node, skipped.status, skipped.attempts, skipped.callIndexes], ['maybe', 'Main/maybe', 'skipped', 0, []]);
      assert.equal(agents.calls.length, 0);
    });

    it('foreach without concurrency runs one item at a time, in order; an empty list runs nothing', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input items: string[]
  output n: number
  foreach item in input.items {
    step each: Notifier { prompt: "\${item}" }
  }
  set output.n = len(each)
}`);
      const agents = scriptedAgents(async () => {
        await tick(2);
        return 'sent';
      });
      const { summary, events } = await run(def, 'Main', { items: ['a', 'b', 'c'] }, { store: t.store, agents });
      assert.equal(agents.maxInFlight, 1);
      assert.deepEqual(agents.calls.map((c) => [c.stepKey, c.prompt]), [['each[0]', 'a'], ['each[1]', 'b'], ['each[2]', 'c']]);
      assert.deepEqual(summary.outputs, { n: 3 });
      assert.ok(events.filter((e) => e.type === 'step.started').every((e) => e.type === 'step.started' && e.node === 'Main/each'), 'every iteration names the same IR node');
      const empty = await run(def, 'Main', { items: [] }, { store: t.store, agents });
      assert.equal(empty.summary.status, 'succeeded');
      assert.deepEqual(empty.summary.outputs, { n: 0 });
      assert.deepEqual(finished(empty.events), []);
    });

    it('a failing foreach iteration fails the run and starts no further item', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input items: string[]
  foreach item in input.items {
    step each: Notifier { prompt: "\${item}" }
  }
}`);
      const agents = scriptedAgents((r) => {
        if (r.prompt === 'b') throw new Error('b is broken');
        return 'sent';
      });
      const { summary, events } = await run(def, 'Main', { items: ['a', 'b', 'c', 'd'] }, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['a', 'b']);
      assert.deepEqual(finished(events), ['each[0]:succeeded', 'each[1]:failed']);
      const failed = events.at(-1);
      assert.deepEqual(failed?.type === 'run.failed' && [failed.step, failed.error.message], ['each[1]', 'step each[1] failed: b is broken']);
    });

    it("a sub-flow's failure fails its calling step; with on error: continue the parent goes on", async () => {
      const def = await compile(`${AGENTS}
flow Child {
  output line: string
  step w: Notifier { prompt: "child" }
  fail "child gave up"
}
flow Strict {
  step sub: Child
  step after: Notifier { prompt: "after" }
}
flow Lenient {
  output st: string
  output err: string
  step sub: Child { on error: continue }
  step after: Notifier { prompt: "after" }
  set output.st = sub.status
  set output.err = sub.error.message
}`);
      const strict = await run(def, 'Strict', {}, { store: t.store });
      assert.equal(strict.summary.status, 'failed');
      assert.deepEqual(strict.summary.error, { code: 'FLOW_FAILED', message: 'child gave up' });
      assert.deepEqual(finished(strict.events), ['sub/w:succeeded', 'sub:failed']);
      const lenient = await run(def, 'Lenient', {}, { store: t.store });
      assert.equal(lenient.summary.status, 'succeeded');
      assert.deepEqual(lenient.summary.outputs, { st: 'failed', err: 'child gave up' });
      assert.deepEqual(finished(lenient.events), ['sub/w:succeeded', 'sub:failed', 'after:succeeded']);
    });

    it('fail runs the compensations of the steps done so far, newest first', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  step a: Notifier { prompt: "do a" compensate: Notifier { prompt: "undo a" } }
  step b: Notifier { prompt: "do b" compensate: Notifier { prompt: "undo b" } }
  fail "stop here"
}`);
      const agents = scriptedAgents(() => 'sent');
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.message, 'stop here');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['do a', 'do b', 'undo b', 'undo a']);
      assert.deepEqual(events.slice(-5).map((e) => e.type), ['compensation.started', 'compensation.finished', 'compensation.started', 'compensation.finished', 'run.failed']);
    });

    it('a flow over its token budget fails with BUDGET_EXCEEDED at the step that crossed it', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  budget tokens 100
  step one: Notifier { prompt: "1" }
  step two: Notifier { prompt: "2" }
  step three: Notifier { prompt: "3" }
}`);
      const agents = { calls: 0, async call() {
        this.calls++;
        return { output: 'sent', tokens: 60 };
      } };
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'BUDGET_EXCEEDED');
      assert.equal(agents.calls, 2, 'the third step never ran');
      const failed = events.at(-1);
      assert.equal(failed?.type === 'run.failed' && failed.step, 'two');
    });

    it('inputs: defaults fill in, and a wrong, missing or unknown input is refused before a run is stored', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  input who: string
  input times: number = 2
  input toString: string = "an input named like an Object method"
  output line: string
  set output.line = input.who + " x" + input.times + " / " + input.toString
}`);
      const ok = await run(def, 'Main', { who: 'Ada' }, { store: t.store });
      assert.deepEqual(ok.summary.outputs, { line: 'Ada x2 / an input named like an Object method' });
      assert.deepEqual((await t.store.getRun(ok.summary.runId)).inputs, { who: 'Ada', times: 2, toString: 'an input named like an Object method' });
      const code = async (inputs: Record<string, unknown>, flow = 'Main'): Promise<string> => {
        try {
          await run(def, flow, inputs, { store: t.store });
          return 'started';
        } catch (error) {
          return (error as BatonError).code;
        }
      };
      assert.equal(await code({}), 'INPUT_INVALID');
      assert.equal(await code({ who: 3 }), 'INPUT_INVALID');
      assert.equal(await code({ who: 'Ada', extra: 1 }), 'INPUT_INVALID');
      assert.equal(await code({ who: 'Ada' }, 'Nope'), 'UNKNOWN_FLOW');
      assert.equal((await t.store.listRuns()).length, 1, 'only the valid run was stored');
    });
  });
}
