import assert from 'node:assert/strict';
import { compile, finished, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENTS = `
agent Worker {
  instructions: "Do the work."
  stub: "done"
}
`;

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
  });
}
