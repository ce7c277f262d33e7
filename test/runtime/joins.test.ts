import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import type { AgentRequest } from '../../packages/runtime/src/index.js';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, finished, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENTS = `
agent Worker {
  instructions: "Do the work."
  stub: "done"
}
`;

/** A cancelling partial join whose third branch (c, then c2) the tests keep in flight: `c` never answers. */
const FIRST_2_OF_3 = `  parallel first 2 {
    step a: Worker { prompt: "a" }
    step b: Worker { prompt: "b" }
    branch {
      step c: Worker { prompt: "c" }
      step c2: Worker { prompt: "c2" }
    }
  }`;

for (const kind of STORE_KINDS) {
  describe(`runtime: branch, parallel concurrency, range (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('a branch { … } runs its statements in order beside the other branches', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel {
    branch {
      step a1: Worker { prompt: "a1" }
      step a2: Worker { prompt: "a2 after \${a1.output}" }
    }
    step b: Worker { prompt: "b" }
  }
}`);
      const agents = scriptedAgents(async (r) => {
        await tick(r.prompt === 'a1' ? 20 : 1);
        return r.prompt;
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      // b ran beside a1 (both in flight), a2 only after a1, with a1's output
      assert.equal(agents.maxInFlight, 2);
      assert.deepEqual(finished(events), ['b:succeeded', 'a1:succeeded', 'a2:succeeded']);
      assert.equal(agents.calls.find((c) => c.stepKey === 'a2')?.prompt, 'a2 after a1');
    });

    it('parallel concurrency 1 runs one branch at a time, in source order; concurrency 2 at most two', async () => {
      const def = await compile(`${AGENTS}
flow One {
  parallel concurrency 1 {
    step a: Worker { prompt: "a" }
    branch {
      step b1: Worker { prompt: "b1" }
      step b2: Worker { prompt: "b2" }
    }
    step c: Worker { prompt: "c" }
  }
}
flow Two {
  parallel concurrency 2 {
    step a: Worker { prompt: "a" }
    step b: Worker { prompt: "b" }
    step c: Worker { prompt: "c" }
    step d: Worker { prompt: "d" }
  }
}`);
      const one = scriptedAgents(async (r) => {
        await tick(r.prompt === 'a' ? 15 : 1);
        return r.prompt;
      });
      const first = await run(def, 'One', {}, { store: t.store, agents: one });
      assert.equal(first.summary.status, 'succeeded');
      assert.equal(one.maxInFlight, 1);
      assert.deepEqual(one.calls.map((c) => c.prompt), ['a', 'b1', 'b2', 'c']);
      const two = scriptedAgents(async () => {
        await tick(5);
        return 'x';
      });
      const second = await run(def, 'Two', {}, { store: t.store, agents: two });
      assert.equal(second.summary.status, 'succeeded');
      assert.equal(two.maxInFlight, 2);
    });

    it('range(n) and range(from, to) give whole numbers; more than 10,000 fails the run with RANGE_TOO_LARGE', async () => {
      const def = await compile(`${AGENTS}
flow Counts {
  input n: number
  output a: number[]
  output b: number[]
  set output.a = range(3)
  set output.b = range(2, 5)
  foreach i in range(input.n) {
    step w: Worker { prompt: "#\${i}" }
  }
}`);
      const ok = await run(def, 'Counts', { n: 2 }, { store: t.store, agents: scriptedAgents((r) => r.prompt) });
      assert.equal(ok.summary.status, 'succeeded');
      assert.deepEqual(ok.summary.outputs, { a: [0, 1, 2], b: [2, 3, 4] });
      assert.deepEqual(finished(ok.events), ['w[0]:succeeded', 'w[1]:succeeded']);
      const tooMany = await run(def, 'Counts', { n: 10001 }, { store: t.store, agents: scriptedAgents(() => 'x') });
      assert.equal(tooMany.summary.status, 'failed');
      assert.equal(tooMany.summary.error?.code, 'RANGE_TOO_LARGE');
      assert.equal(finished(tooMany.events).length, 0);
    });

    it('parallel first 2 (cancelling partial join): goes on after two branches, withdraws the third — its call aborted, its step cancelled, join.reached recorded first', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output got: string
${FIRST_2_OF_3}
  step after: Worker { prompt: "after \${a.output ?? "-"} \${b.output ?? "-"}" }
  set output.got = c.status
}`);
      const agents = scriptedAgents((r: AgentRequest) => (r.prompt === 'c' ? never(r) : r.prompt));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.deepEqual(summary.outputs, { got: 'cancelled' });
      const types = events.map((e) => (e.type === 'step.finished' ? `${e.step}:${e.status}` : e.type)).filter((t) => t.includes(':') || t === 'join.reached');
      assert.deepEqual(types, ['a:succeeded', 'b:succeeded', 'join.reached', 'c:cancelled', 'after:succeeded']);
      const reached = events.find((e) => e.type === 'join.reached');
      assert.ok(reached?.type === 'join.reached');
      assert.deepEqual([reached.counted, reached.withdrawn, reached.rest, reached.label], [[0, 1], [2], 'cancel', 'first 2 of 3']);
      const cancelled = events.find((e) => e.type === 'step.finished' && e.step === 'c');
      assert.ok(cancelled?.type === 'step.finished' && cancelled.error?.code === 'CANCELLED');
      assert.ok(!agents.calls.some((c) => c.prompt === 'c2'), 'nothing after the withdrawn step runs');
    });

    it('parallel first keep (blocking discriminator): goes on after the first; the rest finishes before the run ends, not cancelled', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel first keep {
    step fast: Worker { prompt: "fast" }
    step slow: Worker { prompt: "slow" }
  }
  step use: Worker { prompt: "use \${fast.output ?? slow.output ?? "none"}" }
}`);
      let releaseSlow!: () => void;
      const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'slow') await slowGate;
        if (r.prompt.startsWith('use')) setTimeout(releaseSlow, 5);
        return r.prompt;
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      // use ran while slow was still running; slow finished (not cancelled) before the run ended
      assert.deepEqual(finished(events), ['fast:succeeded', 'use:succeeded', 'slow:succeeded']);
      assert.equal(events[events.length - 1].type, 'run.succeeded');
      const reached = events.find((e) => e.type === 'join.reached');
      assert.ok(reached?.type === 'join.reached' && reached.rest === 'keep' && reached.withdrawn.length === 0);
    });

    it('a failing branch does not fail a partial join until it is unreachable: JOIN_UNREACHABLE names the first failure', async () => {
      const def = await compile(`${AGENTS}
flow Tolerates {
  parallel first 2 {
    step a: Worker { prompt: "fail a" }
    step b: Worker { prompt: "b" }
    step c: Worker { prompt: "c" }
  }
}
flow Unreachable {
  parallel first 2 {
    step a: Worker { prompt: "fail a" }
    step b: Worker { prompt: "fail b" }
    step c: Worker { prompt: "c" }
  }
}`);
      const agents = () => scriptedAgents(async (r) => {
        if (r.prompt.startsWith('fail')) throw Object.assign(new Error(`${r.prompt} broke`), { code: 'AGENT_ERROR' });
        await tick(5);
        return r.prompt;
      });
      const ok = await run(def, 'Tolerates', {}, { store: t.store, agents: agents() });
      assert.equal(ok.summary.status, 'succeeded');
      assert.deepEqual(finished(ok.events).sort(), ['a:failed', 'b:succeeded', 'c:succeeded']);
      const bad = await run(def, 'Unreachable', {}, { store: t.store, agents: agents() });
      assert.equal(bad.summary.status, 'failed');
      assert.equal(bad.summary.error?.code, 'JOIN_UNREACHABLE');
      assert.match(bad.summary.error?.message ?? '', /^parallel first 2 of 3 can no longer be reached: 0 of 3 counted; first failure: .*fail a broke.* \(branch 1\)$/);
    });

    it('parallel until <cond>: goes on once the condition over the branches holds, withdraws the rest', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel until legal.status == "succeeded" && (a.status == "succeeded" || b.status == "succeeded") {
    step legal: Worker { prompt: "legal" }
    step a: Worker { prompt: "a" }
    step b: Worker { prompt: "b" }
  }
}`);
      const agents = scriptedAgents(async (r) => {
        await tick(r.prompt === 'legal' ? 5 : r.prompt === 'a' ? 15 : 2000);
        return r.prompt;
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(finished(events), ['legal:succeeded', 'a:succeeded', 'b:cancelled']);
    });

    it('foreach … first 2 where … (cancelling MI partial join): counts only iterations whose where holds; the rest are withdrawn, never started', async () => {
      const def = await compile(`
agent Reviewer {
  instructions: "Review."
  output: { decision: string }
  stub: { decision: "approved" }
}
flow Main {
  input reviewers: string[]
  output approvals: number
  foreach r in input.reviewers first 2 where review.output.decision == "approved" {
    step review: Reviewer { prompt: "\${r}" }
  }
  set output.approvals = len(review)
}`);
      const agents = scriptedAgents((r) => ({ decision: r.prompt === 'bo' ? 'rejected' : 'approved' }));
      const { summary, events } = await run(def, 'Main', { reviewers: ['al', 'bo', 'cy', 'di', 'ed'] }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['al', 'bo', 'cy']);
      const reached = events.find((e) => e.type === 'join.reached');
      assert.ok(reached?.type === 'join.reached');
      assert.deepEqual([reached.counted, reached.withdrawn, reached.label], [[0, 2], [3, 4], 'first 2 where review.output.decision == "approved"']);
    });

    /**
     * Runs of FIRST_2_OF_3 stopped after the join was reached, then resumed: the join is replayed from its record —
     * the same parts withdrawn, nothing finished called again — and only `after` is called.
     */
    const RESUMED: { title: string; tail: string; stop: (def: WorkflowDefinition) => Promise<string>; replayed: string[] }[] = [
      {
        title: 'a resumed run replays a reached join from its record: the same parts withdrawn, nothing finished called again (withdrawn mode)',
        tail: '  approval go { prompt: "go?" }',
        stop: async (def) => {
          const first = await run(def, 'Main', {}, { store: t.store, agents: scriptedAgents((r) => (r.prompt === 'c' ? never(r) : r.prompt)) });
          assert.equal(first.summary.status, 'waiting');
          await t.store.recordDecision(first.summary.runId, 'go', { decision: 'approved', by: 'ops' });
          return first.summary.runId;
        },
        replayed: ['after:succeeded'],
      },
      {
        title: 'stopped right after join.reached was stored, with the withdrawn step still in flight: the resume cancels that step from the record, calls nothing finished again',
        tail: '',
        stop: async (def) => {
          const stop = new AbortController();
          const first = await run(def, 'Main', {}, {
            store: t.store,
            agents: scriptedAgents((r) => (r.prompt === 'c' ? never(r) : r.prompt)),
            signal: stop.signal,
            // the process stops the moment the join's decision is stored, before the withdrawn call is aborted
            onEvent: (e) => {
              if (e.type === 'join.reached') stop.abort();
            },
          });
          assert.equal(first.summary.status, 'interrupted');
          const stored = await t.store.getEvents(first.summary.runId);
          assert.ok(stored.some((e) => e.type === 'step.started' && e.step === 'c') && !stored.some((e) => e.type === 'step.finished' && e.step === 'c'), 'c was in flight');
          assert.ok(stored.some((e) => e.type === 'join.reached'));
          return first.summary.runId;
        },
        replayed: ['c:cancelled', 'after:succeeded'],
      },
    ];
    for (const c of RESUMED) {
      it(c.title, async () => {
        const def = await compile(`${AGENTS}
flow Main {
${FIRST_2_OF_3}
${c.tail}
  step after: Worker { prompt: "after" }
}`);
        const runId = await c.stop(def);
        const again = scriptedAgents((r) => r.prompt);
        const events: string[] = [];
        const resumed = await resumeRun(runId, { store: t.store, agents: again, sleep: async () => undefined, random: () => 0.5, onEvent: (e) => events.push(e.type === 'step.finished' ? `${e.step}:${e.status}` : e.type) });
        assert.equal(resumed.status, 'succeeded');
        assert.deepEqual(again.calls.map((call) => call.prompt), ['after'], 'only the step after the stop is called');
        assert.deepEqual(events.filter((e) => e.includes(':') || e === 'join.reached'), c.replayed);
        const log = await t.store.getEvents(runId);
        assert.equal(log.filter((e) => e.type === 'join.reached').length, 1, 'the decision is not taken twice');
      });
    }

    it('a partial join inside a withdrawn branch is withdrawn with it: its parts cancelled, no JOIN_UNREACHABLE, no decision of its own', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel first {
    step a: Worker { prompt: "a" }
    parallel first 1 {
      step x: Worker { prompt: "x" }
      step y: Worker { prompt: "y" }
    }
  }
}`);
      const agents = scriptedAgents(async (r) => (r.prompt === 'a' ? (await tick(5), 'a') : never(r)));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.deepEqual(finished(events).sort(), ['a:succeeded', 'x:cancelled', 'y:cancelled']);
      assert.equal(events.filter((e) => e.type === 'join.reached').length, 1);
    });
  });
}

/** An agent call that never answers until its step is withdrawn (its signal aborts). */
function never(r: AgentRequest): Promise<never> {
  return new Promise((_, reject) => r.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
}
