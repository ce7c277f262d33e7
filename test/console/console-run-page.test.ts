import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FlowGraph, RunEvent } from '../../packages/protocol/src/index.js';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { formatTokens, runStateFrom } from '../../packages/protocol/src/run-view.js';
import { BatonError, createStubAgents, SqliteRunStore, type AgentCaller, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { runTraceIds } from '../../packages/runtime/src/telemetry/run-telemetry.js';
import { ConsoleHarness, ROOT, type ConsolePage } from './console-harness.js';

/** Screenshots of the pages, in light and dark (looked at by people; not compared). */
const SHOTS = path.join(ROOT, 'out', 'console-shots');
mkdirSync(SHOTS, { recursive: true });

/** The run page (`#/runs/<id>`) in a real browser: timeline, step, source, events, live colours, and bad input. */

const FLOWS = `// orders
agent Writer { stub: { text: "w" }, output: { text: string } }
agent Checker { stub: { text: "c" }, output: { text: string } }
flow Order {
  trigger webhook "/order"
  input item: string
  step draft: Writer {
    prompt: "Draft an order for \${input.item}"
    retry: 1 backoff 1ms
  }
  step check: Checker { prompt: "Check \${draft.output.text}" }
}
flow Batch {
  trigger webhook "/batch"
  input items: number[]
  foreach item in input.items {
    step line: Writer { prompt: "line \${item}" }
  }
}
flow Timed {
  trigger webhook "/timed"
  sla 1ms
  step late: Writer { prompt: "late" }
}
agent Opener { stub: { text: "o" }, output: { text: string } }
agent Left { stub: { text: "l" }, output: { text: string } }
agent Right { stub: { text: "r" }, output: { text: string } }
flow Ship {
  trigger webhook "/ship"
  step first: Opener { prompt: "pack" }
  wait event "shipment.arrived"
  step last: Opener { prompt: "unpack" }
}
flow Fan {
  trigger webhook "/fan"
  step first: Opener { prompt: "go" }
  parallel {
    step left: Left { prompt: "left" }
    branch {
      step right1: Right { prompt: "right 1" }
      step right2: Right { prompt: "right 2" }
    }
  }
  step last: Opener { prompt: "end" }
}
agent Lookup { stub: { order: 42 }, output: { order: number } }
agent Assistant {
  output: { text: string }
  tools: [Lookup]
  stub: turns([call("Lookup", { prompt: "order 42" })], [call("Lookup", { prompt: "order 43" })], { text: "found" })
}
flow Assist {
  trigger webhook "/assist"
  step help: Assistant { prompt: "help" }
}
flow Big {
  trigger webhook "/big"
  step s0: Opener { prompt: "open" }
${Array.from({ length: 4999 }, (_v, i) => `  step s${i + 1}: Writer { prompt: "step ${i + 1}" }`).join('\n')}
}
`;

/** Asserts the page broke no CSP rule, asked nothing of another origin and logged no error. */
async function clean(p: ConsolePage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violation');
  assert.deepEqual(p.offOrigin(), [], "no request off the server's origin");
  assert.deepEqual(p.errors, [], 'no console error');
}

/** Calls of these agents fail (retryably: `AGENT_UNAVAILABLE`) this many more times. */
const failing = new Map<string, number>();
/** Calls of these agents wait until the test resolves them. */
const held = new Map<string, { calls: (() => void)[]; waiting?: () => void }>();
/** The test's agents: `{text: "<agent> done"}` and 10 tokens, after a hold or a failure the test asked for. */
const agents: AgentCaller = {
  call: async (request) => {
    const name = request.agent.name;
    const hold = held.get(name);
    if (hold) {
      await new Promise<void>((resolve) => {
        hold.calls.push(resolve);
        hold.waiting?.();
      });
    }
    const fails = failing.get(name) ?? 0;
    if (fails > 0) {
      failing.set(name, fails - 1);
      throw new BatonError('AGENT_UNAVAILABLE', `${name} is unavailable (the test asked it to be)`);
    }
    return { output: { text: `${name} done` }, tokens: 10 };
  },
  // an agent with tools: its stub's turns(…) script
  turn: (request) => stubs.turn(request),
};
const stubs = createStubAgents();
/** Holds `agent`'s calls; resolves once one is held, with the function that lets them all go (and every later one). */
function hold(agent: string): Promise<() => void> {
  const entry: { calls: (() => void)[]; waiting?: () => void } = { calls: [] };
  held.set(agent, entry);
  const release = () => {
    held.delete(agent);
    for (const go of entry.calls.splice(0)) go();
  };
  return new Promise((resolve) => (entry.waiting = () => resolve(release)));
}

describe('the console in a browser: the run page', function () {
  this.timeout(120_000);
  const harness = new ConsoleHarness();
  /** Runs whose definition the store "lost" (getDefinition answers STORE_UNREADABLE, as for a deleted definitions row). */
  const lost = new Set<string>();
  let real: SqliteRunStore | undefined;
  before(async () => {
    // the server's store answers like a store that lost some runs' definitions (the route's own test deletes the row)
    real = await SqliteRunStore.open(path.join(mkdtempSync(path.join(tmpdir(), 'baton-run-page-')), 'runs.db'));
    const store: RunStoreApi = Object.create(real, {
      getDefinition: { value: async (id: string) => (lost.has(id) ? Promise.reject(new BatonError('STORE_UNREADABLE', `the definition of run ${id} is missing from the store`)) : real!.getDefinition(id)) },
    });
    await harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }], serve: { store, agents, traceUrl: 'https://traces.example/trace/{traceId}', live: { heartbeatMs: 250 } } });
  });
  after(async () => {
    await harness.stop();
    await real?.close();
  });

  const start = async (flow: string, inputs: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${harness.url}/runs`, { method: 'POST', headers: { authorization: 'Bearer oscar-token', 'content-type': 'application/json', 'x-baton-action-id': crypto.randomUUID() }, body: JSON.stringify({ flow, inputs }) });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };
  const events = async (id: string): Promise<RunEvent[]> => real!.getEvents(id);
  const openRun = async (id: string, query = '', options: { theme?: 'light' | 'dark' } = {}): Promise<ConsolePage> => {
    const p = await harness.open(`#/runs/${id}${query}`, options);
    await p.signIn('oscar');
    await p.page.locator('baton-run-page .rp-header .status').waitFor();
    return p;
  };

  it('shows a retried step as two bars in the timeline, its output, tokens and prompt in the Step tab, the run\'s events, and its lines in the Source tab', async () => {
    failing.set('Writer', 1);
    const id = await start('Order', { item: 'desk' });
    await harness.server.idle();
    const model = runStateFrom(await events(id));
    assert.equal(model.steps.get('draft')?.attempts.length, 2, 'the run retried draft once');
    const p = await openRun(id, '', { theme: 'light' });
    try {
      const page = p.page;
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      // the timeline: one bar per attempt, the failed one hatched (status-failed)
      const bars = page.locator('.tl-bar[data-key="draft"]');
      await bars.nth(1).waitFor();
      assert.equal(await bars.count(), 2);
      assert.deepEqual(await bars.evaluateAll((els) => els.map((e) => [e.getAttribute('data-attempt'), e.classList.contains('status-failed')])), [
        ['1', true],
        ['2', false],
      ]);
      assert.equal(await page.locator('.tl-bar[data-key="check"]').count(), 1);
      // the graph is drawn and coloured from the same fold
      await page.locator('.rp-graph g.node[data-id="Order/draft"].run-succeeded').waitFor();
      // a click on the bar opens the step
      await bars.nth(1).click();
      const step = page.locator('.rp-step .step-detail[data-step="draft"]');
      await step.waitFor();
      assert.equal(await step.locator('.agent').innerText(), 'Writer');
      assert.equal(await step.locator('.attempts-count').innerText(), '2');
      assert.equal(await step.locator('.tokens').innerText(), formatTokens(model.steps.get('draft')!.tokens));
      assert.match(await step.locator('.attempts li.failed .error').innerText(), /Writer is unavailable \(the test asked it to be\)/);
      assert.deepEqual(JSON.parse(await step.locator('.step-output').innerText()), { text: 'Writer done' });
      assert.match(await step.locator('.prompt').innerText(), /Draft an order for/);
      assert.match(new URL(page.url()).hash, /\?step=draft$/);
      // the header's totals are the fold's; the trace links to the configured trace viewer
      assert.equal(await page.locator('.rp-tokens').innerText(), formatTokens(model.totals.tokens));
      const { traceId } = runTraceIds(id);
      assert.equal(await page.locator('a.rp-trace').innerText(), traceId);
      assert.equal(await page.locator('a.rp-trace').getAttribute('href'), `https://traces.example/trace/${traceId}`);
      // the Events tab lists the log
      await page.locator('.rp-tab[data-tab="events"]').click();
      await page.locator('.ev-line[data-seq="1"] .ev-type', { hasText: 'run.started' }).waitFor();
      // the Source tab: the file as stored, highlighted by the server's lexer, the step's lines marked
      await page.locator('.rp-tab[data-tab="source"]').click();
      const graph = buildFlowGraph(await real!.getDefinition(id), 'Order') as FlowGraph;
      const range = graph.nodes.find((n) => n.id === 'Order/draft')!.range!;
      const marked = await page.locator('.src-line.marked').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))));
      const expected = Array.from({ length: range.end.line - range.start.line + 1 }, (_v, i) => range.start.line + i);
      assert.deepEqual(marked, expected);
      assert.match(await page.locator('.src-line.marked').first().innerText(), /step draft: Writer/);
      assert.equal(await page.locator('.src-line.marked .tok-keyword', { hasText: 'step' }).count(), 1);
      await page.locator('.src-line .tok-comment', { hasText: '// orders' }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, 'run-source-light.png') });
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it("shows a step's tool calls in the timeline under its step and in the Step tab: the loop's calls, a call's arguments and output", async () => {
    const id = await start('Assist', {});
    await harness.server.idle();
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      const call = page.locator('.tl-bar[data-key="help · tool stub-1-1"]');
      await call.waitFor();
      assert.equal(await call.evaluate((e) => e.classList.contains('kind-tool') && e.classList.contains('status-succeeded')), true);
      const rows = await page.locator('.tl-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-key'), e.querySelector('.tl-label')?.textContent]));
      assert.deepEqual(rows.slice(0, 3), [['help', 'help'], ['help · tool stub-1-1', 'tool Lookup'], ['help · tool stub-2-1', 'tool Lookup']], 'the calls right under their step');
      await page.locator('.tl-bar[data-key="help"]').click();
      const step = page.locator('.rp-step .step-detail[data-step="help"]');
      await step.waitFor();
      assert.deepEqual(await step.locator('.tool-calls li').evaluateAll((els) => els.map((e) => e.getAttribute('data-call'))), ['stub-1-1', 'stub-2-1']);
      assert.match(await step.locator('h3', { hasText: 'Tool loop' }).innerText(), /3 turns/);
      await page.locator('.rp-tab[data-tab="timeline"]').click();
      await call.click();
      const detail = page.locator('.rp-step .step-detail[data-step="help · tool stub-1-1"]');
      await detail.waitFor();
      assert.deepEqual(JSON.parse(await detail.locator('.tool-arguments').innerText()), { prompt: 'order 42' });
      assert.deepEqual(JSON.parse(await detail.locator('.step-output').innerText()), { text: 'Lookup done' });
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('draws the run page in light and dark (screenshots in out/console-shots/, looked at by people)', async () => {
    failing.set('Writer', 1);
    const id = await start('Order', { item: 'desk' });
    await harness.server.idle();
    for (const theme of ['light', 'dark'] as const) {
      const shot = await openRun(id, '?step=draft', { theme });
      try {
        await shot.page.locator('.rp-graph g.node[data-id="Order/draft"].run-succeeded').waitFor();
        await shot.page.locator('.rp-tab[data-tab="timeline"]').click();
        await shot.page.locator('.tl-bar[data-key="check"]').waitFor();
        await shot.page.screenshot({ path: path.join(SHOTS, `run-${theme}.png`) });
        await shot.page.locator('.rp-tab[data-tab="step"]').click();
        await shot.page.locator('.rp-step .step-detail[data-step="draft"]').waitFor();
        await shot.page.screenshot({ path: path.join(SHOTS, `run-step-${theme}.png`) });
        await shot.page.locator('.rp-tab[data-tab="events"]').click();
        await shot.page.locator('.ev-line[data-seq="3"]').click();
        await shot.page.locator('.ev-detail').waitFor();
        await shot.page.screenshot({ path: path.join(SHOTS, `run-events-${theme}.png`) });
        await clean(shot);
      } finally {
        await shot.close();
      }
    }
  });

  it("colours the run's graph live as its steps run, without a reload", async () => {
    const held = hold('Checker');
    const id = await start('Order', { item: 'chair' });
    const release = await held;
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-graph g.node[data-id="Order/check"].run-running').waitFor();
      await page.locator('.rp-graph g.node[data-id="Order/draft"].run-succeeded').waitFor();
      release();
      await page.locator('.rp-graph g.node[data-id="Order/check"].run-succeeded').waitFor();
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      await page.locator('.tl-bar[data-key="check"].status-succeeded').waitFor();
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('follows its run on the tab\'s one shared /stream: runs list → run page → back never has two open, and the graph colours live', async () => {
    const held = hold('Checker');
    const id = await start('Order', { item: 'lamp' });
    const release = await held;
    const p = await harness.open('#/runs');
    try {
      const page = p.page;
      await p.signIn('oscar');
      await page.locator(`tr[data-run="${id}"] a`).first().click();
      await page.locator('.rp-graph g.node[data-id="Order/check"].run-running').waitFor();
      release();
      await page.locator('.rp-graph g.node[data-id="Order/check"].run-succeeded').waitFor();
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      assert.ok(p.requests.some((u) => new URL(u).pathname === '/stream' && new URL(u).searchParams.get('run') === id), 'the run followed on /stream');
      await page.goBack();
      await page.locator(`baton-runs-page tr[data-run="${id}"][data-status="succeeded"]`).waitFor();
      await page.waitForFunction(() => !document.querySelector('baton-run-page'));
      assert.equal(p.streams.most, 1, 'never two /stream requests open at once');
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a run page whose session is signed out elsewhere is told by its stream and shows the sign-in page', async () => {
    const held = hold('Checker');
    const id = await start('Order', { item: 'rug' });
    const release = await held;
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-graph g.node[data-id="Order/check"].run-running').waitFor();
      // signed out by another tab of the same browser (the cookie is refused from now on): the stream's next heartbeat
      // says signed-out, and the page asks the server who is signed in
      const status = await page.evaluate(async () => {
        const who = (await (await fetch('/session')).json()) as { csrfToken: string };
        return (await fetch('/session', { method: 'DELETE', headers: { 'x-csrf-token': who.csrfToken, 'x-baton-action-id': crypto.randomUUID() } })).status;
      });
      assert.equal(status, 200);
      await page.locator('#token input').waitFor();
      release();
    } finally {
      await p.close();
    }
  });

  it("groups a parallel's rows in the timeline under a heading per branch, the branches' bars overlapping in time", async () => {
    const held = hold('Left');
    const id = await start('Fan', {});
    const release = await held;
    const p = await openRun(id);
    try {
      const page = p.page;
      // both right steps end while left is held: the branches ran at the same time
      await page.locator('.tl-bar[data-key="right2"].status-succeeded').waitFor();
      await page.locator('.tl-row.heading[data-key$="#2"]').waitFor();
      release();
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      await page.locator('.tl-bar[data-key="last"].status-succeeded').waitFor();
      const rows = await page.locator('.rp-timeline g.tl-row').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-key')!.replace(/^group:branch:.*#/, 'branch #'), g.querySelector('.tl-label')!.textContent]));
      assert.deepEqual(rows, [
        ['first', 'first'],
        ['branch #1', 'parallel · branch 1'],
        ['left', 'left'],
        ['branch #2', 'parallel · branch 2'],
        ['right1', 'right1'],
        ['right2', 'right2'],
        ['last', 'last'],
      ]);
      const span = (key: string) => page.locator(`.tl-bar[data-key="${key}"]`).evaluate((r) => [Number(r.getAttribute('x')), Number(r.getAttribute('x')) + Number(r.getAttribute('width'))]);
      const [left, right1, right2] = [await span('left'), await span('right1'), await span('right2')];
      assert.ok(left[0] < right1[1] && right1[0] < left[1], `left ${left} overlaps right1 ${right1}`);
      assert.ok(left[0] < right2[1] && right2[0] < left[1], `left ${left} overlaps right2 ${right2}`);
      await page.screenshot({ path: path.join(SHOTS, 'run-parallel.png') });
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('sends the event a waiting run waits for from its page (the runs list\'s dialog), and the run goes on live', async () => {
    const id = await start('Ship', {});
    await harness.server.idle();
    assert.equal((await real!.getRun(id)).status, 'waiting');
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-send-event[data-event="shipment.arrived"]').click();
      const dialog = page.locator('baton-action-dialog dialog[open]');
      assert.equal(await dialog.locator('#event-name input').inputValue(), 'shipment.arrived', 'the event the run waits for');
      await dialog.locator('#event-data textarea').fill('{"box": 7}');
      await page.screenshot({ path: path.join(SHOTS, 'run-send-event.png') });
      await dialog.locator('#action-confirm').click();
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      await page.locator('.rp-graph g.node[data-id="Ship/last"].run-succeeded').waitFor();
      assert.equal(await page.locator('.rp-send-event').count(), 0, 'nothing to send to a run that ended');
      // the unnamed wait's row (key event@Ship/<node>) is a row of its own, not a sub-flow's group
      assert.equal(await page.locator('.rp-timeline g.tl-row.heading').count(), 0);
      assert.equal(await page.locator('.rp-timeline .tl-bar.kind-wait').count(), 1);
      const received = (await events(id)).find((e) => e.type === 'event.received') as { data?: unknown } | undefined;
      assert.deepEqual(received?.data, { box: 7 });
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('keeps a graph it laid out itself in the browser by definition: a reloaded page draws the stored geometry (moved here to prove it is read)', async () => {
    const id = await start('Order', { item: 'vase' });
    await harness.server.idle();
    const p = await harness.open(`#/runs/${id}`);
    // as from a server that sent no layout (not ready in time): the page lays the graph out and keeps it
    await p.page.route(/\/runs\/[^/]+\/definition$/, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      delete body.layout;
      await route.fulfill({ response, json: body });
    });
    await p.signIn('oscar');
    try {
      const page = p.page;
      const node = page.locator('.rp-graph g.node[data-id="Order/check"]');
      await node.waitFor();
      // the node's place in the drawing: its translate(x,y)
      const x = async () => Number(/translate\(([-\d.]+)/.exec((await node.getAttribute('transform'))!)![1]);
      const before = await x();
      // move every node of the stored geometry 300 px right, as a cache entry would if it were read
      const moved = await page.evaluate(async () => {
        const dbs = await indexedDB.databases();
        const name = dbs.find((d) => d.name?.startsWith('baton-console-layouts-'))!.name!;
        const db = await new Promise<IDBDatabase>((resolve) => {
          const r = indexedDB.open(name);
          r.onsuccess = () => resolve(r.result);
        });
        const all = await new Promise<{ key: string; nodes: [string, { x: number }][] }[]>((resolve) => {
          const r = db.transaction('layouts').objectStore('layouts').getAll();
          r.onsuccess = () => resolve(r.result);
        });
        const store = db.transaction('layouts', 'readwrite').objectStore('layouts');
        for (const entry of all) {
          for (const [, box] of entry.nodes) box.x += 300;
          store.put(entry);
        }
        await new Promise((resolve) => (store.transaction.oncomplete = resolve));
        db.close();
        return all.length;
      });
      assert.equal(moved, 1, 'one layout stored');
      await page.reload();
      await node.waitFor();
      assert.equal(Math.round((await x()) - before), 300);
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('marks a run whose SLA was breached red in its header, naming the deadline', async () => {
    const id = await start('Timed', {});
    await harness.server.idle();
    const breaches = [...runStateFrom(await events(id)).slaBreaches.values()];
    assert.deepEqual(breaches.map((b) => b.key), ['flow'], 'the engine recorded the breach');
    const p = await openRun(id);
    try {
      const mark = p.page.locator('.rp-header .sla-mark', { hasText: 'SLA breached' });
      await mark.waitFor();
      assert.match((await mark.getAttribute('title'))!, /^flow: deadline /);
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a run whose definition is not in the store still shows its timeline, steps and events, and says what is missing', async () => {
    const id = await start('Order', { item: 'lamp' });
    await harness.server.idle();
    lost.add(id);
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-definition-missing', { hasText: 'is not in this store: no graph or source' }).waitFor();
      await page.locator('.tl-bar[data-key="check"]').waitFor();
      await page.locator('.rp-tab[data-tab="source"]').click();
      await page.locator('.rp-source .src-missing', { hasText: 'is not in this store' }).waitFor();
      await page.locator('.rp-tab[data-tab="events"]').click();
      await page.locator('.ev-line .ev-type', { hasText: 'run.succeeded' }).waitFor();
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a run that is not in the store (deleted) is said so, in place', async () => {
    const p = await harness.open('#/runs/01JZZZZZZZZZZZZZZZZZZZZZZZ');
    try {
      await p.signIn('oscar');
      await p.page.locator('.gone', { hasText: 'is not in this store: it was deleted, or it never existed' }).waitFor();
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a flow of 5,000 steps: the graph says it is too large to draw, the timeline, steps and events work', async () => {
    failing.set('Opener', 1);
    const id = await start('Big', {});
    await harness.server.idle();
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.rp-graph-message', { hasText: 'Big has 5,00' }).waitFor();
      assert.match(await page.locator('.rp-graph-message').innerText(), /too large to draw here.*The timeline, steps and events are complete\./);
      await page.locator('.rp-header .status[data-status="failed"]').waitFor();
      await page.locator('.tl-bar[data-key="s0"].status-failed').click();
      await page.locator('.rp-step .step-detail[data-step="s0"] .step-error', { hasText: 'Opener is unavailable' }).waitFor();
      await page.locator('.rp-actions .rp-redrive').waitFor();
      await page.locator('.rp-tab[data-tab="source"]').click();
      await page.locator('.src-line.marked', { hasText: 'step s0: Opener' }).waitFor();
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a run of 2,600 foreach instances: its log read in pages, the timeline and events virtualized (a few dozen rows in the DOM), the last of each reachable by scrolling', async () => {
    const items = Array.from({ length: 2600 }, (_v, i) => i);
    const id = await start('Batch', { items });
    await harness.server.idle();
    const last = [...runStateFrom(await events(id)).steps.keys()].at(-1)!;
    assert.equal(last, 'line[2599]');
    const stored = await events(id);
    assert.ok(stored.length > 5000, `${stored.length} events: more than one page`);
    const p = await openRun(id);
    try {
      const page = p.page;
      await page.locator('.tl-row[data-key="group:line[]"]').waitFor();
      const rows = await page.locator('.tl-row').count();
      assert.ok(rows > 10 && rows < 120, `${rows} rows in the DOM`);
      await page.locator('.tl-body').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.locator(`.tl-row[data-key="${last}"]`).waitFor();
      assert.ok((await page.locator('.tl-row').count()) < 120);
      // the log came in pages of 5,000 (GET /runs/<id>/events), and the live stream starts after its last event
      assert.deepEqual(
        p.requests.filter((u) => u.includes(`/runs/${id}/events?`)).map((u) => new URL(u).searchParams.get('after')),
        ['0', String(stored[4999].seq)],
      );
      assert.ok(p.requests.some((u) => u.endsWith(`/stream?run=${id}&after=${stored.at(-1)!.seq}`)));
      await page.locator('.rp-tab[data-tab="events"]').click();
      await page.locator('.ev-list').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.locator(`.ev-line[data-seq="${stored.at(-1)!.seq}"] .ev-type`, { hasText: 'run.succeeded' }).waitFor();
      assert.ok((await page.locator('.ev-line').count()) < 120);
      await clean(p);
    } finally {
      await p.close();
    }
  });
});
