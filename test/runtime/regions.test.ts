import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import type { AgentRequest } from '../../packages/runtime/src/index.js';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore, tick } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

/*
 * Cancellation regions and early termination at run time (issue 12; docs/language.md "Regions, cancel and complete"):
 * region + cancel + on cancel with compensation, cancel from a branch beside, complete r, bare complete (run and
 * sub-flow), cancel <step>, a waiting region cancelled on resume, and a stop right after each decision.
 */

const AGENTS = `
agent Worker {
  instructions: "Do the work."
  stub: "done"
}
agent Undo {
  instructions: "Undo the work."
  stub: "undone"
}
`;

/** A call that never answers: it ends only when aborted. */
function never(r: AgentRequest): Promise<never> {
  return new Promise((_, reject) => r.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
}

/** The events as short words: `a:succeeded`, `undo a`, `region.cancelled`, …, for order checks. */
function trace(events: RunEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'step.finished') return [`${e.step}:${e.status}`];
    if (e.type === 'compensation.finished') return [`undo ${e.step}`];
    if (e.type === 'region.cancelled' || e.type === 'region.completed' || e.type === 'flow.completed' || e.type === 'step.cancelRequested') return [e.type];
    return [];
  });
}

const FULFIL = `${AGENTS}
flow Main {
  input stop: boolean
  output state: string
  region fulfil {
    step reserve: Worker { prompt: "reserve", compensate: Undo { prompt: "release" } }
    step charge: Worker { prompt: "charge", compensate: Undo { prompt: "refund" } }
    if input.stop {
      cancel fulfil
    }
    step ship: Worker { prompt: "ship" }
  } on cancel {
    step tell: Worker { prompt: "tell \${fulfil.status}" }
  }
  set output.state = fulfil.status
  step after: Worker { prompt: "after" }
}`;

for (const kind of STORE_KINDS) {
  describe(`runtime: regions, cancel and complete (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('cancel of the region around it: the decision first, its finished steps compensated newest first, then on cancel, then the run goes on', async () => {
      const def = await compile(FULFIL);
      const agents = scriptedAgents((r) => r.prompt);
      const { summary, events } = await run(def, 'Main', { stop: true }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(trace(events), ['reserve:succeeded', 'charge:succeeded', 'region.cancelled', 'undo charge', 'undo reserve', 'tell:succeeded', 'after:succeeded']);
      assert.deepEqual(agents.calls.map((c) => c.prompt), ['reserve', 'charge', 'refund', 'release', 'tell cancelled', 'after']);
      assert.deepEqual(summary.outputs, { state: 'cancelled' });
      const cancelled = events.find((e) => e.type === 'region.cancelled');
      assert.ok(cancelled?.type === 'region.cancelled');
      assert.deepEqual([cancelled.node, cancelled.scope, cancelled.region, cancelled.by], ['Main/fulfil', '', 'fulfil', 'Main/cancel@0.0.2.0.0']);
    });

    it('a region that ends normally: no compensation, no on cancel, status succeeded; a later failure compensates its steps', async () => {
      const def = await compile(`${FULFIL.replace('step after: Worker { prompt: "after" }', 'step after: Worker { prompt: "after" }\n  fail "later"')}`);
      const agents = scriptedAgents((r) => r.prompt);
      const { summary, events } = await run(def, 'Main', { stop: false }, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.deepEqual(trace(events), ['reserve:succeeded', 'charge:succeeded', 'ship:succeeded', 'after:succeeded', 'undo charge', 'undo reserve']);
      assert.deepEqual(summary.outputs, { state: 'succeeded' });
    });

    it('cancel from a branch beside: the step in flight ends cancelled, the finished one is compensated, on cancel runs before the cancelling branch goes on', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel {
    region fulfil {
      step reserve: Worker { prompt: "reserve", compensate: Undo { prompt: "release" } }
      step ship: Worker { prompt: "ship" }
      step late: Worker { prompt: "late" }
    } on cancel {
      step tell: Worker { prompt: "tell" }
    }
    branch {
      step withdraw: Worker { prompt: "withdraw" }
      cancel fulfil
      step next: Worker { prompt: "next" }
    }
  }
}`);
      let reserved!: () => void;
      const reservedDone = new Promise<void>((r) => (reserved = r));
      const agents = scriptedAgents(async (r) => {
        if (r.prompt === 'ship') return never(r);
        if (r.prompt === 'withdraw') await reservedDone;
        if (r.prompt === 'reserve') setTimeout(reserved, 5);
        return r.prompt;
      });
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(trace(events), ['reserve:succeeded', 'withdraw:succeeded', 'region.cancelled', 'ship:cancelled', 'undo reserve', 'tell:succeeded', 'next:succeeded']);
      assert.ok(!agents.calls.some((c) => c.prompt === 'late'), 'nothing after the withdrawn step runs');
    });

    it('complete r: the region ends successfully now — unfinished work withdrawn, nothing compensated, status completed', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output state: string
  region review {
    foreach i in range(5) concurrency 5 {
      step check: Worker { prompt: "check \${i}", compensate: Undo { prompt: "undo \${i}" } }
      if check.output == "check 1" {
        complete review
      }
    }
  }
  set output.state = review.status
}`);
      const agents = scriptedAgents(async (r) => (r.prompt === 'check 1' ? (await tick(5), r.prompt) : r.prompt === 'check 0' ? r.prompt : never(r)));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { state: 'completed' });
      assert.deepEqual(trace(events).sort(), ['check[0]:succeeded', 'check[1]:succeeded', 'check[2]:cancelled', 'check[3]:cancelled', 'check[4]:cancelled', 'region.completed'].sort());
      assert.ok(!events.some((e) => e.type === 'compensation.started'));
    });

    it('a bare complete ends the run successfully with the outputs set so far (run.succeeded completedBy); a branch still running is withdrawn', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output found: string
  output rest: string
  parallel {
    step slow: Worker { prompt: "slow" }
    branch {
      step quick: Worker { prompt: "quick" }
      set output.found = quick.output
      complete
    }
  }
  set output.rest = "never"
}`);
      const agents = scriptedAgents((r) => (r.prompt === 'slow' ? never(r) : r.prompt));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { found: 'quick' });
      assert.deepEqual(trace(events), ['quick:succeeded', 'flow.completed', 'slow:cancelled']);
      const end = events.at(-1);
      assert.ok(end?.type === 'run.succeeded');
      assert.equal(end.completedBy, 'Main/complete@0.1.2');
    });

    it('a bare complete in a sub-flow returns to its caller: the step succeeds with the sub-flow outputs set so far', async () => {
      const def = await compile(`${AGENTS}
flow Check {
  output verdict: string
  step look: Worker { prompt: "look" }
  set output.verdict = look.output
  complete
}
flow Main {
  output verdict: string
  step check: Check
  step after: Worker { prompt: "after" }
  set output.verdict = check.output.verdict
}`);
      const agents = scriptedAgents((r) => r.prompt);
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { verdict: 'look' });
      assert.deepEqual(trace(events), ['check/look:succeeded', 'flow.completed', 'check:succeeded', 'after:succeeded']);
      const end = events.at(-1);
      assert.ok(end?.type === 'run.succeeded' && end.completedBy === undefined);
    });

    it('cancel <step> withdraws that step only: it reads cancelled, the rest goes on', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  output state: string
  parallel {
    step ship: Worker { prompt: "ship" }
    branch {
      step check: Worker { prompt: "check" }
      cancel ship
      step next: Worker { prompt: "next" }
    }
  }
  set output.state = ship.status
}`);
      const agents = scriptedAgents((r) => (r.prompt === 'ship' ? never(r) : r.prompt));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { state: 'cancelled' });
      assert.deepEqual(trace(events), ['check:succeeded', 'step.cancelRequested', 'ship:cancelled', 'next:succeeded']);
    });

    it('a region waiting for an approval is cancelled by a branch beside it when the run resumes: compensated, on cancel, nothing finished called again', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel {
    region fulfil {
      step reserve: Worker { prompt: "reserve", compensate: Undo { prompt: "release" } }
      approval ship { prompt: "ship?" }
      step shipped: Worker { prompt: "shipped" }
    } on cancel {
      step tell: Worker { prompt: "tell" }
    }
    branch {
      approval withdraw { prompt: "withdraw?" }
      if withdraw.output.decision == "approved" {
        cancel fulfil
      }
    }
  }
  step after: Worker { prompt: "after" }
}`);
      const first = await run(def, 'Main', {}, { store: t.store, agents: scriptedAgents((r) => r.prompt) });
      assert.equal(first.summary.status, 'waiting');
      await t.store.recordDecision(first.summary.runId, 'withdraw', { decision: 'approved', by: 'customer' });
      const again = scriptedAgents((r) => r.prompt);
      const events: RunEvent[] = [];
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again, sleep: async () => undefined, random: () => 0.5, onEvent: (e) => events.push(e) });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(again.calls.map((c) => c.prompt), ['release', 'tell', 'after']);
      assert.deepEqual(trace(events), ['region.cancelled', 'undo reserve', 'tell:succeeded', 'after:succeeded']);
    });

    it('a region that waits (an approval) stays cancellable by a branch beside it in the same execution: the run does not stop to wait', async () => {
      const def = await compile(`${AGENTS}
flow Main {
  parallel {
    region fulfil {
      step reserve: Worker { prompt: "reserve", compensate: Undo { prompt: "release" } }
      approval ship { prompt: "ship?" }
    } on cancel {
      step tell: Worker { prompt: "tell" }
    }
    branch {
      step check: Worker { prompt: "check" }
      cancel fulfil
    }
  }
  step after: Worker { prompt: "after" }
}`);
      // the check answers only once the region waits for its approval
      const agents = scriptedAgents(async (r) => (r.prompt === 'check' ? (await tick(30), r.prompt) : r.prompt));
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.ok(events.some((e) => e.type === 'approval.requested'), 'the region waited for its approval');
      assert.deepEqual(trace(events), ['reserve:succeeded', 'check:succeeded', 'region.cancelled', 'undo reserve', 'tell:succeeded', 'after:succeeded']);
    });

    it("a sub-flow's compensations join the list of the region around its step: cancelling the region undoes them too", async () => {
      const def = await compile(`${AGENTS}
flow Pack {
  step box: Worker { prompt: "box", compensate: Undo { prompt: "unbox" } }
}
flow Main {
  region fulfil {
    step pack: Pack
    cancel fulfil
  }
}`);
      const agents = scriptedAgents((r) => r.prompt);
      const { summary, events } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(trace(events), ['pack/box:succeeded', 'pack:succeeded', 'region.cancelled', 'undo pack/box']);
    });

    it('cancel of a sub-flow step that waits (a long timer) from a branch beside it, when the run resumes: the step ends cancelled, its flow goes no further', async () => {
      const def = await compile(`${AGENTS}
flow Slow {
  wait 1d
  step late: Worker { prompt: "late" }
}
flow Main {
  output state: string
  parallel {
    step check: Slow
    branch {
      approval stop { prompt: "stop?" }
      cancel check
    }
  }
  set output.state = check.status
}`);
      const first = await run(def, 'Main', {}, { store: t.store, agents: scriptedAgents((r) => r.prompt) });
      assert.equal(first.summary.status, 'waiting');
      await t.store.recordDecision(first.summary.runId, 'stop', { decision: 'approved', by: 'ops' });
      const again = scriptedAgents((r) => r.prompt);
      const events: RunEvent[] = [];
      const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again, sleep: async () => undefined, random: () => 0.5, onEvent: (e) => events.push(e) });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { state: 'cancelled' });
      assert.deepEqual(again.calls, []);
      assert.deepEqual(trace(events), ['step.cancelRequested', 'check:cancelled']);
    });

    for (const at of ['region.cancelled', 'compensation.finished'] as const) {
      it(`stopped right after ${at} was stored: the resume finishes the cancellation — no step or compensation twice, same outcome`, async () => {
        const def = await compile(FULFIL.replace('step ship: Worker { prompt: "ship" }', 'step ship: Worker { prompt: "ship" }'));
        const stop = new AbortController();
        const first = await run(def, 'Main', { stop: true }, {
          store: t.store,
          agents: scriptedAgents((r) => r.prompt),
          signal: stop.signal,
          onEvent: (e) => {
            if (e.type === at) stop.abort();
          },
        });
        assert.equal(first.summary.status, 'interrupted');
        const again = scriptedAgents((r) => r.prompt);
        const resumed = await resumeRun(first.summary.runId, { store: t.store, agents: again, sleep: async () => undefined, random: () => 0.5 });
        assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { state: 'cancelled' });
        const log = await t.store.getEvents(first.summary.runId);
        const once = (type: string, step: string): number => log.filter((e) => e.type === type && 'step' in e && e.step === step).length;
        for (const step of ['reserve', 'charge', 'tell', 'after']) assert.equal(once('step.finished', step), 1, `${step} finished once`);
        for (const step of ['reserve', 'charge']) assert.equal(once('compensation.finished', step), 1, `${step} compensated once`);
        assert.equal(log.filter((e) => e.type === 'region.cancelled').length, 1, 'the decision is not taken twice');
        assert.ok(!log.some((e) => e.type === 'step.started' && e.step === 'ship'));
      });
    }
  });
}
