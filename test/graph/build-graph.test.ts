import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, Statement, WorkflowDefinition } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph, toDot, toMermaid } from '../../packages/graph/src/index.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

async function load(file: string): Promise<WorkflowDefinition> {
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [file]);
  return services.Baton.ir.WorkflowBuilder.build(loaded.documents);
}

function statementIds(body: Statement[]): string[] {
  const ids: string[] = [];
  const visit = (s: Statement): void => {
    ids.push(s.id);
    if (s.kind === 'if') {
      s.branches.forEach((b) => b.body.forEach(visit));
      s.else?.forEach(visit);
    }
    if (s.kind === 'switch') {
      s.cases.forEach((c) => c.body.forEach(visit));
      s.default?.forEach(visit);
    }
    if (s.kind === 'parallel') s.branches.forEach(visit);
    if (s.kind === 'foreach' || s.kind === 'repeat') s.body.forEach(visit);
  };
  body.forEach(visit);
  return ids;
}

function assertConsistent(graph: FlowGraph): void {
  const ids = new Set(graph.nodes.map((n) => n.id));
  assert.equal(ids.size, graph.nodes.length, 'node ids are unique');
  for (const e of graph.edges) {
    assert.ok(ids.has(e.source), `edge ${e.id} starts on a node (${e.source})`);
    assert.ok(ids.has(e.target), `edge ${e.id} ends on a node (${e.target})`);
  }
  for (const n of graph.nodes) if (n.parent) assert.ok(ids.has(n.parent), `parent of ${n.id} exists`);
  assert.equal(new Set(graph.edges.map((e) => e.id)).size, graph.edges.length, 'edge ids are unique');
}

describe('graph: IR → FlowGraph', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow'));

  it('every flow of every example: nodes carry the IR ids (a parallel is drawn as <id>/fork), edges join existing nodes, one start and one end', async () => {
    assert.ok(files.length >= 5);
    for (const file of files) {
      const def = await load(path.join(EXAMPLES, file));
      for (const [name, flow] of Object.entries(def.flows)) {
        const graph = buildFlowGraph(def, name);
        assertConsistent(graph);
        const nodeIds = new Set(graph.nodes.map((n) => n.id));
        for (const id of statementIds(flow.body)) assert.ok(nodeIds.has(id) || nodeIds.has(`${id}/fork`), `${file} ${name}: statement ${id} is drawn`);
        assert.equal(graph.nodes.filter((n) => n.kind === 'start').length, 1, `${file} ${name}: one start`);
        assert.equal(graph.nodes.filter((n) => n.kind === 'end').length, 1, `${file} ${name}: one end`);
      }
    }
  });

  it('draws compensation as compensation edges and parallel as fork/join', async () => {
    const def = await load(path.join(EXAMPLES, 'incident-saga.flow'));
    const saga = buildFlowGraph(def, 'IncidentSaga');
    assert.ok(saga.edges.filter((e) => e.kind === 'compensation').length >= 3);
    const outreach = await load(path.join(EXAMPLES, 'outreach.flow'));
    const flowName = Object.keys(outreach.flows)[0];
    const g = buildFlowGraph(outreach, flowName);
    assert.ok(g.nodes.some((n) => n.kind === 'fork') && g.nodes.some((n) => n.kind === 'join'));
  });

  it('a step\'s details list its agent\'s tools, as the model calls them, with their approval', async () => {
    const def = await load(path.join(EXAMPLES, 'support-tools.flow'));
    const answer = buildFlowGraph(def, 'Help').nodes.find((n) => n.id === 'Help/answer');
    assert.deepEqual(answer?.tooltip, { target: 'agent Support', prompt: '"${input.question}"', output: '{ reply: string, refunded: boolean }', tools: 'LookupOrder, RefundFlow (approval finance)' });
    // an agent without tools: no tools line
    const pay = buildFlowGraph(def, 'RefundFlow').nodes.find((n) => n.id === 'RefundFlow/pay');
    assert.equal(pay?.tooltip?.tools, undefined);
  });

  it('Mermaid and DOT name every node and edge, with quotes escaped', async () => {
    const def = await load(path.join(EXAMPLES, 'process-orchestrator.flow'));
    const graph = buildFlowGraph(def, Object.keys(def.flows)[0]);
    const mermaid = toMermaid(graph);
    const dot = toDot(graph);
    assert.match(mermaid, /^flowchart TD/);
    assert.match(dot, /^digraph /);
    assert.match(dot, /}\s*$/);
    for (const label of graph.nodes.map((n) => n.label)) {
      if (label.includes('"')) assert.ok(!dot.includes(`"${label}"`), 'a label with quotes is escaped in DOT');
    }
    const edgeLines = mermaid.split('\n').filter((l) => l.includes('-->') || l.includes('-.->') || l.includes('==>'));
    assert.equal(edgeLines.length, graph.edges.length, 'one Mermaid line per edge');
  });
});
