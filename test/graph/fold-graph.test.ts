import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, WorkflowDefinition } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph, foldFlowGraph, foldRegions, layoutFlowGraph, renderSvg } from '../../packages/graph/src/index.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const P = 'ProcessOrchestrator';

async function load(file: string): Promise<WorkflowDefinition> {
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [path.join(EXAMPLES, file)]);
  return services.Baton.ir.WorkflowBuilder.build(loaded.documents);
}

/** Every edge names nodes the graph has, and no edge id is repeated. */
function assertConsistent(graph: FlowGraph): void {
  const ids = new Set(graph.nodes.map((n) => n.id));
  assert.equal(ids.size, graph.nodes.length, 'node ids are unique');
  for (const e of graph.edges) assert.ok(ids.has(e.source) && ids.has(e.target), `${e.id} joins drawn nodes (${e.source} → ${e.target})`);
  assert.equal(new Set(graph.edges.map((e) => e.id)).size, graph.edges.length, 'edge ids are unique');
  for (const n of graph.nodes) if (n.parent) assert.ok(ids.has(n.parent), `${n.id}'s container is drawn`);
}

describe('graph: folding regions (loops, parallel blocks, decisions, arms)', function () {
  this.timeout(60_000);
  let definition: WorkflowDefinition;
  let graph: FlowGraph;
  before(async () => {
    definition = await load('process-orchestrator.flow');
    graph = buildFlowGraph(definition, P);
  });

  it('finds the seed process’s regions, outermost first, with the nodes each one holds', () => {
    const regions = foldRegions(graph);
    const byId = new Map(regions.map((r) => [r.id, r]));
    assert.equal(regions[0].id, `${P}/switch@2`, 'the switch is the largest region');
    assert.deepEqual(byId.get(`${P}/foreach@2.1.0`)?.members, [`${P}/migrate`, `${P}/migrate/compensate`]);
    assert.deepEqual(byId.get(`${P}/parallel@2.0.0/fork`)?.members, [`${P}/rules`, `${P}/package`, `${P}/parallel@2.0.0/join`]);
    assert.deepEqual(byId.get(`${P}/switch@2#1`)?.members, [`${P}/foreach@2.1.0`, `${P}/migrate`, `${P}/migrate/compensate`, `${P}/migration_report`]);
    assert.equal(byId.get(`${P}/switch@2#1`)?.anchor, `${P}/foreach@2.1.0`);
    assert.equal(byId.has(`${P}/switch@2#3`), false, 'a one-node arm (the incident sub-flow) does not fold');
    assert.equal(byId.has(`${P}/switch@2#4`), false, 'an empty arm (default) does not fold');
    assert.equal(byId.get(`${P}/switch@2`)?.members.length, 18);
    for (let i = 1; i < regions.length; i++) assert.ok(regions[i - 1].members.length >= regions[i].members.length);
  });

  it('folds nothing for no ids and ignores ids that name no region', () => {
    const folded = foldFlowGraph(graph, ['nope', `${P}/intake`]);
    assert.deepEqual(folded.graph, graph);
    assert.equal(folded.folded.size, 0);
  });

  it('folds a loop into its node: its body hidden, no longer a container, the way out kept', () => {
    const { graph: g, hiddenIn } = foldFlowGraph(graph, [`${P}/foreach@2.1.0`]);
    assertConsistent(g);
    const loop = g.nodes.find((n) => n.id === `${P}/foreach@2.1.0`)!;
    assert.equal(loop.folded, 2);
    assert.equal(g.nodes.some((n) => n.id === `${P}/migrate`), false);
    assert.equal(hiddenIn.get(`${P}/migrate/compensate`), loop.id);
    assert.ok(g.edges.some((e) => e.source === loop.id && e.target === `${P}/migration_report`));
    assert.equal(g.nodes.length, graph.nodes.length - 2);
  });

  it('folds a parallel block into its fork; the join’s way out leaves the fork, with the same edge id', () => {
    const fork = `${P}/parallel@2.0.0/fork`;
    const { graph: g } = foldFlowGraph(graph, [fork]);
    assertConsistent(g);
    const node = g.nodes.find((n) => n.id === fork)!;
    assert.deepEqual([node.folded, node.detail], [3, '2 branches']);
    const out = g.edges.filter((e) => e.source === fork);
    assert.deepEqual(out.map((e) => [e.id, e.target]), [[`${P}/parallel@2.0.0/join->${P}/if@2.0.1`, `${P}/if@2.0.1`]]);
  });

  it('folds a whole decision into its node: arms and merge hidden, the merge’s way out leaves the decision', () => {
    const { graph: g, hiddenIn } = foldFlowGraph(graph, [`${P}/switch@2`]);
    assertConsistent(g);
    assert.deepEqual(g.nodes.map((n) => n.id), [`${P}/start`, `${P}/trigger@0`, `${P}/trigger@1`, `${P}/intake`, `${P}/set@1`, `${P}/switch@2`, `${P}/wrap_up`, `${P}/notify_requester`, `${P}/set@5`, `${P}/end`]);
    assert.equal(hiddenIn.get(`${P}/cfo_signoff`), `${P}/switch@2`);
    assert.deepEqual(g.edges.filter((e) => e.source === `${P}/switch@2`).map((e) => e.target), [`${P}/wrap_up`]);
  });

  it('folds one arm into an `arm` node entered by the arm’s edge and leaving to the merge once', () => {
    const arm = `${P}/switch@2#0`;
    const { graph: g } = foldFlowGraph(graph, [arm]);
    assertConsistent(g);
    const node = g.nodes.find((n) => n.id === arm)!;
    assert.equal(node.kind, 'arm');
    assert.equal(node.label, 'case "APPROVAL"');
    assert.equal(node.folded, 8);
    assert.match(node.detail ?? '', /^8 nodes: rules, package, …$/);
    assert.deepEqual(node.range, graph.nodes.find((n) => n.id === `${P}/parallel@2.0.0/fork`)!.range, 'clicking it reveals the arm’s first statement');
    const into = g.edges.filter((e) => e.target === arm);
    assert.deepEqual(into.map((e) => [e.source, e.label, e.branch]), [[`${P}/switch@2`, 'case "APPROVAL"', 0]]);
    assert.deepEqual(g.edges.filter((e) => e.source === arm).map((e) => e.target), [`${P}/switch@2/merge`]);
    assert.equal(g.nodes.indexOf(node), graph.nodes.findIndex((n) => n.id === `${P}/parallel@2.0.0/fork`), 'drawn where the arm was (source order)');
  });

  it('hides an inner folded region with the outer one, and keeps it folded when the outer one opens', () => {
    const inner = `${P}/foreach@2.1.0`;
    const both = foldFlowGraph(graph, [inner, `${P}/switch@2#1`]);
    assert.deepEqual([...both.folded], [`${P}/switch@2#1`]);
    assert.equal(both.hiddenIn.get(`${P}/migrate`), `${P}/switch@2#1`);
    assertConsistent(both.graph);
    const innerOnly = foldFlowGraph(graph, [inner]);
    assert.deepEqual([...innerOnly.folded], [inner]);
  });

  it('every single fold and every pair of folds of every example flow stays a consistent graph that lays out', async () => {
    for (const file of ['process-orchestrator.flow', 'outreach.flow', 'dispatcher.flow']) {
      const def = await load(file);
      for (const flow of Object.keys(def.flows)) {
        const full = buildFlowGraph(def, flow);
        const ids = foldRegions(full).map((r) => r.id);
        for (const a of ids) {
          for (const b of ids) {
            const { graph: g } = foldFlowGraph(full, [a, b]);
            assertConsistent(g);
          }
        }
        if (ids.length) {
          const layout = await layoutFlowGraph(foldFlowGraph(full, ids).graph);
          assert.ok(layout.width > 0);
        }
      }
    }
  });

  it('draws − toggles on the regions that can fold and a + toggle with a stacked shape on a folded one', async () => {
    const regions = foldRegions(graph).map((r) => r.id);
    const open = renderSvg(await layoutFlowGraph(graph, { foldable: new Set(regions) }), { foldable: new Set(regions) });
    const toggles = [...open.matchAll(/data-fold="([^"]+)"/g)].map((m) => m[1].replace(/&quot;/g, '"'));
    assert.deepEqual(toggles.sort(), [...regions].sort());
    assert.equal(renderSvg(await layoutFlowGraph(graph)).includes('data-fold'), false, 'the CLI’s SVG has no fold toggles');
    const { graph: g } = foldFlowGraph(graph, [`${P}/switch@2#0`]);
    const svg = renderSvg(await layoutFlowGraph(g), { foldable: new Set(regions) });
    assert.match(svg, /<g class="node kind-arm folded" data-id="ProcessOrchestrator\/switch@2#0"[^>]*aria-label="arm case &quot;APPROVAL&quot;: 8 nodes: rules, package, …, folded \(8 nodes inside\)"/);
    assert.match(svg, /<g class="toggle fold" data-fold="ProcessOrchestrator\/switch@2#0"[^>]*aria-label="unfold arm case &quot;APPROVAL&quot;"><rect[^>]*\/><path d="M3,7 H11 M7,3 V11"\/>/);
    assert.match(svg, /<g class="stack" transform="translate\(4,4\)">/);
  });
});
