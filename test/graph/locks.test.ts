import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';
import { RunOverlay } from '../../packages/webview/src/run-overlay.js';
import { SqliteRunStore, resumeRun, startRun } from '../../packages/runtime/src/index.js';

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

const AGENT = 'agent W { instructions: "Send it." stub: "ok" }\n';

describe('graph: lock blocks', () => {
  it('a lock is a container holding its body; with on timeout, its arm and the locked arm meet at a merge', async () => {
    const def = await build(`${AGENT}flow F {
  input sku: string
  lock "stock:\${input.sku}" timeout 10m {
    step count: W
    step reserve: W
  } on timeout {
    step busy: W
  }
  step after: W
}`);
    const graph = buildFlowGraph(def, 'F');
    const lock = graph.nodes.find((n) => n.kind === 'lock')!;
    assert.equal(lock.id, 'F/lock@0');
    assert.equal(lock.label, 'lock "stock:${input.sku}"');
    assert.equal(lock.detail, 'timeout 10m');
    assert.deepEqual(graph.nodes.filter((n) => n.parent === lock.id).map((n) => n.id), ['F/count', 'F/reserve']);
    const edges = graph.edges.map((e) => `${e.source} -> ${e.target}${e.label ? ` [${e.label}]` : ''}`);
    assert.deepEqual(edges.filter((e) => !e.includes('start') && !e.includes('end')), [
      'F/lock@0 -> F/count',
      'F/count -> F/reserve',
      'F/lock@0 -> F/busy [on timeout]',
      'F/busy -> F/lock@0/merge',
      'F/lock@0 -> F/lock@0/merge [locked]',
      'F/lock@0/merge -> F/after',
    ]);
    assert.match(toMermaid(graph), /subgraph n\d+_box\["lock &quot;stock:\$\{input.sku\}&quot;: timeout 10m"\]|subgraph \w+_box\["lock/);
    assert.match(toDot(graph), /subgraph "cluster_F\/lock@0" \{/);
    const svg = renderSvg(await layoutFlowGraph(graph));
    assert.match(svg, /<g class="node kind-lock" data-id="F\/lock@0"[^>]*aria-label="critical section lock &quot;stock:\$\{input.sku\}&quot;: timeout 10m"/);
  });

  it('the run overlay: a lock that came is done on its locked arm; one that did not come in time on its on timeout arm', async () => {
    const def = await build(`${AGENT}flow F {
  parallel {
    lock "x" {
      step hold: W
      wait 1h
    }
    branch {
      wait 10m
      lock "x" timeout 20m {
        step inside: W
      } on timeout {
        step late: W
      }
    }
  }
  lock "x" timeout 1m {
    step after: W
  } on timeout {
    step never: W
  }
}`);
    const graph = buildFlowGraph(def, 'F');
    const overlay = new RunOverlay(graph);
    const store = SqliteRunStore.open(':memory:');
    try {
      let clock = Date.parse('2026-06-01T00:00:00Z');
      const options = { store, now: () => new Date(clock), sleep: async (ms: number) => void (clock += ms) };
      let s = await startRun(def, 'F', {}, options);
      for (let i = 0; s.status === 'waiting' && i < 5; i++) {
        const due = s.waitingOn.flatMap((w) => (w.kind === 'timer' ? [Date.parse(w.until)] : 'deadline' in w && w.deadline ? [Date.parse(w.deadline)] : []));
        clock = Math.max(clock, Math.min(...due));
        s = await resumeRun(s.runId, options);
      }
      assert.equal(s.status, 'succeeded');
      for (const e of await store.getEvents(s.runId)) overlay.apply(e);
      const taken = [...overlay.takenEdges(graph)];
      assert.ok(taken.includes('F/lock@0.1.1->F/late:on timeout'), taken.join(' '));
      assert.ok(!taken.includes('F/lock@0.1.1->F/lock@0.1.1/merge:locked'));
      assert.ok(taken.includes('F/lock@1->F/lock@1/merge:locked'), taken.join(' '));
      assert.equal(overlay.nodes.get('F/inside')?.status, undefined, 'the body that did not get the lock did not run');
      assert.equal(overlay.nodes.get('F/after')?.status, 'succeeded');
    } finally {
      await store.close();
    }
  });
});
