import assert from 'node:assert/strict';
import { BatonError, redriveRun, resumeRun, type AgentRequest } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, tempStore } from './helpers.js';

const FLOWS = `
agent X { stub: "x" }
agent Y { stub: "y" }
flow Chain {
  step first: X { prompt: "first" }
  step second: X { prompt: "second" }
}
flow Flaky {
  step once: X { prompt: "once" retry: 2 backoff 1ms }
}
flow Side {
  parallel {
    step held: X { prompt: "held" }
    step quick: X { prompt: "quick" }
  }
}
flow Many {
  foreach n in [1, 2, 3] concurrency 3 {
    step each: X { prompt: "each \${n}" }
  }
  step after: Y { prompt: "after" }
}
`;

/** A gate a test opens: agent calls wait on it. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

const keysOf = (calls: AgentRequest[], prompt?: string): string[] => calls.filter((c) => prompt === undefined || c.prompt === prompt).map((c) => c.idempotencyKey);

describe('runtime: idempotency keys of agent calls (runId/stepKey/callIndex)', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('every call carries its run id and the key runId/stepKey/callIndex', async () => {
    const def = await compile(FLOWS);
    const agents = scriptedAgents(() => 'ok');
    const { summary } = await run(def, 'Chain', {}, { store: t.store, agents });
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(
      agents.calls.map((c) => [c.runId, c.idempotencyKey]),
      [
        [summary.runId, `${summary.runId}/first/0`],
        [summary.runId, `${summary.runId}/second/1`],
      ],
    );
  });

  it('a retry of a failed attempt is a new call: a new callIndex, a new key', async () => {
    const def = await compile(FLOWS);
    const agents = scriptedAgents((request) => {
      if (request.callIndex < 2) throw new BatonError('AGENT_UNAVAILABLE', 'try again');
      return 'ok';
    });
    const { summary } = await run(def, 'Flaky', {}, { store: t.store, agents });
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(keysOf(agents.calls), [0, 1, 2].map((i) => `${summary.runId}/once/${i}`));
  });

  it('a redrive runs the failed step again as a new call: a new key', async () => {
    const def = await compile(FLOWS);
    const failing = scriptedAgents((request) => {
      if (request.prompt === 'second') throw new BatonError('AGENT_REQUEST_REJECTED', 'bad request');
      return 'ok';
    });
    const { summary } = await run(def, 'Chain', {}, { store: t.store, agents: failing });
    assert.equal(summary.status, 'failed');
    const fixed = scriptedAgents(() => 'ok');
    const redriven = await redriveRun(summary.runId, { store: t.store, agents: fixed });
    assert.equal(redriven.status, 'succeeded');
    assert.deepEqual(keysOf(failing.calls, 'second'), [`${summary.runId}/second/1`]);
    assert.deepEqual(keysOf(fixed.calls), [`${summary.runId}/second/2`]);
  });

  it('a run interrupted while a step is in flight sends that step the same key when resumed', async () => {
    const def = await compile(FLOWS);
    const held = gate();
    const stop = new AbortController();
    const first = scriptedAgents(async (request) => {
      if (request.prompt === 'second') {
        stop.abort();
        await held.wait;
      }
      return 'ok';
    });
    const { summary } = await run(def, 'Chain', {}, { store: t.store, agents: first, signal: stop.signal });
    held.open();
    assert.equal(summary.status, 'interrupted');
    const again = scriptedAgents(() => 'ok');
    const resumed = await resumeRun(summary.runId, { store: t.store, agents: again });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(keysOf(again.calls), keysOf(first.calls, 'second'), 'the step in flight: the same key');
    assert.deepEqual(keysOf(again.calls), [`${summary.runId}/second/1`]);
  });

  it('in a parallel, a step in flight keeps its call index although a sibling of the same agent finished with a higher one', async () => {
    const def = await compile(FLOWS);
    const held = gate();
    const stop = new AbortController();
    const first = scriptedAgents(async (request) => {
      if (request.prompt === 'held') await held.wait;
      else setImmediate(() => setImmediate(() => stop.abort())); // once quick's finish is stored
      return 'ok';
    });
    const { summary } = await run(def, 'Side', {}, { store: t.store, agents: first, signal: stop.signal });
    held.open();
    assert.equal(summary.status, 'interrupted');
    const finished = (await t.store.getEvents(summary.runId)).filter((e) => e.type === 'step.finished');
    assert.deepEqual(
      finished.map((e) => e.type === 'step.finished' && [e.step, e.callIndexes]),
      [['quick', [1]]],
      'quick took index 1 after held took 0, and finished',
    );
    const again = scriptedAgents(() => 'ok');
    const resumed = await resumeRun(summary.runId, { store: t.store, agents: again });
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(
      again.calls.map((c) => [c.prompt, c.callIndex, c.idempotencyKey]),
      [['held', 0, `${summary.runId}/held/0`]],
    );
  });

  it('a foreach with concurrency: every iteration in flight gets its own key back after a stop, and later calls new ones', async () => {
    const def = await compile(FLOWS);
    const held = gate();
    const stop = new AbortController();
    const first = scriptedAgents(async (request) => {
      if (request.prompt === 'each 2') {
        setImmediate(() => setImmediate(() => stop.abort()));
        return 'ok';
      }
      await held.wait;
      return 'ok';
    });
    const { summary } = await run(def, 'Many', {}, { store: t.store, agents: first, signal: stop.signal });
    held.open();
    assert.equal(summary.status, 'interrupted');
    const before = new Map(first.calls.map((c) => [c.stepKey, c.idempotencyKey]));
    const again = scriptedAgents(() => 'ok');
    const resumed = await resumeRun(summary.runId, { store: t.store, agents: again });
    assert.equal(resumed.status, 'succeeded');
    const x = again.calls.filter((c) => c.agent.name === 'X');
    assert.deepEqual(
      x.map((c) => c.stepKey).sort(),
      ['each[0]', 'each[2]'],
      'the iteration that finished is not called again',
    );
    for (const c of x) assert.equal(c.idempotencyKey, before.get(c.stepKey), `${c.stepKey} keeps its key`);
    assert.deepEqual(keysOf(again.calls, 'after'), [`${summary.runId}/after/0`]);
  });
});
