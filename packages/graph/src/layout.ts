import type { ELK as ElkEngine, ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api.js';
import type { FlowGraph, GraphBox, GraphLayout, GraphNode, GraphPoint, LaidOutEdge, LaidOutNode } from '@baton/protocol';
import { barWidth, CONTAINER_LAYOUT_OPTIONS, FLOW_EDGE_LAYOUT_OPTIONS, SIDE_EDGE_LAYOUT_OPTIONS, ICON_WIDTH, NODE_SIZES, PORT_LAYOUT_OPTIONS, ROOT_LAYOUT_OPTIONS, TEXT, TOGGLE_SIZE } from './layout-options.js';

/** Cuts `text` to `max` characters, ending in "…" when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The two text lines a node shows (label, optional detail), already clipped — shared by every renderer. */
export function nodeText(node: GraphNode): { label: string; detail?: string } {
  const label = clip(node.label, TEXT.maxLabelChars);
  return node.detail ? { label, detail: clip(node.detail, TEXT.maxDetailChars) } : { label };
}

/** Kinds drawn with an icon at the left of their box. */
const WITH_ICON = new Set<GraphNode['kind']>(['step', 'subflow', 'approval', 'trigger', 'wait', 'event', 'arm']);

/** Whether a node is drawn with an icon at the left of its box (a folded loop or `parallel` too). */
export function hasIcon(node: GraphNode): boolean {
  return WITH_ICON.has(node.kind) || (node.folded !== undefined && (node.kind === 'loop' || node.kind === 'fork'));
}

/** A node's size in px before layout: from its kind and its text (containers get a minimum; ELK grows them). */
export function nodeSize(node: GraphNode, degree: number): { width: number; height: number } {
  // a folded `parallel` is a box like a folded arm, not a bar
  const size = node.folded !== undefined && node.kind === 'fork' ? NODE_SIZES.arm : NODE_SIZES[node.kind];
  if ((node.kind === 'fork' && node.folded === undefined) || node.kind === 'join') return { width: barWidth(degree), height: size.height };
  if (size.fixedWidth !== undefined) return { width: size.fixedWidth, height: size.height };
  const { label, detail } = nodeText(node);
  const text = Math.max(label.length * TEXT.labelCharWidth, (detail?.length ?? 0) * TEXT.detailCharWidth);
  // A diamond's text lines sit 8 px off its middle, where it is about 0.7 of its full width.
  if (node.kind === 'decision' || node.kind === 'choice') return { width: Math.max(size.minWidth, Math.ceil(text / 0.7 + 2 * size.paddingX)), height: size.height };
  const width = Math.ceil(text + 2 * size.paddingX + (hasIcon(node) ? ICON_WIDTH : 0) + (node.folded !== undefined ? TOGGLE_SIZE : 0));
  return { width: Math.max(size.minWidth, width), height: size.height };
}

let elk: ElkEngine | undefined;

/** elkjs' bundled build (1.6 MB), loaded on the first layout only, so commands that draw nothing never parse it. */
async function engine(): Promise<ElkEngine> {
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  return elk;
}

/**
 * Lays out a flow graph with elkjs (ELK layered: top-down, orthogonal edges; options in layout-options.ts).
 * Decision and fork nodes send their branches through ports on their bottom side, merge and join nodes receive
 * them on their top side; `loop` nodes are containers laid out with their children; compensation edges are laid
 * out from the step to its compensation (so the compensation sits beside or below it) and returned pointing back.
 * Runs in Node and in the browser (elkjs' bundled build runs in-thread, no worker).
 * @returns every node with an absolute box and every edge with its route, in px; all inside `width`×`height`.
 * `options.foldable` (the editor panel's foldable regions): the label of an arm that can fold gets room at its
 * right for the fold toggle `renderSvg` draws there.
 * @throws Error when the graph is inconsistent (an edge names a missing node), or ELK fails (its first line).
 */
export async function layoutFlowGraph(graph: FlowGraph, options: { foldable?: ReadonlySet<string> } = {}): Promise<GraphLayout> {
  const elk = await engine();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const outDegree = new Map<string, number>();
  const inDegree = new Map<string, number>();
  for (const e of graph.edges) {
    outDegree.set(e.source, (outDegree.get(e.source) ?? 0) + 1);
    inDegree.set(e.target, (inDegree.get(e.target) ?? 0) + 1);
  }

  // ELK nodes, nested under their containers.
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = { id: '__root', layoutOptions: ROOT_LAYOUT_OPTIONS, children: [], edges: [] };
  for (const n of graph.nodes) {
    const degree = n.kind === 'fork' || n.kind === 'decision' || n.kind === 'choice' ? (outDegree.get(n.id) ?? 1) : (inDegree.get(n.id) ?? 1);
    const size = nodeSize(n, degree);
    const elkNode: ElkNode = { id: n.id, width: size.width, height: size.height, children: [], ports: [] };
    if (isContainer(n)) {
      // The title sits in the container's top padding; the renderer clips it to the width ELK chose.
      elkNode.layoutOptions = { ...CONTAINER_LAYOUT_OPTIONS };
    }
    if (n.kind === 'decision' || n.kind === 'choice' || n.kind === 'fork' || n.kind === 'merge' || n.kind === 'join') elkNode.layoutOptions = { ...PORT_LAYOUT_OPTIONS };
    elkNodes.set(n.id, elkNode);
  }
  for (const n of graph.nodes) {
    const parent = n.parent ? elkNodes.get(n.parent) : root;
    (parent ?? root).children!.push(elkNodes.get(n.id)!);
  }

  const port = (nodeId: string, side: 'SOUTH' | 'NORTH' | 'WEST', edgeId: string): string => {
    const node = elkNodes.get(nodeId)!;
    if (side === 'WEST') node.layoutOptions = { ...node.layoutOptions, ...PORT_LAYOUT_OPTIONS };
    const p: ElkPort = { id: `${edgeId}@${side === 'NORTH' ? 'in' : 'out'}`, width: 0, height: 0, layoutOptions: { 'elk.port.side': side } };
    node.ports!.push(p);
    return p.id;
  };

  const reversed = new Set<string>();
  for (const e of graph.edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) throw new Error(`edge ${e.id} names a node the graph does not have`);
    let source = e.source;
    let target = e.target;
    if (e.kind === 'compensation') {
      [source, target] = [target, source];
      reversed.add(e.id);
    }
    if (e.kind === 'loop' && isAncestor(byId, target, source)) {
      // "again" is laid out back to the body's first node (where the next round starts), not to the container's
      // border: ELK routes it as a back edge inside the container. It still ends inside the container's box.
      const first = graph.edges.find((f) => f.source === target && byId.get(f.target)?.parent === target);
      if (first) target = first.target;
    }
    const sourceKind = byId.get(source)!.kind;
    const targetKind = byId.get(target)!.kind;
    const fromContainer = isAncestor(byId, source, target);
    const toContainer = isAncestor(byId, target, source);
    const sourceRef =
      e.kind === 'compensation' ? port(source, 'WEST', e.id) : !fromContainer && !toContainer && (sourceKind === 'decision' || sourceKind === 'choice' || sourceKind === 'fork') ? port(source, 'SOUTH', e.id) : source;
    const targetRef = !fromContainer && !toContainer && (targetKind === 'merge' || targetKind === 'join') ? port(target, 'NORTH', e.id) : target;
    const elkEdge: ElkExtendedEdge = { id: e.id, sources: [sourceRef], targets: [targetRef], layoutOptions: e.kind === 'compensation' || e.kind === 'loop' || e.kind === 'signal' || e.kind === 'cancel' ? SIDE_EDGE_LAYOUT_OPTIONS : FLOW_EDGE_LAYOUT_OPTIONS };
    if (e.label && e.kind !== 'compensation') {
      const text = clip(e.label, TEXT.maxEdgeLabelChars);
      const toggle = e.branch !== undefined && options.foldable?.has(`${e.source}#${e.branch}`) ? TOGGLE_SIZE + 2 : 0;
      elkEdge.labels = [{ text, width: Math.ceil(text.length * TEXT.edgeLabelCharWidth) + 8 + toggle, height: TEXT.lineHeight }];
    }
    root.edges!.push(elkEdge);
  }

  let result: ElkNode;
  try {
    result = await elk.layout(root);
  } catch (error) {
    // ELK's errors are Java exceptions compiled to JavaScript: keep their first line, never their minified source.
    const message = String((error as Error).message ?? error).split('\n')[0].slice(0, 300);
    throw new Error(`the graph of ${graph.flow} could not be laid out: ${message}`);
  }

  const nodes: LaidOutNode[] = [];
  const boxes = new Map<string, GraphBox>();
  const visit = (children: ElkNode[] | undefined): void => {
    for (const c of children ?? []) {
      boxes.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
      visit(c.children);
    }
  };
  visit(result.children);
  for (const n of graph.nodes) nodes.push({ ...n, ...round(boxes.get(n.id)!) });

  const elkEdges = new Map<string, ElkExtendedEdge>();
  const collect = (node: ElkNode): void => {
    for (const e of node.edges ?? []) elkEdges.set(e.id, e);
    for (const c of node.children ?? []) collect(c);
  };
  collect(result);
  const edges: LaidOutEdge[] = graph.edges.map((e) => {
    const laid = elkEdges.get(e.id);
    const points: GraphPoint[] = [];
    for (const s of laid?.sections ?? []) {
      const sectionPoints = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      for (const p of sectionPoints) {
        const last = points.at(-1);
        if (!last || last.x !== p.x || last.y !== p.y) points.push(roundPoint(p));
      }
    }
    if (reversed.has(e.id)) points.reverse();
    snapToDiamond(points, boxes.get(e.source), byId.get(e.source)?.kind, 'start');
    snapToDiamond(points, boxes.get(e.target), byId.get(e.target)?.kind, 'end');
    const out: LaidOutEdge = { ...e, points };
    const label = laid?.labels?.[0];
    if (label && e.label) out.labelBox = round({ x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 });
    return out;
  });

  return { flow: graph.flow, ...(graph.title ? { title: graph.title } : {}), width: Math.ceil(result.width ?? 0), height: Math.ceil(result.height ?? 0), nodes, edges };
}

/**
 * ELK routes edges to a node's bounding box; a diamond (decision, merge) only touches it at its four corners.
 * When an edge's end segment is vertical, moves that end onto the diamond's slanted border at the same x.
 */
function snapToDiamond(points: GraphPoint[], box: GraphBox | undefined, kind: GraphNode['kind'] | undefined, which: 'start' | 'end'): void {
  if (!box || (kind !== 'decision' && kind !== 'choice' && kind !== 'merge') || points.length < 2) return;
  const [end, next] = which === 'start' ? [points[0], points[1]] : [points[points.length - 1], points[points.length - 2]];
  if (Math.abs(end.x - next.x) > 0.01) return;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const dy = (box.height / 2) * Math.max(0, 1 - Math.abs(end.x - cx) / (box.width / 2));
  const y = end.y > cy ? cy + dy : cy - dy;
  end.y = Math.round(y * 10) / 10;
}

/** A node drawn as a box holding others: a `foreach`/`repeat` loop (unless folded), a `lock` block, a `region`, or an expanded sub-flow step. */
export function isContainer(node: GraphNode): boolean {
  return ((node.kind === 'loop' || node.kind === 'lock' || node.kind === 'region') && node.folded === undefined) || (node.kind === 'subflow' && node.expanded === true);
}

/** Whether `ancestor` contains `node` (through `parent` links). */
function isAncestor(byId: Map<string, GraphNode>, ancestor: string, node: string): boolean {
  let current = byId.get(node)?.parent;
  while (current) {
    if (current === ancestor) return true;
    current = byId.get(current)?.parent;
  }
  return false;
}

const roundPoint = (p: GraphPoint): GraphPoint => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 });
const round = (b: GraphBox): GraphBox => ({ ...roundPoint(b), width: Math.round(b.width * 10) / 10, height: Math.round(b.height * 10) / 10 });
