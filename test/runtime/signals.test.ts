import assert from 'node:assert/strict';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const AGENTS = `
agent Worker {
  instructions: "Do the work."
  stub: "done"
}
`;

for (const kind of STORE_KINDS) {
  describe(`runtime: signal / wait signal between branches (${kind.name})`, function () {
    this.timeout(30_000);
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('a wait signal lets its branch go on only after another branch raised the signal', async () => {
      const def = await compile(`${AGENTS}
flow Order {
  parallel {
    branch {
      step check: Worker { prompt: "check" }
      signal stock_ok
    }
    branch {
      step quote: Worker { prompt: "quote" }
      wait signal stock_ok
      step confirm: Worker { prompt: "confirm" }
    }
  }
}`);
      const agents = scriptedAgents(async (r) => {
        await tick(r.prompt === 'check' ? 40 : 1);
        return r.prompt;
      });
      const { summary, events } = await run(def, 'Order', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      const order = events.filter((e) => e.type === 'step.finished' || e.type === 'signal.raised' || e.type === 'signal.received').map((e) => (e.type === 'step.finished' ? e.step : e.type));
      assert.deepEqual(order, ['quote', 'check', 'signal.raised', 'signal.received', 'confirm']);
    });

    it('a signal raised before the wait lets it pass at once (a latch)', async () => {
      const def = await compile(`${AGENTS}
flow F {
  signal go
  wait signal go
  step after: Worker { prompt: "after" }
}`);
      const { summary } = await run(def, 'F', {}, { store: t.store, agents: scriptedAgents((r) => r.prompt) });
      assert.equal(summary.status, 'succeeded');
    });

    it('nothing left can raise it: the run fails DEADLOCK; with a timeout the on timeout block runs', async () => {
      const def = await compile(`${AGENTS}
flow Stuck {
  parallel {
    if false { signal never }
    branch {
      wait signal never
      step after: Worker { prompt: "after" }
    }
  }
}
flow Late {
  output got: string
  parallel {
    if false { signal never }
    branch {
      wait signal never timeout 2s on timeout { set output.got = "timeout" }
    }
  }
}`);
      const agents = scriptedAgents((r) => r.prompt);
      const stuck = await run(def, 'Stuck', {}, { store: t.store, agents });
      assert.equal(stuck.summary.status, 'failed');
      assert.equal(stuck.summary.error?.code, 'DEADLOCK');
      const late = await run(def, 'Late', {}, { store: t.store, agents });
      assert.equal(late.summary.status, 'succeeded');
      assert.deepEqual(late.summary.outputs, { got: 'timeout' });
    });

    it('a wait signal waits with the run while the raising branch waits for an approval, and passes when it continues', async () => {
      const def = await compile(`${AGENTS}
flow Gate {
  parallel {
    branch {
      approval ok { prompt: "Go?" }
      signal go
    }
    branch {
      wait signal go
      step after: Worker { prompt: "after" }
    }
  }
}`);
      const agents = scriptedAgents((r) => r.prompt);
      const first = await run(def, 'Gate', {}, { store: t.store, agents });
      assert.equal(first.summary.status, 'waiting');
      assert.deepEqual(first.summary.waitingOn.map((w) => w.kind).sort(), ['approval', 'signal']);
      await t.store.recordDecision(first.summary.runId, 'ok', { decision: 'approved' });
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents, sleep: async () => undefined, random: () => 0.5 });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['after']);
    });
  });
}
