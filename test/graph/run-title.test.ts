import assert from 'node:assert/strict';
import { definitionTitle, type RunEvent, type WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document } = await checkText(text);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

describe('graph: the definition a stored run executes, in the title', () => {
  const migrated = (seq: number, from: string, to: string) => ({ type: 'run.migrated', runId: 'R', seq, time: '2026-12-04T00:00:00.000Z', from, to, flow: 'F', renamed: {} }) as RunEvent;

  it('definitionTitle names the definition and, oldest first, the ones the run was migrated from', () => {
    assert.equal(definitionTitle('3f2a9c1e' + '0'.repeat(56), []), 'definition 3f2a9c1e');
    assert.equal(definitionTitle('3f2a9c1e' + '0'.repeat(56), [migrated(4, '91bb02de' + '1'.repeat(56), '3f2a9c1e')]), 'definition 3f2a9c1e · migrated from 91bb02de');
    assert.equal(definitionTitle('c'.repeat(64), [migrated(4, 'a'.repeat(64), 'b'.repeat(64)), migrated(9, 'b'.repeat(64), 'c'.repeat(64))]), 'definition cccccccc · migrated from aaaaaaaa, bbbbbbbb');
  });

  it('Mermaid (front matter), DOT (graph label) and SVG (title and accessible name) carry the title; without one, nothing changes', async () => {
    const graph = buildFlowGraph(await build('agent W { instructions: "x" stub: "ok" }\nflow F {\n  step a: W\n}'), 'F');
    const title = 'definition 3f2a9c1e · migrated from 91bb02de';
    const titled = { ...graph, title };
    assert.ok(toMermaid(titled).startsWith(`---\ntitle: "F · ${title}"\n---\nflowchart TD\n`));
    assert.match(toDot(titled), new RegExp(`^digraph "F" \\{\\n {2}label="F · ${title}";\\n {2}labelloc=t;`));
    const svg = renderSvg(await layoutFlowGraph(titled));
    assert.ok(svg.includes(`<title>Flow F · ${title}</title>`));
    assert.ok(svg.includes(`aria-label="Flow F · ${title}"`));
    assert.ok(toMermaid(graph).startsWith('flowchart TD\n'));
    assert.doesNotMatch(toDot(graph), /^ {2}label=/m);
    assert.ok(renderSvg(await layoutFlowGraph(graph)).includes('<title>Flow F</title>'));
  });
});
