import type { FlowGraph, GraphEdge, GraphNode } from '@baton/protocol';

/**
 * A part of a flow's graph that the panel can fold into one node (and unfold again):
 * - `loop`: a `foreach`/`repeat` container and its body — id: the loop node's id;
 * - `parallel`: a `parallel` block, fork to join — id: the fork node's id (`<id>/fork`);
 * - `decision`: a whole `if`/`switch`, the decision to its merge — id: the decision node's id;
 * - `arm`: one arm of an `if`/`switch` with at least two nodes — id: `<decision id>#<branch>` (the arm's
 *   index as `branch.taken` events and `GraphEdge.branch` number it), also the id of the folded node.
 * The regions of a graph nest (an arm inside a decision, a loop inside an arm, …) and never overlap otherwise.
 */
export interface FoldRegion {
  id: string;
  kind: 'loop' | 'parallel' | 'decision' | 'arm';
  /** The node the region folds into (the loop, fork or decision); for an arm, the arm's first node. */
  anchor: string;
  /** The nodes hidden when it is folded (never the anchor of a loop, fork or decision), in graph order. */
  members: string[];
}

/**
 * Every region of `graph` that can fold ({@link FoldRegion}), outermost first (by size, largest first).
 * Membership is structural: a region holds the nodes reachable from its entry's outgoing edges without passing
 * its exit (the merge of an `if`/`switch`, the join of a `parallel`; compensation edges are not followed),
 * the nodes drawn inside any of them (`parent`), and the compensation steps of those nodes.
 */
export function foldRegions(graph: FlowGraph): FoldRegion[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const out = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) if (e.kind !== 'compensation') out.set(e.source, [...(out.get(e.source) ?? []), e]);
  const children = new Map<string, string[]>();
  for (const n of graph.nodes) if (n.parent) children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
  const compensations = new Map<string, string[]>();
  for (const e of graph.edges) if (e.kind === 'compensation') compensations.set(e.target, [...(compensations.get(e.target) ?? []), e.source]);

  /** `start` and everything reachable from it, stopping at `exit`; then what is inside those and their compensations. */
  const reach = (starts: string[], exit: string | undefined): Set<string> => {
    const seen = new Set<string>();
    const queue = starts.filter((s) => s !== exit && byId.has(s));
    while (queue.length) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const e of out.get(id) ?? []) if (e.target !== exit && !seen.has(e.target)) queue.push(e.target);
      for (const c of children.get(id) ?? []) if (!seen.has(c)) queue.push(c);
      for (const c of compensations.get(id) ?? []) if (!seen.has(c)) queue.push(c);
    }
    return seen;
  };
  const sorted = (ids: Iterable<string>): string[] => [...ids].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  const regions: FoldRegion[] = [];
  for (const n of graph.nodes) {
    if (n.kind === 'loop') {
      const members = reach(children.get(n.id) ?? [], undefined);
      if (members.size > 0) regions.push({ id: n.id, kind: 'loop', anchor: n.id, members: sorted(members) });
    } else if (n.kind === 'fork' && n.id.endsWith('/fork')) {
      const join = `${n.id.slice(0, -'/fork'.length)}/join`;
      if (!byId.has(join)) continue;
      const members = reach((out.get(n.id) ?? []).map((e) => e.target), join);
      members.add(join);
      regions.push({ id: n.id, kind: 'parallel', anchor: n.id, members: sorted(members) });
    } else if (n.kind === 'decision') {
      const merge = `${n.id}/merge`;
      if (!byId.has(merge)) continue;
      const arms = (out.get(n.id) ?? []).filter((e) => e.branch !== undefined);
      const members = reach(arms.map((e) => e.target), merge);
      members.add(merge);
      regions.push({ id: n.id, kind: 'decision', anchor: n.id, members: sorted(members) });
      for (const arm of arms) {
        if (arm.target === merge) continue;
        const inArm = reach([arm.target], merge);
        if (inArm.size >= 2) regions.push({ id: `${n.id}#${arm.branch}`, kind: 'arm', anchor: arm.target, members: sorted(inArm) });
      }
    }
  }
  return regions.sort((a, b) => b.members.length - a.members.length || (order.get(a.anchor) ?? 0) - (order.get(b.anchor) ?? 0));
}

/** A graph with some regions folded, and where each hidden node went. */
export interface FoldedGraph {
  graph: FlowGraph;
  /** Every hidden node id → the id of the node drawn in its place (the folded region's node). */
  hiddenIn: Map<string, string>;
  /** The ids of the regions actually folded (those of `folded` that exist and are not inside another folded one). */
  folded: Set<string>;
}

/**
 * Draws `graph` with the regions named in `folded` (ids of {@link foldRegions}; unknown ids are ignored) folded:
 * a folded loop, `parallel` or decision keeps its node (same id, no longer a container; `folded` = how many
 * nodes it hides) and the edges that left its end (the join, the merge) now leave it; a folded arm becomes an
 * `arm` node (id `<decision id>#<branch>`, labelled like the arm's edge, inside the decision's container) that
 * the arm's edge enters and that leaves to the merge. Edges keep their ids (duplicates a fold creates are
 * dropped), so a run's taken edges still match. A region inside a folded one is hidden with it.
 * Pure: the input graph is not changed.
 */
export function foldFlowGraph(graph: FlowGraph, folded: Iterable<string>): FoldedGraph {
  const wanted = new Set(folded);
  const regions = foldRegions(graph).filter((r) => wanted.has(r.id));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const hiddenIn = new Map<string, string>();
  const applied = new Set<string>();
  const replacement = new Map<string, GraphNode>();
  /** Folded arms' nodes, drawn where the arm's first node was. */
  const arms = new Map<string, GraphNode>();

  // Outermost first (foldRegions' order): a region whose anchor is already hidden goes with the one around it.
  for (const region of regions) {
    if (hiddenIn.has(region.anchor)) continue;
    applied.add(region.id);
    const into = region.kind === 'arm' ? region.id : region.anchor;
    // The members include the exit (join, merge): edges that left it now leave the folded node.
    for (const m of region.members) hiddenIn.set(m, into);
    if (region.kind === 'arm') {
      const cut = region.id.lastIndexOf('#');
      const decision = region.id.slice(0, cut);
      const branch = Number(region.id.slice(cut + 1));
      const label = graph.edges.find((e) => e.source === decision && e.branch === branch)?.label ?? `arm ${branch}`;
      const first = byId.get(region.anchor)!;
      const node: GraphNode = { id: region.id, kind: 'arm', label, detail: armDetail(region.members.map((m) => byId.get(m)!)), folded: region.members.length };
      const parent = byId.get(decision)?.parent;
      if (parent) node.parent = parent;
      if (first.range) node.range = first.range;
      arms.set(region.anchor, node);
    } else {
      const anchor = byId.get(region.anchor)!;
      const node: GraphNode = { ...anchor, folded: region.members.length };
      // a folded `parallel` counts its branches and keeps what its fork says (`one at a time`)
      if (region.kind === 'parallel') {
        // … and what its join says (`first 2 of 3`)
        const join = byId.get(anchor.id.replace(/\/fork$/, '/join'))?.label;
        node.detail = [`${graph.edges.filter((e) => e.source === anchor.id).length} branches`, anchor.detail, join].filter((d) => d).join(' · ');
      }
      replacement.set(anchor.id, node);
    }
  }

  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    const arm = arms.get(n.id);
    if (arm) nodes.push(arm);
    if (!hiddenIn.has(n.id)) nodes.push(replacement.get(n.id) ?? n);
  }
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const source = hiddenIn.get(e.source) ?? e.source;
    const target = hiddenIn.get(e.target) ?? e.target;
    if (source === target) continue; // inside a folded region
    const key = `${source}\u0000${target}\u0000${e.label ?? ''}`;
    if (seen.has(key)) continue; // several ends of a folded arm into its merge: one edge
    seen.add(key);
    edges.push(source === e.source && target === e.target ? e : { ...e, source, target });
  }
  return { graph: { flow: graph.flow, nodes, edges }, hiddenIn, folded: applied };
}

/** `rules, package, cfo_signoff +2` — the first named nodes of a folded arm. */
function armDetail(members: GraphNode[]): string {
  const named = members.filter((m) => m.kind !== 'merge' && m.kind !== 'join' && m.kind !== 'fork' && m.kind !== 'end' && m.label).map((m) => m.label);
  const shown = named.slice(0, 2);
  return `${members.length} nodes${shown.length ? `: ${shown.join(', ')}${named.length > shown.length ? ', …' : ''}` : ''}`;
}
