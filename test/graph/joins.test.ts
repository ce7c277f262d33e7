import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import type { AgentRequest } from '../../packages/runtime/src/index.js';
import { SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';
import { buildFlowGraph, foldFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
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

describe('graph: partial joins', () => {
  const FLOW = `${AGENT}flow F {
  parallel first 2 {
    step a: W
    step b: W
    branch {
      step c: W
      step c2: W
    }
  }
  foreach s in ["x", "y"] first 1 where d.status == "succeeded" keep {
    step d: W { prompt: "\${s}" }
  }
}`;

  it('the join of a parallel says `first 2 of 3` and `cancel rest` (JSON, Mermaid, DOT, SVG); a foreach its join in the loop detail', async () => {
    const graph = buildFlowGraph(await build(FLOW), 'F');
    const join = graph.nodes.find((n) => n.kind === 'join')!;
    assert.deepEqual([join.label, join.detail], ['first 2 of 3', 'cancel rest']);
    assert.equal(graph.nodes.find((n) => n.kind === 'loop')?.detail, 's in ["x", "y"] · first 1 where d.status == "succeeded" · keep');
    assert.match(toMermaid(graph), /\(\("first 2 of 3<br\/>cancel rest"\)\)/);
    assert.match(toDot(graph), /xlabel="first 2 of 3\\ncancel rest"/);
    assert.match(renderSvg(await layoutFlowGraph(graph)), /<text class="detail"[^>]*>first 2 of 3 · cancel rest<\/text>/);
    // folded in the panel, the parallel keeps what its join says
    const fork = graph.nodes.find((n) => n.kind === 'fork')!;
    assert.equal(foldFlowGraph(graph, [fork.id]).graph.nodes.find((n) => n.id === fork.id)?.detail, '3 branches · first 2 of 3');
  });

  it('the run overlay shows a withdrawn branch as cancelled, also the steps it never reached', async () => {
    const definition = await build(FLOW);
    const graph = buildFlowGraph(definition, 'F');
    const store = SqliteRunStore.open(':memory:');
    const overlay = new RunOverlay(graph);
    const agents = {
      call: (r: AgentRequest) =>
        r.prompt === '' && r.stepKey === 'c'
          ? new Promise<never>((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
          : Promise.resolve({ output: 'ok' as const, tokens: 0 }),
    };
    try {
      const summary = await startRun(definition, 'F', {}, { store, agents, onEvent: (e) => overlay.apply(e), sleep: async () => undefined, random: () => 0.5 });
      assert.equal(summary.status, 'succeeded');
    } finally {
      await store.close();
    }
    assert.deepEqual(['F/a', 'F/b', 'F/c', 'F/c2'].map((id) => overlay.nodes.get(id)?.status), ['succeeded', 'succeeded', 'cancelled', 'cancelled']);
  });
});
