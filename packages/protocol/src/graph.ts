import type { SourceRange } from './ir.js';

/** Kinds of graph nodes; each has its own shape in every renderer. */
export type GraphNodeKind =
  | 'start' | 'end' | 'trigger' | 'step' | 'subflow' | 'decision' | 'merge' | 'fork' | 'join'
  | 'loop' | 'approval' | 'wait' | 'event' | 'set' | 'let' | 'fail'
  /** A `lock "name" { … }` block: a container holding its body (a critical section across runs). */
  | 'lock'
  /** A `signal s` statement (raises the run-local latch `s`). */
  | 'signal'
  /**
   * A `wait first { … }` (an event-based choice): BPMN's event-based gateway, a diamond with a pentagon inside;
   * one `branch` edge per arm (numbered as `branch.taken`) to the arm's own node.
   */
  | 'choice'
  /** A `region r { … }` block: a container holding its body (a cancellation scope); `on cancel` hangs off it. */
  | 'region'
  /** `cancel x` (a circle with ×), with a dashed `cancel` edge to the region or step it cancels. */
  | 'cancel'
  /** `complete [r]` (a bold circle): a region's, or (bare) the flow's successful early end. */
  | 'complete'
  /** A folded arm of an `if`/`switch` (only in the editor panel, where the user folded it). */
  | 'arm';

/**
 * A node of a flow's graph. `id` is the IR node id (so run events light it up without mapping), or a
 * synthetic id (`<Flow>/start`, `<id>/merge`, …) for nodes the IR has no statement for.
 */
export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  /** A second line: the agent, the condition, the list, the duration. */
  detail?: string;
  /** The container (a `loop`, `lock` or `region` node, or an expanded `subflow`) this node is drawn inside. */
  parent?: string;
  /**
   * A `subflow` step drawn open: a container holding the called flow's nodes (ids `<step id>><inner id>`).
   * A closed one is a box the panel can expand.
   */
  expanded?: boolean;
  /**
   * Set on a folded region's node (a `loop`, a `parallel`'s `fork`, a `decision`, an `arm`): how many nodes
   * the fold hides. A folded loop is no longer a container. Only the editor panel folds (`foldFlowGraph` in
   * @baton/graph); `buildFlowGraph` never sets it.
   */
  folded?: number;
  range?: SourceRange;
  /** What hovering the node shows, when the IR knows it (the editor panel's tooltip). */
  tooltip?: GraphNodeTooltip;
}

/** A node's hover details: its prompt (source text of the template), what it calls, the output type, the agent's tools. */
export interface GraphNodeTooltip {
  /** The prompt as written, `"Research ${input.company}"` (clipped to 400 characters). */
  prompt?: string;
  /** `agent Researcher`, `flow Incident`, `assignee "ops"`. */
  target?: string;
  /** The agent's (or sub-flow's) output type as the language writes it: `{ summary: string }`. */
  output?: string;
  /**
   * The agent's tools, as the model calls them, with their approval: `LookupOrder, RefundFlow (approval finance),
   * crm__search` (issue 14; absent for an agent without tools).
   */
  tools?: string;
}

/** An edge. `compensation` edges go from a compensating step back to what it undoes (drawn dashed). */
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  /** `signal`: dotted, from a `signal s` to each `wait signal s` (the raise lets the wait pass). */
  /** `cancel`: dashed, from a `cancel`/`complete` node to the region or step it ends. */
  kind: 'flow' | 'branch' | 'compensation' | 'loop' | 'signal' | 'cancel';
  /**
   * On a `branch` edge: the arm it stands for, numbered as `branch.taken` events number them (if/else-if
   * arms and cases in order, then `else`/`default`, also when the source has none).
   */
  branch?: number;
}

/** The graph of one flow: what `baton graph` prints and the editor panel draws. */
export interface FlowGraph {
  flow: string;
  /**
   * What the drawing says beside the flow's name, when it draws a stored run's definition (`baton graph --run`):
   * `definition 3f2a9c1e · migrated from 91bb02de` (first 8 hex digits of the definitions' SHA-256).
   */
  title?: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A point in layout space: pixels from the top-left corner of the whole drawing (y grows down). */
export interface GraphPoint {
  x: number;
  y: number;
}

/** A box in layout space (pixels, top-left corner, absolute). */
export interface GraphBox extends GraphPoint {
  width: number;
  height: number;
}

/** A node with its place in the drawing. A `loop` node is a container: its box holds its children's. */
export interface LaidOutNode extends GraphNode, GraphBox {}

/** An edge with its route: `points` from the source's border to the target's (orthogonal segments). */
export interface LaidOutEdge extends GraphEdge {
  points: GraphPoint[];
  /** Where the edge's label (`label`) is drawn, when it has one. */
  labelBox?: GraphBox;
}

/** A laid-out flow graph: what the SVG renderer and the editor panel draw. `width`/`height` in pixels. */
export interface GraphLayout {
  flow: string;
  /** The graph's {@link FlowGraph.title}. */
  title?: string;
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
}

/**
 * The geometry of a {@link GraphLayout} without the graph's texts: what a layout cache keeps and what `baton serve`
 * sends beside a graph (`GET /runs/:id/definition`'s `layout`). Rebuilt into a layout with the graph it was laid out
 * from (`withGeometry` in @baton/graph). Pixels, as in {@link GraphLayout}.
 */
export interface GraphGeometry {
  width: number;
  height: number;
  /** `[node id, box]` for every node. */
  nodes: [string, GraphBox][];
  /** `[edge id, route, label box]` for every edge. */
  edges: [string, GraphPoint[], GraphBox | undefined][];
}
