/**
 * Every layout choice of the graph in one place: ELK's options (https://eclipse.dev/elk/reference.html) and
 * the node sizes the renderers draw. Text is measured with fixed per-character widths (a system sans-serif
 * at these sizes) so Node (the CLI's SVG) and the browser (the panel) lay out the same picture.
 */
import type { GraphNodeKind } from '@baton/protocol';

/** ELK options for the whole graph: layered (Sugiyama), top-down, orthogonal edges, containers laid out with their contents. */
export const ROOT_LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '28',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '4',
  // Brandes–Köpf placement, balanced: ~10× faster than NETWORK_SIMPLEX on 500+ nodes (1,000 nodes: 20 s → < 1 s,
  // bench/cases/graph-layout.ts) and as straight on the main path; one crossing-minimisation pass and no greedy
  // switch (the graph follows the source's order anyway: considerModelOrder below).
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  'elk.layered.nodePlacement.favorStraightEdges': 'true',
  'elk.layered.thoroughness': '1',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
  'elk.edgeLabels.inline': 'false',
  'elk.padding': '[top=16,left=16,bottom=16,right=16]',
  // Every coordinate in the result is relative to the root, so renderers need no nesting arithmetic.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

/** A `foreach`/`repeat` container: room at the top for its label. */
export const CONTAINER_LAYOUT_OPTIONS: Record<string, string> = {
  'elk.padding': '[top=44,left=18,bottom=18,right=18]',
};

/** The main path's edges are kept straighter than compensation and loop-back edges. */
export const FLOW_EDGE_LAYOUT_OPTIONS: Record<string, string> = { 'elk.layered.priority.straightness': '10', 'elk.layered.priority.direction': '10' };
export const SIDE_EDGE_LAYOUT_OPTIONS: Record<string, string> = { 'elk.layered.priority.straightness': '0', 'elk.layered.priority.direction': '0' };

/** Nodes whose branches leave (decision, fork) or arrive (merge, join) through ports on a fixed side. */
export const PORT_LAYOUT_OPTIONS: Record<string, string> = { 'elk.portConstraints': 'FIXED_SIDE' };

/** Font sizes (px) and the average advance of one character at that size, for sizing boxes. */
export const TEXT = {
  labelSize: 13,
  labelCharWidth: 7.4,
  detailSize: 11,
  detailCharWidth: 6.3,
  edgeLabelSize: 11,
  edgeLabelCharWidth: 6.3,
  lineHeight: 16,
  /** Longest detail line drawn; longer text ends in "…". */
  maxDetailChars: 38,
  maxLabelChars: 34,
  maxEdgeLabelChars: 28,
} as const;

/** Width reserved at the left of a step-like box for its icon (px). */
export const ICON_WIDTH = 22;

/** Fixed sizes per node kind (px); `undefined` width means "from the text". */
export const NODE_SIZES: Record<GraphNodeKind, { minWidth: number; height: number; fixedWidth?: number; paddingX: number }> = {
  start: { minWidth: 96, height: 34, paddingX: 18 },
  end: { minWidth: 28, fixedWidth: 28, height: 28, paddingX: 0 },
  trigger: { minWidth: 120, height: 44, paddingX: 14 },
  step: { minWidth: 140, height: 48, paddingX: 12 },
  subflow: { minWidth: 140, height: 48, paddingX: 12 },
  decision: { minWidth: 120, height: 64, paddingX: 8 },
  choice: { minWidth: 120, height: 64, paddingX: 8 },
  merge: { minWidth: 20, fixedWidth: 20, height: 20, paddingX: 0 },
  fork: { minWidth: 100, height: 8, paddingX: 0 },
  join: { minWidth: 100, height: 8, paddingX: 0 },
  loop: { minWidth: 160, height: 60, paddingX: 14 },
  lock: { minWidth: 160, height: 60, paddingX: 14 },
  signal: { minWidth: 100, height: 36, paddingX: 12 },
  region: { minWidth: 160, height: 60, paddingX: 14 },
  cancel: { minWidth: 110, height: 40, paddingX: 16 },
  complete: { minWidth: 110, height: 40, paddingX: 16 },
  approval: { minWidth: 140, height: 48, paddingX: 16 },
  wait: { minWidth: 110, height: 40, paddingX: 14 },
  event: { minWidth: 120, height: 40, paddingX: 16 },
  set: { minWidth: 120, height: 40, paddingX: 14 },
  let: { minWidth: 120, height: 40, paddingX: 14 },
  fail: { minWidth: 110, height: 44, paddingX: 16 },
  arm: { minWidth: 140, height: 48, paddingX: 12 },
};

/** Room (px) right of a folded node's text for its unfold toggle, and the toggles' size. */
export const TOGGLE_SIZE = 14;

/** The width a fork/join bar needs for `branches` edges (px). */
export const barWidth = (branches: number): number => Math.max(NODE_SIZES.fork.minWidth, branches * 56);
