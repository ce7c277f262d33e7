import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FlowGraph, GraphGeometry } from '../../packages/protocol/src/index.js';
import { geometryOf, layoutFlowGraph, panelFolds } from '../../packages/graph/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import { GraphLayouts } from '../../packages/cli/src/serve/layout-service.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';

/**
 * `baton serve` lays out the console's run graphs (layout-service.ts): on its layout thread, once per definition and
 * flow, sent with `GET /runs/:id/definition` — the geometry @baton/graph's layoutFlowGraph gives the page itself.
 */

const FLOWS = `agent W { stub: { text: "w", score: 5 }, output: { text: string, score: number } }
flow Order {
  trigger webhook "/order"
  step draft: W { prompt: "draft" }
  if draft.output.score > 3 {
    step big: W { prompt: "big" }
  } else {
    step small: W { prompt: "small" }
  }
  parallel {
    step left: W { prompt: "left" }
    step right: W { prompt: "right" }
  }
  foreach item in [1, 2] {
    step line: W { prompt: "line \${item}" }
  }
}
`;

/** A flow of 5,010 steps that folds to 1,983 nodes (30 two-branch `parallel`s of 102 steps): elkjs takes seconds. */
function hugeFlow(): string {
  const lines = ['agent W { stub: { text: "w" }, output: { text: string } }', 'flow Huge {', '  trigger webhook "/huge"'];
  let n = 0;
  for (let p = 0; p < 30; p++) {
    for (let i = 0; i < 65; i++) lines.push(`  step s${n++}: W { prompt: "p" }`);
    lines.push('  parallel {');
    for (let b = 0; b < 2; b++) {
      lines.push('    branch {');
      for (let i = 0; i < 51; i++) lines.push(`      step s${n++}: W { prompt: "p" }`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  return [...lines, '}', ''].join('\n');
}

const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;

describe('baton serve: the run graph laid out on the server', function () {
  this.timeout(60_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer | undefined;
  let layouts: GraphLayouts;

  const boot = async (flows: string, budgetMs?: number, backgroundDelayMs?: number) => {
    writeFileSync(path.join(dir, 'flows.flow'), flows);
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    layouts = new GraphLayouts();
    server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, insecure: true, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, log: () => undefined, layouts, ...(budgetMs !== undefined ? { layoutBudgetMs: budgetMs } : {}), ...(backgroundDelayMs !== undefined ? { layoutBackgroundDelayMs: backgroundDelayMs } : {}) });
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-layout-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (hook: string): Promise<string> => {
    const res = await fetch(`${server!.url}${hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };
  const definition = async (id: string) => {
    const res = await fetch(`${server!.url}/runs/${id}/definition`);
    assert.equal(res.status, 200);
    return (await res.json()) as { hash: string; graph: FlowGraph; layout?: { folded: string[]; geometry: GraphGeometry }; layoutNote?: string; layoutPending?: boolean };
  };

  it("sends the geometry the page's own layout gives, computed once per definition: other runs of it get the kept one", async () => {
    // the layout thread starts from the sources here (tsx): a generous budget, this is about what is sent
    await boot(FLOWS, 30_000);
    const first = await start('/order');
    const second = await start('/order');
    await server!.idle();
    const a = await definition(first);
    assert.ok(a.layout, `a layout is sent (${a.layoutNote})`);
    // what the page computes itself: the same folds, the same layout function
    const plan = panelFolds(a.graph);
    assert.deepEqual(a.layout.folded, []);
    assert.deepEqual(a.layout.geometry, JSON.parse(JSON.stringify(geometryOf(await layoutFlowGraph(plan.drawn.graph, { foldable: new Set(plan.regions.keys()) })))));
    const laidOut = layouts.started;
    assert.equal(laidOut, 1, 'the served flow was laid out once (at start, or for the first request)');
    const b = await definition(second);
    assert.deepEqual(b.layout, a.layout);
    assert.equal(layouts.started, laidOut, 'the second run of the definition is answered from the kept layout');
    // the layout alone (what a page asks again when the first answer said it was under way)
    const only = await fetch(`${server!.url}/runs/${second}/definition?only=layout`);
    assert.deepEqual(await only.json(), { hash: a.hash, flow: 'Order', layout: a.layout });
    assert.equal((await fetch(`${server!.url}/runs/${second}/definition?only=graph`)).status, 400);
  });

  it('lays the served flows out in the background from the start: the first request for a run of one finds it made', async () => {
    await boot(FLOWS, 30_000, 0);
    // the pass runs without any request: wait for its one layout to be done (the thread starts from the sources here)
    for (const until = Date.now() + 30_000; layouts.started < 1 || layouts.busy(); ) {
      assert.ok(Date.now() < until, 'the background pass laid the served flow out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const id = await start('/order');
    await server!.idle();
    assert.ok((await definition(id)).layout, 'the kept layout is sent');
    assert.equal(layouts.started, 1, 'the request started no layout');
  });

  it('lays out a 5,000-step definition on its thread: /health and the runs list answer meanwhile; its answer goes without the layout, saying so', async () => {
    // no wait for a layout not ready: the answer says what it can at once
    await boot(hugeFlow(), 0);
    const served = (await planFor(dir, 'UTC', quiet)).webhooks.get('/huge')!;
    // a run of it that is not executed (5,000 stub steps would take a while): the route reads its definition only
    const run = await store.createRun({ flow: 'Huge', inputs: {}, definition: served.definition, startedAt: new Date().toISOString(), status: 'queued' });
    const answer = await definition(run.id);
    assert.equal(answer.layout, undefined);
    assert.equal(answer.layoutNote, 'the server is still laying out Huge (5,073 nodes)');
    assert.equal(answer.layoutPending, true);
    assert.equal(answer.graph.nodes.length, 5073, 'the graph is sent whole');
    assert.ok(layouts.busy(), 'the layout is under way');
    const health = await fetch(`${server!.url}/health`);
    assert.equal(health.status, 200);
    const list = await fetch(`${server!.url}/runs`);
    assert.equal(list.status, 200);
    assert.ok(((await list.json()) as { runs: { id: string }[] }).runs.some((r) => r.id === run.id));
    assert.ok(layouts.busy(), 'both answered while elkjs was still laying the flow out');
    // asked again for the layout alone: still under way, said the same way, without the graph
    const again = await fetch(`${server!.url}/runs/${run.id}/definition?only=layout`);
    assert.deepEqual(await again.json(), { hash: answer.hash, flow: 'Huge', layoutPending: true, layoutNote: 'the server is still laying out Huge (5,073 nodes)' });
  });
});

describe('GraphLayouts: the layout thread', function () {
  this.timeout(60_000);
  const graph = (flow: string, broken = false): FlowGraph => ({
    flow,
    nodes: [
      { id: `${flow}/start`, kind: 'start', label: 'start' },
      { id: `${flow}/a`, kind: 'step', label: 'a' },
      { id: `${flow}/end`, kind: 'end', label: 'end' },
    ],
    edges: [
      { id: 'e1', source: `${flow}/start`, target: `${flow}/a`, kind: 'flow' },
      { id: 'e2', source: `${flow}/a`, target: broken ? `${flow}/gone` : `${flow}/end`, kind: 'flow' },
    ],
  } as FlowGraph);

  it('a graph that cannot be laid out is answered with the reason, once: it is not laid out again', async () => {
    const layouts = new GraphLayouts();
    try {
      const outcome = await layouts.layout('h#Broken', { flow: 'Broken', graph: graph('Broken', true) });
      assert.deepEqual(outcome, { error: 'edge e2 names a node the graph does not have' });
      assert.deepEqual(await layouts.layout('h#Broken', { flow: 'Broken', graph: graph('Broken', true) }), outcome);
      assert.equal(layouts.started, 1);
      // the thread still lays out the next graph
      assert.ok('geometry' in (await layouts.layout('h#Fine', { flow: 'Fine', graph: graph('Fine') })));
    } finally {
      await layouts.close();
    }
  });

  it('the layout thread runs at a lower CPU priority (nice 10, Linux) than the threads answering requests and executing runs', async () => {
    const niceOf = (task: string): number => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    const before = new Set(readdirSync('/proc/self/task'));
    const layouts = new GraphLayouts();
    try {
      assert.ok('geometry' in (await layouts.layout('h#Fine', { flow: 'Fine', graph: graph('Fine') })));
      const added = readdirSync('/proc/self/task').filter((task) => !before.has(task));
      assert.ok(added.map(niceOf).includes(10), `a thread of nice 10 among the new ones: ${added.map(niceOf).join(', ')}`);
      assert.equal(niceOf(String(process.pid)), 0, 'this thread keeps its priority');
    } finally {
      await layouts.close();
    }
  });

  it('a request goes before the background pass: a background layout running is stopped for it and done after', async () => {
    const layouts = new GraphLayouts();
    try {
      const huge = panelFolds(hugeGraph()).drawn.graph;
      const order: string[] = [];
      const background = layouts.layout('h#Huge', { flow: 'Huge', graph: huge }, true).then((o) => order.push(`huge ${'geometry' in o}`));
      const request = layouts.layout('h#Small', { flow: 'Small', graph: graph('Small') }).then((o) => order.push(`small ${'geometry' in o}`));
      await request;
      assert.deepEqual(order, ['small true']);
      assert.ok(layouts.busy(), 'the background layout is laid out again after the request');
      await layouts.close();
      await background;
      assert.deepEqual(order, ['small true', 'huge false']);
    } finally {
      await layouts.close();
    }
  });
});

/** A chain of 1,500 steps: elkjs takes a second or more. */
function hugeGraph(): FlowGraph {
  const nodes: FlowGraph['nodes'] = [];
  const edges: FlowGraph['edges'] = [];
  for (let i = 0; i < 1500; i++) {
    nodes.push({ id: `Huge/s${i}`, kind: 'step', label: `s${i}` } as FlowGraph['nodes'][number]);
    if (i > 0) edges.push({ id: `e${i}`, source: `Huge/s${i - 1}`, target: `Huge/s${i}`, kind: 'flow' } as FlowGraph['edges'][number]);
  }
  return { flow: 'Huge', nodes, edges };
}
