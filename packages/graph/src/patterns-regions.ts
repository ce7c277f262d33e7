// The graph of cancellation regions and early termination: `region r { … } [on cancel { … }]`, `cancel x`, `complete [r]`.
import type { CancelNode, CompleteNode, GraphEdge, GraphNode, RegionNode, Statement } from '@baton/protocol';

/** What the region drawing uses of the graph being built (see buildFlowGraph). */
export interface RegionGraphHost {
  add(node: GraphNode, parent: string | undefined): GraphNode;
  edge(source: string, target: string, kind?: GraphEdge['kind'], label?: string, branch?: number): void;
  connect(from: string[], to: string, label?: string, kind?: GraphEdge['kind'], branch?: number): void;
  block(body: Statement[], from: string[], parent: string | undefined, firstLabel?: string, branch?: number): string[];
  /** The flow's `end` node id (a bare `complete` goes there). */
  end: string;
}

/**
 * A region is a container (`region fulfil`, dashed) holding its body, as a lock or an expanded sub-flow. With
 * `on cancel { … }`, its arm hangs off the container as a `branch` edge `on cancel` (branch 0) beside `ended`
 * (branch 1), joined in a merge after. Returns the nodes its end flows out of.
 */
export function regionGraph(host: RegionGraphHost, s: RegionNode, from: string[], parent: string | undefined, label?: string, branch?: number): string[] {
  host.add({ id: s.id, kind: 'region', label: `region ${s.name}`, range: s.range }, parent);
  host.connect(from, s.id, label, 'flow', branch);
  host.block(s.body, [s.id], s.id);
  if (!s.onCancel) return [s.id];
  const merge = `${s.id}/merge`;
  const tails = s.onCancel.length > 0 ? host.block(s.onCancel, [s.id], parent, 'on cancel', 0) : [`${s.id}:on cancel`];
  host.add({ id: merge, kind: 'merge', label: '', range: s.range }, parent);
  for (const t of tails) {
    if (t === `${s.id}:on cancel`) host.edge(s.id, merge, 'branch', 'on cancel', 0);
    else host.edge(t, merge);
  }
  host.edge(s.id, merge, 'branch', 'ended', 1);
  return [merge];
}

/**
 * `cancel x` is a `cancel` node (a circle with ×) and `complete [r]` a `complete` node (a bold circle), each with a
 * dashed `cancel` edge to its target (the region's container or the step). A bare `complete` flows to the flow's
 * `end`, and so does nothing after it; `cancel`/`complete` of a region around it ends its path (`around` lists the
 * region ids the statement is inside).
 */
export function cancelGraph(host: RegionGraphHost, s: CancelNode | CompleteNode, from: string[], parent: string | undefined, around: readonly string[], label?: string, branch?: number): string[] {
  const target = s.target;
  const text = s.kind === 'cancel' ? `cancel ${target}` : target ? `complete ${target}` : 'complete';
  host.add({ id: s.id, kind: s.kind, label: text, detail: s.kind === 'cancel' ? s.targetKind : target ? 'region' : 'the flow', range: s.range }, parent);
  host.connect(from, s.id, label, 'flow', branch);
  if (target === undefined) {
    host.edge(s.id, host.end, 'flow');
    return [];
  }
  const targetId = `${s.id.slice(0, s.id.lastIndexOf('/'))}/${target}`;
  host.edge(s.id, targetId, 'cancel', s.kind);
  return around.includes(targetId) ? [] : [s.id];
}
