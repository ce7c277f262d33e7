import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

const AGENT = 'agent W { instructions: "Send it." stub: "ok" }\n';

describe('graph: branch { … } and parallel concurrency', () => {
  it('a branch { … } adds no node: its statements chain from the fork to the join; the fork says `one at a time`', async () => {
    const def = await build(`${AGENT}flow F {
  parallel concurrency 1 {
    branch {
      step a: W
      step b: W
    }
    step c: W
    branch { }
  }
}`);
    const graph = buildFlowGraph(def, 'F');
    const fork = graph.nodes.find((n) => n.kind === 'fork')!;
    const join = graph.nodes.find((n) => n.kind === 'join')!;
    assert.equal(fork.detail, 'one at a time');
    assert.ok(!graph.nodes.some((n) => n.id.includes('block@')), 'no node for the block');
    const edges = graph.edges.map((e) => `${e.source} -> ${e.target}`);
    assert.deepEqual(edges.filter((e) => !e.includes('start') && !e.includes('end')), [
      `${fork.id} -> F/a`,
      'F/a -> F/b',
      `${fork.id} -> F/c`,
      `F/b -> ${join.id}`,
      `F/c -> ${join.id}`,
      `${fork.id} -> ${join.id}`,
    ]);
    assert.match(toMermaid(graph), /\(\("fork<br\/>one at a time"\)\)/);
    assert.match(toDot(graph), /xlabel="one at a time"/);
    assert.match(renderSvg(await layoutFlowGraph(graph)), /<text class="detail"[^>]*>one at a time<\/text>/);
  });

  it('a parallel with `concurrency 3` says `3 at once`; without it the fork has no detail', async () => {
    const def = await build(`${AGENT}flow F {\n  parallel concurrency 3 {\n    step a: W\n    step b: W\n  }\n  parallel {\n    step c: W\n    step d: W\n  }\n}`);
    const forks = buildFlowGraph(def, 'F').nodes.filter((n) => n.kind === 'fork');
    assert.deepEqual(forks.map((f) => f.detail), ['3 at once', undefined]);
  });
});
