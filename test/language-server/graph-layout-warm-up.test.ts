import assert from 'node:assert/strict';
import path from 'node:path';
import { EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../language/src/index.js';
import { foldRegions, layoutFlowGraph } from '../../packages/graph/src/index.js';
import { warmLayoutsWhenIdle } from '../../packages/language-server/src/baton-graph-request.js';
import { GraphLayouts, WARM_UP_GRAPH } from '../../packages/language-server/src/graph-layout.js';
import { ROOT } from './stdio-client.js';

const FLOW = 'agent A { stub: "a" }\nflow F {\n  step a: A { prompt: "hi" }\n}\n';
const AGENTS_ONLY = 'agent A { stub: "a" }\n';
const IDLE_MS = 30;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Services with a fake layout thread that counts its warm-ups, `warmLayoutsWhenIdle` listening (idle {@link IDLE_MS}). */
function setUp(graphPanel: boolean) {
  const { shared, Baton } = createBatonServices(EmptyFileSystem);
  Baton.baton.ClientOptions.read({ graphPanel });
  const warmUps: number[] = [];
  const layouts = { warmUp: () => void warmUps.push(Date.now()) } as unknown as GraphLayouts;
  warmLayoutsWhenIdle(shared as never, Baton, layouts, IDLE_MS);
  let n = 0;
  const build = async (text: string): Promise<void> => {
    const document = shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///w/f${++n}.flow`));
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
  };
  return { shared, warmUps, build };
}

describe('language server: the layout thread warmed when the server is idle (a client with a graph panel)', function () {
  this.timeout(30_000);

  it('warms it once, idle time after a build that validated a flow', async () => {
    const { warmUps, build } = setUp(true);
    const built = Date.now();
    await build(FLOW);
    assert.deepEqual(warmUps, [], 'not during the build');
    await sleep(IDLE_MS * 4);
    assert.equal(warmUps.length, 1);
    assert.ok(warmUps[0] - built >= IDLE_MS - 1, 'after the idle time');
    await build(FLOW);
    await sleep(IDLE_MS * 4);
    assert.equal(warmUps.length, 1, 'once');
  });

  it('waits while updates come, and for a build of a file declaring a flow', async () => {
    const { shared, warmUps, build } = setUp(true);
    await build(AGENTS_ONLY);
    await sleep(IDLE_MS * 3);
    assert.deepEqual(warmUps, [], 'no flow to draw');
    await build(FLOW);
    // an update within the idle time: the timer waits for the build it starts
    await shared.workspace.DocumentBuilder.update([], []);
    await sleep(IDLE_MS * 3);
    assert.deepEqual(warmUps, [], 'the update’s build validated no flow');
    await build(FLOW);
    await sleep(IDLE_MS * 4);
    assert.equal(warmUps.length, 1);
  });

  it('never warms it for a client without a graph panel', async () => {
    const { warmUps, build } = setUp(false);
    await build(FLOW);
    await sleep(IDLE_MS * 4);
    assert.deepEqual(warmUps, []);
  });

  it('GraphLayouts.warmUp starts the bundled thread with a graph it lays out, and the next layout is the page’s own', async () => {
    const layouts = new GraphLayouts(path.join(ROOT, 'out', 'graph-layout.cjs'));
    try {
      assert.ok(await layouts.layout(WARM_UP_GRAPH), 'the warm-up graph lays out');
      layouts.dispose();
      layouts.warmUp();
      const graph = { flow: 'F', nodes: [{ id: 'F/start', kind: 'start' as const, label: 'F' }, { id: 'F/a', kind: 'step' as const, label: 'a', detail: 'A' }, { id: 'F/end', kind: 'end' as const, label: 'end' }], edges: [{ id: 'e1', source: 'F/start', target: 'F/a', kind: 'flow' as const }, { id: 'e2', source: 'F/a', target: 'F/end', kind: 'flow' as const }] };
      const laidOut = await layouts.layout(graph);
      const own = await layoutFlowGraph(graph, { foldable: new Set(foldRegions(graph).map((r) => r.id)) });
      assert.deepEqual(laidOut, JSON.parse(JSON.stringify(own)));
    } finally {
      layouts.dispose();
    }
  });
});
