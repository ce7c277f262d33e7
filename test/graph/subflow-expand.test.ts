import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph, layoutFlowGraph, renderSvg } from '../../packages/graph/src/index.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

async function load(file: string): Promise<WorkflowDefinition> {
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [path.join(EXAMPLES, file)]);
  return services.Baton.ir.WorkflowBuilder.build(loaded.documents);
}

describe('graph: sub-flows expanded in place', function () {
  this.timeout(60_000);
  let definition: WorkflowDefinition;
  before(async () => {
    definition = await load('process-orchestrator.flow');
  });

  it('draws a sub-flow step closed by default: one `subflow` node, nothing of the called flow', () => {
    const graph = buildFlowGraph(definition, 'ProcessOrchestrator');
    const incident = graph.nodes.find((n) => n.id === 'ProcessOrchestrator/incident');
    assert.equal(incident?.kind, 'subflow');
    assert.equal(incident?.expanded, undefined);
    assert.equal(graph.nodes.filter((n) => n.id.includes('>')).length, 0);
  });

  it('expands a sub-flow step into a container holding the called flow’s nodes and edges, ids prefixed, no inner start or end', () => {
    const closed = buildFlowGraph(definition, 'IncidentRouting');
    const graph = buildFlowGraph(definition, 'ProcessOrchestrator', { expand: ['ProcessOrchestrator/incident'] });
    const container = graph.nodes.find((n) => n.id === 'ProcessOrchestrator/incident')!;
    assert.equal(container.expanded, true);
    const inner = graph.nodes.filter((n) => n.id.startsWith('ProcessOrchestrator/incident>'));
    const expected = closed.nodes.filter((n) => n.kind !== 'start' && n.kind !== 'end' && n.kind !== 'trigger').map((n) => `ProcessOrchestrator/incident>${n.id}`);
    assert.deepEqual(inner.map((n) => n.id).sort(), expected.sort());
    for (const n of inner) assert.ok(n.parent === 'ProcessOrchestrator/incident' || n.parent?.startsWith('ProcessOrchestrator/incident>'), `${n.id} is inside the container`);
    // the called flow's first statement hangs from the container, as a loop's body does
    const first = closed.edges.find((e) => e.source === 'IncidentRouting/start')!.target;
    assert.ok(graph.edges.some((e) => e.source === 'ProcessOrchestrator/incident' && e.target === `ProcessOrchestrator/incident>${first}`));
    // the outer flow is unchanged around it
    const outer = buildFlowGraph(definition, 'ProcessOrchestrator');
    for (const e of outer.edges) assert.ok(graph.edges.some((g) => g.id === e.id), `outer edge ${e.id} kept`);
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const e of graph.edges) assert.ok(ids.has(e.source) && ids.has(e.target), `edge ${e.id} joins drawn nodes`);
    // inner nodes keep their source ranges (clicking one reveals the sub-flow's line)
    assert.ok(inner.find((n) => n.id.endsWith('>IncidentRouting/page'))?.range);
  });

  it('lays an expanded graph out soundly and draws the container with a collapse toggle', async () => {
    const graph = buildFlowGraph(definition, 'ProcessOrchestrator', { expand: ['ProcessOrchestrator/incident'] });
    const layout = await layoutFlowGraph(graph);
    const box = (id: string) => layout.nodes.find((n) => n.id === id)!;
    const container = box('ProcessOrchestrator/incident');
    for (const n of layout.nodes.filter((m) => m.parent === 'ProcessOrchestrator/incident')) {
      assert.ok(n.x >= container.x && n.y >= container.y && n.x + n.width <= container.x + container.width + 0.5 && n.y + n.height <= container.y + container.height + 0.5, `${n.id} inside the container`);
    }
    const svg = renderSvg(layout);
    assert.match(svg, /<g class="node kind-subflow expanded" data-id="ProcessOrchestrator\/incident"/);
    assert.match(svg, /<g class="toggle" data-toggle="ProcessOrchestrator\/incident" [^>]*aria-label="collapse incident"/);
    const closedSvg = renderSvg(await layoutFlowGraph(buildFlowGraph(definition, 'ProcessOrchestrator')));
    assert.match(closedSvg, /aria-label="expand incident"/);
  });

  it('colours a sub-flow’s steps inside the expanded container from the run’s events (node + step path)', () => {
    const graph = buildFlowGraph(definition, 'ProcessOrchestrator', { expand: ['ProcessOrchestrator/incident'] });
    const overlay = new RunOverlay(graph);
    let seq = 0;
    const base = { runId: 'r1', time: '2026-11-23T00:00:00.000Z' };
    const events: RunEvent[] = [
      { type: 'run.started', ...base, seq: ++seq, flow: 'ProcessOrchestrator', inputs: {} },
      { type: 'step.started', ...base, seq: ++seq, step: 'incident', node: 'ProcessOrchestrator/incident', agent: 'IncidentRouting', target: 'flow' },
      { type: 'step.started', ...base, seq: ++seq, step: 'incident/page', node: 'IncidentRouting/page', agent: 'NotificationOrchestrator', target: 'agent' },
      { type: 'step.finished', ...base, seq: ++seq, step: 'incident/page', node: 'IncidentRouting/page', agent: 'NotificationOrchestrator', status: 'succeeded', output: {}, durationMs: 4, attempts: 2, tokens: 0, callIndexes: [0] },
    ] as RunEvent[];
    for (const e of events) overlay.apply(e);
    assert.deepEqual(overlay.nodes.get('ProcessOrchestrator/incident>IncidentRouting/page'), { status: 'succeeded', durationMs: 4, retries: 1 });
    assert.equal(overlay.nodes.get('ProcessOrchestrator/incident')?.status, 'running');
    assert.equal(overlay.unknownNodes.size, 0);
    // closed, the same events leave the inner step unknown (counted), never fatal
    const closed = new RunOverlay(buildFlowGraph(definition, 'ProcessOrchestrator'));
    for (const e of events) closed.apply(e);
    assert.deepEqual([...closed.unknownNodes], ['IncidentRouting/page']);
  });
});
