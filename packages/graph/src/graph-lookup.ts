import type { FlowGraph, GraphNode } from '@baton/protocol';

/**
 * The innermost node of `graph` whose source range contains a position of `file` (an absolute path, as IR
 * ranges name files). `line` and `column` are 1-based, as in IR ranges; a range's end is exclusive, but a
 * cursor right after a node's last character still counts as inside it. Synthetic nodes that repeat a
 * statement's range (`<id>/merge`, `<id>/join`) never win over the statement itself, nor does the flow's
 * `start` node over anything inside the flow.
 * @returns the node's id, or undefined when no node's range contains the position.
 */
export function nodeAtPosition(graph: FlowGraph, file: string, line: number, column: number): string | undefined {
  let best: GraphNode | undefined;
  let bestSize = Infinity;
  for (const node of graph.nodes) {
    const r = node.range;
    if (!r || r.file !== file) continue;
    const afterStart = line > r.start.line || (line === r.start.line && column >= r.start.column);
    const beforeEnd = line < r.end.line || (line === r.end.line && column <= r.end.column);
    if (!afterStart || !beforeEnd) continue;
    // Size in (lines, columns): fewer lines first, then a later start, so the innermost statement wins.
    const size = (r.end.line - r.start.line) * 100_000 + (r.end.column - (r.start.line === r.end.line ? r.start.column : 0));
    if (size < bestSize || (size === bestSize && best && isSynthetic(best) && !isSynthetic(node))) {
      best = node;
      bestSize = size;
    }
  }
  return best?.id;
}

const isSynthetic = (node: GraphNode): boolean => node.kind === 'merge' || node.kind === 'join';

/**
 * The nodes of `graph` under each parent (a container's id; `undefined` for the flow's top level), in the graph's
 * node order — for the exporters (DOT, Mermaid) that write containers as nested blocks.
 */
export function nodesByParent(graph: FlowGraph): Map<string | undefined, GraphNode[]> {
  const children = new Map<string | undefined, GraphNode[]>();
  for (const n of graph.nodes) {
    const list = children.get(n.parent) ?? [];
    list.push(n);
    children.set(n.parent, list);
  }
  return children;
}
