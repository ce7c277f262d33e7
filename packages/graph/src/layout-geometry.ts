// A layout's geometry apart from its graph: kept by the console's layout caches (the page's IndexedDB, the server's
// memory) and sent by `baton serve` beside the graph, so a page draws a large flow without elkjs. One renderer: the
// geometry is the one layoutFlowGraph computed; the texts always come from the graph itself.
import type { FlowGraph, GraphGeometry, GraphLayout } from '@baton/protocol';
import { foldFlowGraph, foldRegions, type FoldedGraph, type FoldRegion } from './fold-graph.js';

/**
 * The largest graph laid out and drawn (nodes), in the editor's panel and the web console alike. Beyond it the
 * page says so instead of freezing (folding a large graph first may bring it under).
 */
export const MAX_PANEL_NODES = 2000;

/** `layout`'s geometry (boxes by node id, routes by edge id). */
export function geometryOf(layout: GraphLayout): GraphGeometry {
  return {
    width: layout.width,
    height: layout.height,
    nodes: layout.nodes.map((n) => [n.id, { x: n.x, y: n.y, width: n.width, height: n.height }]),
    edges: layout.edges.map((e) => [e.id, e.points, e.labelBox]),
  };
}

/**
 * `graph` laid out with `geometry` (its nodes and edges in the graph's order, with their boxes and routes).
 * @returns undefined when the geometry does not fit the graph: a node or an edge of it has none.
 */
export function withGeometry(graph: FlowGraph, geometry: GraphGeometry): GraphLayout | undefined {
  const boxes = new Map(geometry.nodes);
  const routes = new Map(geometry.edges.map(([id, points, labelBox]) => [id, { points, labelBox }]));
  if (graph.nodes.some((n) => !boxes.has(n.id)) || graph.edges.some((e) => !routes.has(e.id))) return undefined;
  return {
    flow: graph.flow,
    ...(graph.title ? { title: graph.title } : {}),
    width: geometry.width,
    height: geometry.height,
    nodes: graph.nodes.map((n) => ({ ...n, ...boxes.get(n.id)! })),
    edges: graph.edges.map((e) => {
      const route = routes.get(e.id)!;
      return { ...e, points: route.points, ...(route.labelBox ? { labelBox: route.labelBox } : {}) };
    }),
  };
}

/** What a page draws of a large graph at first: {@link panelFolds}' answer. */
export interface PanelFolds {
  /** Every foldable region of the whole graph ({@link foldRegions}), by id. */
  regions: Map<string, FoldRegion>;
  /** The regions folded at first (empty for a graph within `max`). */
  folds: Set<string>;
  /** The graph with them folded ({@link foldFlowGraph}). */
  drawn: FoldedGraph;
  /** Whether `drawn` is within `max` nodes (else it is not laid out: too large to draw). */
  fits: boolean;
}

/**
 * How the console first draws `graph`: whole when it has at most `max` nodes; else with every loop and `parallel`
 * folded, and when still over, every decision too. The run page and `baton serve` (which lays the graph out for it)
 * both call this, so the server lays out exactly the graph the page draws.
 */
export function panelFolds(graph: FlowGraph, max = MAX_PANEL_NODES): PanelFolds {
  const regions = new Map(foldRegions(graph).map((r) => [r.id, r]));
  let folds = new Set<string>();
  if (graph.nodes.length > max) {
    for (const kinds of [['loop', 'parallel'], ['loop', 'parallel', 'decision']]) {
      folds = new Set([...regions.values()].filter((r) => kinds.includes(r.kind)).map((r) => r.id));
      if (foldFlowGraph(graph, folds).graph.nodes.length <= max) break;
    }
  }
  const drawn = foldFlowGraph(graph, folds);
  return { regions, folds, drawn, fits: drawn.graph.nodes.length <= max };
}

/**
 * The key a drawing's layout is cached by: `<definition hash>#<flow>#<folded region ids, sorted, comma-separated>`
 * (a definition never changes under its hash, so neither does its layout).
 */
export function layoutKey(hash: string, flow: string, folded: Iterable<string>): string {
  return `${hash}#${flow}#${[...folded].sort().join(',')}`;
}
