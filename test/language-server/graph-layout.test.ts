import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphRequest } from '@baton/protocol';
import { foldRegions, layoutFlowGraph } from '../../packages/graph/src/index.js';
import { GraphLayouts } from '../../packages/language-server/src/graph-layout.js';
import { fileUri, ROOT, startStdioServer, type StdioServer } from './stdio-client.js';

describe('language server: the graph panel’s first drawing laid out by the server (baton/graph with layout)', () => {
  let dir: string;
  let server: StdioServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-graph-layout-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the layout the panel would make of the unfolded graph, on its layout thread (out/graph-layout.cjs)', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'outreach.flow');
    const text = readFileSync(path.join(ROOT, 'examples', 'outreach.flow'), 'utf8');
    writeFileSync(file, text);
    server = await startStdioServer({ folder: dir });
    await server.open(fileUri(file), text);
    await server.waitFor(fileUri(file), () => true);

    const plain = await server.connection.sendRequest(GraphRequest, { uri: fileUri(file) });
    assert.equal(plain.layout, undefined, 'no layout unless asked');
    const result = await server.connection.sendRequest(GraphRequest, { uri: fileUri(file), layout: true });
    assert.ok(result.graph && result.layout, 'a graph and its layout');
    assert.deepEqual(result.graph, plain.graph);
    // what the page computes itself for a graph with nothing folded (packages/webview/src/main.ts)
    const own = await layoutFlowGraph(result.graph, { foldable: new Set(foldRegions(result.graph).map((r) => r.id)) });
    assert.deepEqual(result.layout, JSON.parse(JSON.stringify(own)));
    // a second request is answered by the same (warm) thread
    const again = await server.connection.sendRequest(GraphRequest, { uri: fileUri(file), layout: true });
    assert.deepEqual(again.layout, result.layout);
  });

  it('answers without a layout when there is no graph', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'agents.flow');
    writeFileSync(file, 'agent A { stub: "a" }\n');
    server = await startStdioServer({ folder: dir });
    await server.open(fileUri(file), 'agent A { stub: "a" }\n');
    await server.waitFor(fileUri(file), () => true);
    assert.deepEqual(await server.connection.sendRequest(GraphRequest, { uri: fileUri(file), layout: true }), { flows: [], flowRanges: [], error: 'the file declares no flow' });
  });

  it('GraphLayouts answers undefined, never rejects, without its worker file (the server run from source)', async () => {
    const layouts = new GraphLayouts(path.join(dir, 'missing.cjs'));
    const graph = { flow: 'F', nodes: [{ id: 'F/start', kind: 'start' as const, label: 'F' }], edges: [] };
    assert.equal(await layouts.layout(graph), undefined);
    layouts.dispose();
  });
});
