import assert from 'node:assert/strict';
import { MAX_FLOW_DEPTH, MAX_FLOW_DEPTH_LIMIT, MAX_OUTPUT_DEPTH, resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, tempStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

for (const kind of STORE_KINDS) {
  describe(`runtime: sub-flow calls nest at most MAX_FLOW_DEPTH deep (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    // (the checker refuses a flow that calls itself with nothing around the call — unbounded-recursion —, so these
    // flows have a condition that could stop them, and is true at every depth)
    it('a flow whose recursion never stops fails cleanly with FLOW_DEPTH_EXCEEDED at depth 65, stored as failed with that code', async () => {
      const def = await compile(`
flow R {
  input go: boolean
  output x: number
  step again: R { input: { go: input.go } when: input.go }
  set output.x = again.output.x ?? 0
}`);
      const { summary, events } = await run(def, 'R', { go: true }, { store: t.store });
      assert.equal(MAX_FLOW_DEPTH, 64);
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'FLOW_DEPTH_EXCEEDED');
      assert.equal(summary.error?.message, `step again would call flow R at sub-flow depth 65, deeper than the limit of 64 (limits.maxFlowDepth in baton.config.json); a flow that calls itself needs a condition (if, when) that stops it`);
      // 64 nested calls started; the 65th level's step is the one that failed first, then every caller
      const failed = events.filter((e) => e.type === 'step.finished' && e.status === 'failed');
      assert.equal(failed.length, 65);
      assert.ok(failed.every((e) => e.type === 'step.finished' && e.error?.code === 'FLOW_DEPTH_EXCEEDED'));
      assert.equal(failed[0].type === 'step.finished' && failed[0].step, Array(65).fill('again').join('/'));
      const stored = await t.store.getRun(summary.runId);
      assert.equal(stored.status, 'failed');
      assert.equal(stored.error?.code, 'FLOW_DEPTH_EXCEEDED');
    });

    it('a cycle through an agent call (A calls B calls A, each calling an agent) stops at the bound: the agent is called once per level, 65 times', async () => {
      const def = await compile(`
agent Work { stub: "w" }
flow A {
  input go: boolean
  step work: Work { prompt: "a" }
  step b: B { input: { go: input.go } when: input.go }
}
flow B {
  input go: boolean
  step work: Work { prompt: "b" }
  if input.go {
    step a: A { input: { go: input.go } }
  }
}`);
      const agents = scriptedAgents(() => 'w');
      const { summary } = await run(def, 'A', { go: true }, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'FLOW_DEPTH_EXCEEDED');
      assert.equal(agents.calls.length, MAX_FLOW_DEPTH + 1);
      assert.match(summary.error!.message, /^step [ab] would call flow [AB] at sub-flow depth 65/);
    });

    it('recursion with a base case (an if around the call) runs to its end within the bound, and fails with the code beyond it', async () => {
      const def = await compile(`
flow Count {
  input n: number
  output total: number
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.total = 0
  }
}`);
      const within = await run(def, 'Count', { n: MAX_FLOW_DEPTH }, { store: t.store });
      assert.equal(within.summary.status, 'succeeded');
      assert.deepEqual(within.summary.outputs, { total: MAX_FLOW_DEPTH });
      const beyond = await run(def, 'Count', { n: MAX_FLOW_DEPTH + 1 }, { store: t.store });
      assert.equal(beyond.summary.status, 'failed');
      assert.equal(beyond.summary.error?.code, 'FLOW_DEPTH_EXCEEDED');
    });
  });
}

const COUNT = `
flow Count {
  input n: number
  output total: number
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.total = 0
  }
}`;

describe('runtime: limits.maxFlowDepth (the run\'s sub-flow depth bound)', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('at its largest, 1000, a flow recurses 1000 levels to its end, and one level more fails with FLOW_DEPTH_EXCEEDED — a run failure, never a stack overflow', async () => {
    const def = await compile(COUNT);
    assert.equal(MAX_FLOW_DEPTH_LIMIT, 1000);
    const within = await run(def, 'Count', { n: 1000 }, { store: t.store, maxFlowDepth: 1000 });
    assert.equal(within.summary.status, 'succeeded');
    assert.deepEqual(within.summary.outputs, { total: 1000 });
    const beyond = await run(def, 'Count', { n: 1001 }, { store: t.store, maxFlowDepth: 1000 });
    assert.equal(beyond.summary.status, 'failed');
    assert.equal(beyond.summary.error?.code, 'FLOW_DEPTH_EXCEEDED');
    assert.match(beyond.summary.error!.message, /^step next would call flow Count at sub-flow depth 1001, deeper than the limit of 1000 \(limits\.maxFlowDepth in baton\.config\.json\)/);
    assert.equal(beyond.events.filter((e) => e.type === 'step.finished' && e.status === 'failed').length, 1001);
  });

  it('a sub-flow level costs no synchronous stack: the innermost level of a 100-deep recursion runs on a stack as shallow as that of a 2-deep one', async () => {
    // each level used to run its body on its caller's stack (step → subflowStep → ownedBlock → block → statement
    // → …, 9 frames a level, nothing awaited in between), so 1000 levels overflowed the stack depending on how the
    // JIT sized those frames. The stack is read where the innermost level calls now() (synchronously, from `set`).
    const def = await compile(`
flow Count {
  input n: number
  output total: number
  output at: string
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.at = now()
    set output.total = 0
  }
}`);
    const depthAtBase = async (n: number): Promise<number> => {
      let frames = 0;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = Infinity;
      try {
        const now = (): Date => {
          frames = Math.max(frames, new Error().stack!.split('\n').filter((line) => !line.trimStart().startsWith('at async ')).length);
          return new Date(0);
        };
        const { summary } = await run(def, 'Count', { n }, { store: t.store, maxFlowDepth: 1000, now });
        assert.equal(summary.status, 'succeeded');
        assert.equal((summary.outputs as { total: number }).total, n);
      } finally {
        Error.stackTraceLimit = limit;
      }
      return frames;
    };
    const shallow = await depthAtBase(2);
    const deep = await depthAtBase(100);
    assert.ok(shallow > 0);
    assert.equal(deep, shallow, `the innermost of 100 levels ran ${deep} frames deep, of 2 levels ${shallow}`);
  });

  it('a lower bound stops the run at it; the bound is recorded on run.started (the default is not)', async () => {
    const def = await compile(COUNT);
    const low = await run(def, 'Count', { n: 3 }, { store: t.store, maxFlowDepth: 2 });
    assert.equal(low.summary.error?.code, 'FLOW_DEPTH_EXCEEDED');
    const started = low.events.find((e) => e.type === 'run.started');
    assert.equal(started?.type === 'run.started' && started.maxFlowDepth, 2);
    const usual = await run(def, 'Count', { n: 3 }, { store: t.store });
    assert.equal(usual.summary.status, 'succeeded');
    const plain = usual.events.find((e) => e.type === 'run.started');
    assert.equal(plain?.type === 'run.started' && 'maxFlowDepth' in plain, false);
  });

  it('a resumed run keeps the bound it started with, whatever the caller now says', async () => {
    const def = await compile(`${COUNT}
flow Top {
  output total: number
  approval go { prompt: "go?" }
  step count: Count { input: { n: 3 } }
  set output.total = count.output.total
}`);
    for (const [startedWith, status] of [[2, 'failed'], [5, 'succeeded']] as const) {
      const first = await run(def, 'Top', {}, { store: t.store, maxFlowDepth: startedWith });
      assert.equal(first.summary.status, 'waiting');
      await t.store.recordDecision(first.summary.runId, 'go', { decision: 'approved' });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, maxFlowDepth: startedWith === 2 ? 1000 : 1 });
      assert.equal(resumed.status, status, `started with ${startedWith}`);
      if (status === 'failed') assert.match(resumed.error!.message, /deeper than the limit of 2 /);
    }
  });

  it('a bound outside 1 … 1000 is refused before the run starts (CONFIG_INVALID)', async () => {
    const def = await compile(COUNT);
    for (const bad of [0, 1001, 2.5]) {
      await assert.rejects(run(def, 'Count', { n: 1 }, { store: t.store, maxFlowDepth: bad }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && e.message === `limits.maxFlowDepth must be a whole number from 1 to 1000, not ${bad}`);
    }
  });
});

for (const kind of STORE_KINDS) {
  describe(`runtime: an agent answer nested deeper than MAX_OUTPUT_DEPTH fails its step (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('20,000 nested lists (parseable, but not storable: serializing them overflows the stack) fail the step with AGENT_BAD_RESPONSE; the run is stored as failed, not left running', async () => {
      const def = await compile(`
agent Deep { stub: "x" }
flow D {
  step d: Deep { prompt: "x" }
}`);
      let deep: unknown = [];
      for (let i = 0; i < 20_000; i++) deep = [deep];
      const agents = scriptedAgents(() => deep);
      const { summary } = await run(def, 'D', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'AGENT_BAD_RESPONSE');
      assert.equal(summary.error?.message, `step d failed: agent Deep answered with a value nested deeper than ${MAX_OUTPUT_DEPTH} levels`);
      assert.equal((await t.store.getRun(summary.runId)).status, 'failed');
    });

    it('an answer exactly MAX_OUTPUT_DEPTH deep is taken', async () => {
      const def = await compile(`
agent Deep { stub: "x" }
flow D {
  step d: Deep { prompt: "x" }
}`);
      let deep: unknown = [];
      for (let i = 1; i < MAX_OUTPUT_DEPTH; i++) deep = [deep];
      const { summary } = await run(def, 'D', {}, { store: t.store, agents: scriptedAgents(() => deep) });
      assert.equal(summary.status, 'succeeded');
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`runtime: an error the engine cannot handle never leaves the run running (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('a bug while the run stops (recording that it waits throws) is thrown to the caller, and the run is stored as failed with that error', async () => {
      const def = await compile(`
agent Work { stub: "x" }
flow F {
  step a: Work { prompt: "x" }
  approval ok { prompt: "ok?" }
}`);
      // the store as the engine sees it, with a bug: recording that the run waits throws a plain TypeError
      const buggy = new Proxy(t.store, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property === 'updateRun') {
            return (id: string, fields: { status?: string }) => {
              if (fields.status === 'waiting') throw new TypeError('cannot read properties of undefined (reading "x")');
              return target.updateRun(id, fields as never);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      await assert.rejects(run(def, 'F', {}, { store: buggy }), /cannot read properties of undefined/);
      const [stored] = await t.store.listRuns();
      assert.equal(stored.status, 'failed');
      assert.deepEqual(stored.error, { code: 'INTERNAL', message: 'cannot read properties of undefined (reading "x")' });
      const events = await t.store.getEvents(stored.id);
      assert.equal(events.at(-1)?.type, 'run.failed');
    });
  });
}
