import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, GraphBox, GraphEdge, GraphLayout, GraphNode } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph, layoutFlowGraph, renderSvg } from '../../packages/graph/src/index.js';
import { generateGraph } from './generate-graph.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Whether `node` lies inside the container `ancestor` (through parent links). */
function within(byId: Map<string, GraphNode>, node: string, ancestor: string): boolean {
  let p = byId.get(node)?.parent;
  while (p) {
    if (p === ancestor) return true;
    p = byId.get(p)?.parent;
  }
  return false;
}

const overlaps = (a: GraphBox, b: GraphBox): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const contains = (outer: GraphBox, inner: GraphBox): boolean =>
  inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;
/** A point on the box (its border or inside, 1.5 px of tolerance for rounding). */
const onBox = (p: { x: number; y: number }, b: GraphBox): boolean => p.x >= b.x - 1.5 && p.x <= b.x + b.width + 1.5 && p.y >= b.y - 1.5 && p.y <= b.y + b.height + 1.5;

/**
 * The layout's invariants: every node has a box inside the drawing; no two nodes overlap unless one contains the
 * other; a container holds its children; every edge has a route whose first point is on its source and last
 * point on its target; every segment is horizontal or vertical (orthogonal routing).
 */
function assertLayoutSound(layout: GraphLayout, graph: FlowGraph, where: string): void {
  assert.equal(layout.nodes.length, graph.nodes.length, `${where}: every node is laid out`);
  assert.equal(layout.edges.length, graph.edges.length, `${where}: every edge is laid out`);
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  for (const n of layout.nodes) {
    assert.ok(n.width > 0 && n.height > 0, `${where}: ${n.id} has a size`);
    assert.ok(contains({ x: 0, y: 0, width: layout.width, height: layout.height }, n), `${where}: ${n.id} is inside the drawing`);
    if (n.parent) assert.ok(contains(byId.get(n.parent)!, n), `${where}: ${n.id} is inside its container ${n.parent}`);
  }
  for (let i = 0; i < layout.nodes.length; i++) {
    for (let j = i + 1; j < layout.nodes.length; j++) {
      const a = layout.nodes[i];
      const b = layout.nodes[j];
      if (within(byId, a.id, b.id) || within(byId, b.id, a.id)) continue;
      assert.ok(!overlaps(a, b), `${where}: ${a.id} ${JSON.stringify([a.x, a.y, a.width, a.height])} overlaps ${b.id} ${JSON.stringify([b.x, b.y, b.width, b.height])}`);
    }
  }
  for (const e of layout.edges) {
    assert.ok(e.points.length >= 2, `${where}: edge ${e.id} has a route`);
    assert.ok(onBox(e.points[0], byId.get(e.source)!), `${where}: edge ${e.id} starts on ${e.source} (${JSON.stringify(e.points[0])})`);
    assert.ok(onBox(e.points.at(-1)!, byId.get(e.target)!), `${where}: edge ${e.id} ends on ${e.target} (${JSON.stringify(e.points.at(-1))})`);
    for (let k = 1; k < e.points.length; k++) {
      const [p, q] = [e.points[k - 1], e.points[k]];
      assert.ok(Math.abs(p.x - q.x) < 0.6 || Math.abs(p.y - q.y) < 0.6 || isDiamondEnd(e, k, byId), `${where}: edge ${e.id} segment ${k} is orthogonal`);
    }
    // compensation edges are told apart by their dashed style, not a label
    if (e.label && e.kind !== 'compensation') assert.ok(e.labelBox, `${where}: labelled edge ${e.id} has a label box`);
  }
}

/** The first/last segment of an edge may be shortened onto a diamond's slanted border: still vertical. */
function isDiamondEnd(e: GraphEdge, k: number, byId: Map<string, GraphNode>): boolean {
  const kinds = new Set(['decision', 'merge']);
  return (k === 1 && kinds.has(byId.get(e.source)!.kind)) || kinds.has(byId.get(e.target)!.kind);
}

async function load(file: string) {
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [file]);
  return services.Baton.ir.WorkflowBuilder.build(loaded.documents);
}

describe('graph: FlowGraph → elkjs layout → SVG', function () {
  this.timeout(120_000);

  it('lays out every flow of every example soundly and draws every node and edge in the SVG', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow'));
    let flows = 0;
    for (const file of files) {
      const def = await load(path.join(EXAMPLES, file));
      for (const name of Object.keys(def.flows)) {
        const graph = buildFlowGraph(def, name);
        const layout = await layoutFlowGraph(graph);
        assertLayoutSound(layout, graph, `${file} ${name}`);
        const svg = renderSvg(layout);
        for (const n of graph.nodes) assert.ok(svg.includes(`data-id="${n.id}"`), `${file} ${name}: node ${n.id} is in the SVG`);
        assert.equal((svg.match(/<g class="edge /g) ?? []).length, graph.edges.length, `${file} ${name}: every edge is drawn`);
        flows++;
      }
    }
    assert.ok(flows >= 10);
  });

  it('lays out generated graphs of 10 to 1,000 nodes soundly', async () => {
    for (const [size, seed] of [[10, 1], [50, 2], [120, 3], [300, 4], [1000, 5]] as const) {
      const graph = generateGraph(size, seed);
      assert.ok(graph.nodes.length >= size * 0.9, `generated ${graph.nodes.length} nodes for ${size}`);
      const started = performance.now();
      const layout = await layoutFlowGraph(graph);
      const ms = performance.now() - started;
      assertLayoutSound(layout, graph, `generated ${size}`);
      if (process.env.BATON_TEST_VERBOSE) console.log(`      ${graph.nodes.length} nodes laid out in ${ms.toFixed(0)} ms`);
    }
  });

  it('sends a decision’s branches from its bottom and lays compensation beside the step, pointing back at it', async () => {
    const def = await load(path.join(EXAMPLES, 'incident-saga.flow'));
    const layout = await layoutFlowGraph(buildFlowGraph(def, 'IncidentSaga'));
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    const undo = layout.edges.find((e) => e.kind === 'compensation' && e.target === 'IncidentSaga/freeze');
    assert.ok(undo, 'freeze has a compensation edge');
    const freeze = byId.get('IncidentSaga/freeze')!;
    const last = undo.points.at(-1)!;
    assert.ok(Math.abs(last.x - freeze.x) < 1.5, 'the compensation edge arrives on the left side of the step it undoes');
    const decision = layout.nodes.find((n) => n.kind === 'decision')!;
    for (const e of layout.edges.filter((x) => x.source === decision.id)) {
      assert.ok(e.points[0].y > decision.y + decision.height / 2, `${e.label} leaves from the lower half of the diamond`);
      assert.ok(e.labelBox, `${e.label} has its label placed`);
    }
  });

  it('escapes text from the flow in the SVG', async () => {
    const graph: FlowGraph = {
      flow: 'X',
      nodes: [
        { id: 'X/start', kind: 'start', label: 'X' },
        { id: 'X/a', kind: 'step', label: '<script>alert(1)</script>', detail: 'A & "B"' },
        { id: 'X/end', kind: 'end', label: 'end' },
      ],
      edges: [
        { id: 'e1', source: 'X/start', target: 'X/a', kind: 'flow' },
        { id: 'e2', source: 'X/a', target: 'X/end', kind: 'branch', label: "it's <b>" },
      ],
    };
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.ok(!svg.includes('<script>'), 'no markup from labels');
    assert.ok(svg.includes('&lt;script&gt;'));
    assert.ok(svg.includes('A &amp; &quot;B&quot;'));
    assert.ok(svg.includes('it&#39;s &lt;b&gt;'));
  });

  it('rejects an edge to a node the graph does not have, naming it', async () => {
    const graph: FlowGraph = { flow: 'X', nodes: [{ id: 'X/start', kind: 'start', label: 'X' }], edges: [{ id: 'bad', source: 'X/start', target: 'X/gone', kind: 'flow' }] };
    await assert.rejects(layoutFlowGraph(graph), /edge bad names a node the graph does not have/);
  });
});
