import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, tempStore } from './helpers.js';

/*
 * Loop-carried state (`var`, `set <var> = …`) and milestones (`wait until`) as the runtime executes them: what a
 * loop iteration reads, the `var.set` / `condition.*` events, DEADLOCK, and resuming in the middle of both.
 */

const PAGES = `
agent Fetcher { output: { count: number, id: string, last: boolean } stub: { count: 0, id: "", last: true } }
agent Reviewer { stub: "ok" }
flow Pages {
  output total: number
  output ids: string[]
  var total = 0
  var ids: string[] = []
  repeat max 10 {
    step page: Fetcher { prompt: "page after \${total} (\${len(ids)} pages)" }
    set total = total + page.output.count
    set ids = ids + [page.output.id]
    approval check { prompt: "total so far \${total}" }
  } until page.output.last
  set output.total = total
  set output.ids = ids
}`;

/** Page n (0-based) of the Fetcher: count n + 1, last at the third. */
const fetcher = () =>
  scriptedAgents((request) => {
    const n = Number(/\((\d+) pages\)/.exec(request.prompt)![1]);
    return { count: n + 1, id: `p${n}`, last: n === 2 };
  });

const events = async (store: ReturnType<typeof tempStore>['store'], runId: string): Promise<RunEvent[]> => store.getEvents(runId);

describe('runtime: var and set', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('each repeat iteration reads what the previous one set; the vars end as the sum and list of all pages', async () => {
    const def = await compile(PAGES.replace(/\n {4}approval check[^\n]*/, ''));
    const agents = fetcher();
    const { summary, events: log } = await run(def, 'Pages', {}, { store: t.store, agents });
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.outputs, { total: 1 + 2 + 3, ids: ['p0', 'p1', 'p2'] });
    // the prompts show the state each iteration started with
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['page after 0 (0 pages)', 'page after 1 (1 pages)', 'page after 3 (2 pages)']);
    // one var.set per declaration and per set in each iteration, with its scope and value
    const sets = log.filter((e) => e.type === 'var.set').map((e) => e.type === 'var.set' && `${e.name}${e.scope}=${JSON.stringify(e.value)}`);
    assert.deepEqual(sets, ['total=0', 'ids=[]', 'total[0]=1', 'ids[0]=["p0"]', 'total[1]=3', 'ids[1]=["p0","p1"]', 'total[2]=6', 'ids[2]=["p0","p1","p2"]']);
  });

  it('resumed after each of its waits in the middle of the repeat, the run recomputes its vars from the stored results: the same outputs as without the waits, no step called twice', async () => {
    const def = await compile(PAGES);
    const agents = fetcher();
    let { summary } = await run(def, 'Pages', {}, { store: t.store, agents });
    for (let i = 0; summary.status === 'waiting'; i++) {
      assert.ok(i < 5, 'the run ends after three decisions');
      const task = summary.waitingOn[0].kind === 'approval' ? summary.waitingOn[0].task : '';
      await t.store.recordDecision(summary.runId, task, { decision: 'approved' });
      summary = await resumeRun(summary.runId, { store: t.store, agents, sleep: async () => undefined });
    }
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.outputs, { total: 6, ids: ['p0', 'p1', 'p2'] });
    assert.equal(agents.calls.length, 3, 'each page fetched once');
    const log = await events(t.store, summary.runId);
    const started = log.filter((e) => e.type === 'step.started').map((e) => e.type === 'step.started' && e.step);
    assert.deepEqual(started, ['page[0]', 'page[1]', 'page[2]']);
    // the approval prompts read the state as it was in each iteration, also after the resumes
    const prompts = log.filter((e) => e.type === 'approval.requested').map((e) => e.type === 'approval.requested' && e.prompt);
    assert.deepEqual(prompts, ['total so far 1', 'total so far 3', 'total so far 6']);
    // each var.set was written once, the resumes replayed without writing them again
    assert.equal(log.filter((e) => e.type === 'var.set').length, 8);
  });

  it('a sub-flow has vars of its own: each call starts from its declaration, the caller\'s var of the same name is untouched', async () => {
    const def = await compile(`
flow Count {
  input n: number
  output doubled: number
  var acc = 0
  foreach i in [1, 2, 3] {
    if i <= input.n {
      set acc = acc + 2
    }
  }
  set output.doubled = acc
}
flow Main {
  output a: number
  output b: number
  var acc = 100
  step one: Count { input: { n: 2 } }
  step two: Count { input: { n: 3 } }
  set output.a = one.output.doubled
  set output.b = two.output.doubled + acc
}`);
    const { summary } = await run(def, 'Main', {}, { store: t.store });
    assert.deepEqual(summary.outputs, { a: 4, b: 106 });
  });
});

const MILESTONE = `
agent Warehouse { stub: "packed" }
agent Sales { stub: "changed" }
flow Order {
  output seen: string
  var stage = "new"
  parallel {
    if true {
      step pack: Warehouse { prompt: "pack" }
      set stage = "packed"
      approval ship { prompt: "ship it?" }
      set stage = "shipped"
    }
    if true {
      wait until stage == "packed"
      set output.seen = stage
      step change: Sales { prompt: "change the address while \${stage}" }
    }
  }
}`;

describe('runtime: wait until', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('a branch waits until another sets the var; condition.waiting then condition.met are recorded', async () => {
    const def = await compile(MILESTONE.replace('wait until stage == "packed"', 'wait until stage == "packed" || stage == "shipped"'));
    // the first branch is slow: the second reaches its wait before the set
    const agents = scriptedAgents(async (r) => {
      if (r.prompt === 'pack') await new Promise((resolve) => setTimeout(resolve, 20));
      return 'ok';
    });
    const { summary, events: log } = await run(def, 'Order', {}, { store: t.store, agents });
    assert.equal(summary.status, 'waiting');
    assert.deepEqual(summary.outputs, { seen: 'packed' });
    const kinds = log.filter((e) => ['condition.waiting', 'condition.met', 'var.set', 'step.started'].includes(e.type)).map((e) => ('step' in e ? `${e.type} ${e.step}` : e.type === 'var.set' ? `${e.type} ${e.name}=${JSON.stringify(e.value)}` : `${e.type}`));
    assert.deepEqual(kinds, ['var.set stage="new"', 'step.started pack', 'condition.waiting', 'var.set stage="packed"', 'condition.met', 'step.started change']);
    const waiting = log.find((e) => e.type === 'condition.waiting');
    assert.deepEqual(waiting?.type === 'condition.waiting' && [waiting.key, waiting.node, waiting.condition, waiting.deadline], ['wait@Order/wait@1.1.0.0', 'Order/wait@1.1.0.0', 'stage == "packed" || stage == "shipped"', undefined]);
  });

  it('while the other branch waits for an approval, the unmet condition waits with the run (kind condition) and is met after the resume', async () => {
    // the set comes after the approval: the condition cannot hold before the run continues
    const def = await compile(MILESTONE.replace('      set stage = "packed"\n      approval ship { prompt: "ship it?" }', '      approval ship { prompt: "ship it?" }\n      set stage = "packed"'));
    const agents = scriptedAgents(() => 'ok');
    const { summary } = await run(def, 'Order', {}, { store: t.store, agents });
    assert.equal(summary.status, 'waiting');
    assert.deepEqual(summary.waitingOn.map((w) => w.kind), ['approval', 'condition']);
    const condition = summary.waitingOn[1];
    assert.deepEqual(condition.kind === 'condition' && [condition.condition, condition.node], ['stage == "packed"', 'Order/wait@1.1.0.0']);
    await t.store.recordDecision(summary.runId, 'ship', { decision: 'approved' });
    const done = await resumeRun(summary.runId, { store: t.store, agents, sleep: async () => undefined });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.outputs, { seen: 'packed' });
    const log = await events(t.store, summary.runId);
    assert.equal(log.filter((e) => e.type === 'condition.met').length, 1);
    assert.deepEqual(agents.calls.map((c) => c.prompt), ['pack', 'change the address while packed']);
  });

  it('a run whose every branch waits on a condition nothing can change fails with DEADLOCK instead of waiting forever', async () => {
    const def = await compile(`
agent W { stub: "ok" }
flow Stuck {
  var a = 0
  var b = 0
  parallel {
    if true {
      step w: W { prompt: "w" }
      wait until b == 1
      set a = 1
    }
    if true {
      wait until a == 1
      set b = 1
    }
  }
}`);
    const { summary, events: log } = await run(def, 'Stuck', {}, { store: t.store });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'DEADLOCK');
    assert.match(summary.error!.message, /^wait until (a|b) == 1: nothing left in the run can change it/);
    assert.equal((await t.store.getRun(summary.runId)).status, 'failed');
    assert.equal(log.filter((e) => e.type === 'condition.waiting').length, 2);
  });

  it('with a timeout: when the var is set too late, the on timeout block runs (condition.met timedOut); in time, it does not', async () => {
    const flow = (delay: string) => `
agent W { stub: "ok" }
flow Late {
  output late: boolean
  var stage = "new"
  var late = false
  parallel {
    if true {
      wait ${delay}
      set stage = "packed"
    }
    if true {
      wait until stage == "packed" timeout 1h on timeout {
        set late = true
      }
    }
  }
  set output.late = late
}`;
    let clock = Date.parse('2026-12-01T10:00:00Z');
    const timed = { now: () => new Date(clock), sleep: async (ms: number) => void (clock += ms) };
    for (const [delay, late] of [['2h', true], ['30m', false]] as const) {
      const def = await compile(flow(delay));
      let { summary } = await run(def, 'Late', {}, { store: t.store, ...timed });
      // both waits are long: the run waits for the earliest, and is resumed when it is due
      for (let i = 0; summary.status === 'waiting' && i < 4; i++) {
        const due = summary.waitingOn.map((w) => Date.parse(w.kind === 'timer' ? w.until : (w as { deadline?: string }).deadline ?? '9999-01-01'));
        clock = Math.max(clock, Math.min(...due));
        summary = await resumeRun(summary.runId, { store: t.store, ...timed });
      }
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.outputs, { late }, `set after ${delay}`);
      const met = (await events(t.store, summary.runId)).find((e) => e.type === 'condition.met');
      assert.equal(met?.type === 'condition.met' && met.timedOut === true, late);
    }
  });

  it('inside a partial join: a branch waits for its sibling\'s set; a kept branch is met by a set after the join, and one waiting on what nothing sets ends (DEADLOCK, a kept part\'s failure) instead of holding the run forever', async () => {
    const def = await compile(`
agent W { instructions: "Send it." stub: "ok" }
flow J {
  output seen: string
  var stage = "new"
  parallel first 1 {
    branch {
      wait until stage == "packed"
      set output.seen = stage
    }
    branch {
      step pack: W
      set stage = "packed"
    }
  }
}
flow K {
  var stage = "new"
  parallel first 1 keep {
    step quick: W
    branch {
      wait until stage == "packed"
    }
  }
  step after: W
}
flow Late {
  var stage = "new"
  parallel first 1 keep {
    step quick: W
    branch {
      wait until stage == "packed"
      step late: W
    }
  }
  set stage = "packed"
}`);
    const joined = await run(def, 'J', {}, { store: t.store });
    assert.equal(joined.summary.status, 'succeeded');
    assert.deepEqual(joined.summary.outputs, { seen: 'packed' });
    const kept = await run(def, 'K', {}, { store: t.store });
    assert.equal(kept.summary.status, 'succeeded');
    assert.deepEqual(kept.events.filter((e) => e.type === 'condition.waiting').length, 1);
    assert.equal(kept.events.some((e) => e.type === 'condition.met'), false);
    // the block goes on past the join and sets the var: the kept branch it keeps running is met
    const late = await run(def, 'Late', {}, { store: t.store });
    assert.equal(late.summary.status, 'succeeded');
    assert.deepEqual(late.events.filter((e) => e.type === 'step.finished').map((e) => e.type === 'step.finished' && `${e.step}:${e.status}`), ['quick:succeeded', 'late:succeeded']);
  });
});
