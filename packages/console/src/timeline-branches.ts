// The branches of a flow's `parallel` blocks, for the run page's Gantt chart: run events name a step's IR node
// (`Flow/review`) but not the branch it ran in, so the branches are read from the run's definition graph (the one
// the server draws from its stored definition: `fork` → each branch's nodes → `join`, see @baton/graph's
// buildFlowGraph). The timeline groups the rows of each branch under a heading (timeline.ts).
import type { FlowGraph, GraphEdge } from '@baton/protocol';

/** The group a node's rows go under: one branch of one `parallel`. */
export interface TimelineGroup {
  /** `branch:<parallel id>#<n>` (n from 1, in source order). */
  id: string;
  /** The heading: `parallel · branch 2`, with the block's line when the flow has several (`parallel L12 · branch 2`). */
  label: string;
}

/**
 * Every node inside a branch of a `parallel` of `graph` → its branch (the innermost one for nested blocks). A branch
 * holds the nodes reachable from one of the fork's outgoing edges (in source order: one per branch; an empty
 * `branch { }` draws no edge of its own) without passing the block's join, the nodes drawn inside those (`parent`:
 * loops, locks, regions) and their compensation steps — the membership @baton/graph's `foldRegions` uses for the
 * whole block. O(branches × nodes) in the worst case of nesting; O(nodes + edges) for a flat flow.
 */
export function parallelBranches(graph: FlowGraph): Map<string, TimelineGroup> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const out = new Map<string, GraphEdge[]>();
  const compensations = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (e.kind === 'compensation') compensations.set(e.target, [...(compensations.get(e.target) ?? []), e.source]);
    else out.set(e.source, [...(out.get(e.source) ?? []), e]);
  }
  const children = new Map<string, string[]>();
  for (const n of graph.nodes) if (n.parent) children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
  const reach = (start: string, exit: string): Set<string> => {
    const seen = new Set<string>();
    const queue = start === exit ? [] : [start];
    while (queue.length) {
      const id = queue.pop()!;
      if (seen.has(id) || !ids.has(id)) continue;
      seen.add(id);
      for (const e of out.get(id) ?? []) if (e.target !== exit && e.kind !== 'loop') queue.push(e.target);
      queue.push(...(children.get(id) ?? []), ...(compensations.get(id) ?? []));
    }
    return seen;
  };
  const forks = graph.nodes.filter((n) => n.kind === 'fork' && n.id.endsWith('/fork') && ids.has(`${n.id.slice(0, -5)}/join`));
  const blocks = forks.map((fork) => {
    const id = fork.id.slice(0, -5);
    const line = forks.length > 1 && fork.range ? ` L${fork.range.start.line}` : '';
    const branches = (out.get(fork.id) ?? []).map((e) => reach(e.target, `${id}/join`));
    return { id, line, branches, size: branches.reduce((n, b) => n + b.size, 0) };
  });
  // outer blocks first, so a nested block's nodes end in its own (inner) branch
  blocks.sort((a, b) => b.size - a.size);
  const groups = new Map<string, TimelineGroup>();
  for (const block of blocks) {
    block.branches.forEach((members, i) => {
      const group = { id: `branch:${block.id}#${i + 1}`, label: `parallel${block.line} · branch ${i + 1}` };
      for (const node of members) groups.set(node, group);
    });
  }
  return groups;
}
