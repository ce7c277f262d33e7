import assert from 'node:assert/strict';
import type { FlowGraph, GraphNode } from '@baton/protocol';
import { nodeAtPosition } from '../../packages/graph/src/index.js';

const range = (l1: number, c1: number, l2: number, c2: number, file = '/w/a.flow') => ({ file, start: { line: l1, column: c1 }, end: { line: l2, column: c2 } });
const node = (id: string, kind: GraphNode['kind'], r?: ReturnType<typeof range>): GraphNode => ({ id, kind, label: id, ...(r ? { range: r } : {}) });

// flow F {            line 1
//   step a: A {…}     line 2
//   if x {            line 3-5
//     step b: A {…}   line 4
//   }
// }
const GRAPH: FlowGraph = {
  flow: 'F',
  nodes: [
    node('F/start', 'start', range(1, 1, 6, 2)),
    node('F/a', 'step', range(2, 3, 2, 20)),
    node('F/if@1', 'decision', range(3, 3, 5, 4)),
    node('F/b', 'step', range(4, 5, 4, 22)),
    node('F/if@1/merge', 'merge', range(3, 3, 5, 4)),
    node('F/end', 'end'),
  ],
  edges: [],
};

describe('nodeAtPosition (the node the editor’s cursor is in)', () => {
  it('finds the innermost statement around the cursor', () => {
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 4, 10), 'F/b');
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 2, 3), 'F/a');
  });

  it('counts the position right after a node’s last character as inside it', () => {
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 2, 20), 'F/a');
  });

  it('prefers the decision over its merge, which has the same range', () => {
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 3, 8), 'F/if@1');
  });

  it('falls back to the flow’s start node between statements, and to nothing outside the flow or in another file', () => {
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 6, 1), 'F/start');
    assert.equal(nodeAtPosition(GRAPH, '/w/a.flow', 9, 1), undefined);
    assert.equal(nodeAtPosition(GRAPH, '/w/other.flow', 4, 10), undefined);
  });
});
