import type { AstNode, ReferenceInfo } from 'langium';
import { isAstNode, isMultiReference, isReference } from 'langium';

/**
 * AST traversals in the order of Langium's `AstUtils.streamAst` / `streamReferences` (depth first, parent
 * before children, properties in key order, arrays in order), without its lazy streams: on a 5,000-step
 * flow (~150,000 nodes) a `streamAst` pass costs ~50 ms in iterator objects and closures, a callback
 * pass a few ms. Every whole-document pass of a re-check (scopes, linking, validation) uses these.
 */

/**
 * Calls `visit` on `root` and every node it contains; `visit` returning false skips that node's children.
 * Iterative (an explicit stack), so a tree of any depth is walked: `1 + 1 + …` of 2,500 terms is a
 * left-deep chain of 2,500 nodes.
 */
export function forEachAstNode(root: AstNode, visit: (node: AstNode) => boolean | void): void {
  const stack: AstNode[] = [root];
  const children: AstNode[] = [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (visit(node) === false) continue;
    forEachChild(node, (child) => {
      children.push(child);
    });
    // pushed in reverse so that the first child is visited next (streamAst's order)
    while (children.length > 0) stack.push(children.pop()!);
  }
}

/** Calls `visit` on every node directly contained in `node`, in Langium's `streamContents` order. */
/**
 * The top-level declaration `node` is in (the child of the document's root on its way up), or `node` itself when it
 * is one (or the root).
 */
export function topLevelElement(node: AstNode): AstNode {
  let current = node;
  while (current.$container?.$container) current = current.$container;
  return current;
}

export function forEachChild(node: AstNode, visit: (child: AstNode) => void): void {
  const record = node as unknown as Record<string, unknown>;
  for (const key in record) {
    if (key.charCodeAt(0) === 36 /* $ */) continue;
    const value = record[key];
    if (isAstNode(value)) visit(value);
    else if (Array.isArray(value)) for (const element of value) if (isAstNode(element)) visit(element);
  }
}

/** All nodes of `root` (it included) in `streamAst` order, as an array. */
export function astNodes(root: AstNode): AstNode[] {
  const nodes: AstNode[] = [];
  forEachAstNode(root, (node) => {
    nodes.push(node);
  });
  return nodes;
}

/** Calls `visit` on each cross-reference held by `node`, in Langium's `streamReferences` order. */
export function forEachReference(node: AstNode, visit: (info: ReferenceInfo) => void): void {
  const record = node as unknown as Record<string, unknown>;
  for (const key in record) {
    if (key.charCodeAt(0) === 36 /* $ */) continue;
    const value = record[key];
    if (isReference(value) || isMultiReference(value)) {
      visit({ reference: value, container: node, property: key });
    } else if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const element = value[index];
        if (isReference(element)) visit({ reference: element, container: node, property: key, index });
      }
    }
  }
}

/** One traversal per parsed text, shared by the passes of a build (scopes, linking, validation, flow checks). */
interface DocumentNodes {
  /**
   * The root's text when the nodes were collected (an in-place re-parse changes it); undefined after
   * {@link replaceInDocumentNodes} patched the list for a statement-only re-parse, until the next read takes the new text.
   */
  text: string | undefined;
  nodes: AstNode[];
  /** `[start, end)` in `nodes` of each top-level element's subtree. */
  spans: Map<AstNode, [number, number]>;
  /** Per kind asked for ({@link nodesOfKind}): the nodes of that kind, in order, and their indexes in `nodes`. */
  kinds: Map<NodeKind, { nodes: AstNode[]; positions: number[] }>;
}

/**
 * A kind of node the whole-flow checks look for (steps, `set`s, `cancel`s, named statements): the shared node list
 * keeps, per kind asked for, where its nodes are, patched with the list ({@link replaceInDocumentNodes}), so a
 * check reads the few thousand steps of a flow instead of walking its ~150,000 nodes. `test` must depend only on
 * the node's `$type` (see {@link byNodeType}).
 */
export interface NodeKind {
  readonly test: (node: AstNode) => boolean;
}

const documentNodesCache = new WeakMap<AstNode, DocumentNodes>();

function collectDocumentNodes(root: AstNode): DocumentNodes {
  const nodes: AstNode[] = [root];
  const spans = new Map<AstNode, [number, number]>();
  forEachChild(root, (element) => {
    const start = nodes.length;
    forEachAstNode(element, (node) => {
      nodes.push(node);
    });
    spans.set(element, [start, nodes.length]);
  });
  return { text: root.$cstNode?.root.fullText ?? '', nodes, spans, kinds: new Map() };
}

/**
 * All nodes of a document's AST (`root` first), in `streamAst` order, collected once per parsed text and
 * shared by every pass of a build. The array must not be changed.
 */
export function documentNodes(root: AstNode): readonly AstNode[] {
  return cachedDocumentNodes(root).nodes;
}

function cachedDocumentNodes(root: AstNode): DocumentNodes {
  const text = root.$cstNode?.root.fullText ?? '';
  let entry = documentNodesCache.get(root);
  if (entry && entry.text === undefined) entry.text = text;
  if (!entry || entry.text !== text) {
    entry = collectDocumentNodes(root);
    documentNodesCache.set(root, entry);
  }
  return entry;
}

/** Above this many new nodes a replacement drops the shared list instead of patching it (a whole flow re-parsed). */
const PATCH_LIMIT = 20_000;

/**
 * Called when element `old` of `root`'s AST was replaced in place by `node` (a statement-only re-parse, before the
 * root's text is set to the new text): the shared node list, when collected for the text before, gets `old`'s
 * subtree replaced by `node`'s instead of being collected again at its next read (~150,000 nodes on a 5,000-step
 * flow: ~15–20 ms per re-check). Anything unexpected (the list stale or not holding `old`'s subtree where it says)
 * drops the list: the next read collects it in full.
 */
export function replaceInDocumentNodes(root: AstNode, old: AstNode, node: AstNode): void {
  const entry = documentNodesCache.get(root);
  if (!entry) return;
  if (entry.text !== undefined && entry.text !== (root.$cstNode?.root.fullText ?? '')) {
    documentNodesCache.delete(root);
    return;
  }
  const nodes = entry.nodes;
  const oldNodes = astNodes(old);
  const newNodes = astNodes(node);
  const at = nodes.indexOf(old);
  let same = at > 0 && newNodes.length <= PATCH_LIMIT && at + oldNodes.length <= nodes.length;
  for (let i = 0; same && i < oldNodes.length; i++) same = nodes[at + i] === oldNodes[i];
  if (!same) {
    documentNodesCache.delete(root);
    return;
  }
  const delta = newNodes.length - oldNodes.length;
  if (delta === 0) {
    for (let i = 0; i < newNodes.length; i++) nodes[at + i] = newNodes[i];
  } else {
    // moved in place: no argument list of the whole tail
    const tail = nodes.length - (at + oldNodes.length);
    if (delta > 0) {
      nodes.length += delta;
      for (let i = tail - 1; i >= 0; i--) nodes[at + newNodes.length + i] = nodes[at + oldNodes.length + i];
    } else {
      for (let i = 0; i < tail; i++) nodes[at + newNodes.length + i] = nodes[at + oldNodes.length + i];
      nodes.length += delta;
    }
    for (let i = 0; i < newNodes.length; i++) nodes[at + i] = newNodes[i];
  }
  const topLevel = entry.spans.get(old);
  if (topLevel) {
    entry.spans.delete(old);
    entry.spans.set(node, [topLevel[0], topLevel[0] + newNodes.length]);
  }
  for (const [element, span] of entry.spans) {
    if (element === node) continue;
    if (span[0] > at) {
      span[0] += delta;
      span[1] += delta;
    } else if (span[1] > at) span[1] += delta;
  }
  for (const [kind, list] of entry.kinds) {
    const from = lowerBound(list.positions, at);
    const to = lowerBound(list.positions, at + oldNodes.length);
    const added: AstNode[] = [];
    const addedAt: number[] = [];
    for (let i = 0; i < newNodes.length; i++) {
      if (kind.test(newNodes[i])) {
        added.push(newNodes[i]);
        addedAt.push(at + i);
      }
    }
    list.nodes.splice(from, to - from, ...added);
    list.positions.splice(from, to - from, ...addedAt);
    for (let i = from + added.length; i < list.positions.length; i++) list.positions[i] += delta;
  }
  entry.text = undefined;
}

/** The first index of sorted `xs` whose value is at least `x` (`xs.length` when none). */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The nodes of `kind` in `node`'s subtree (it included), in `streamAst` order. For a document's root or a top-level
 * element, read from the shared node list's index of that kind (made at the first call, then patched with the list);
 * otherwise by walking the subtree.
 */
export function nodesOfKind(node: AstNode, kind: NodeKind): AstNode[] {
  const container = node.$container;
  if (!container || !container.$container) {
    const entry = cachedDocumentNodes(container ?? node);
    const span: [number, number] | undefined = container ? entry.spans.get(node) : [0, entry.nodes.length];
    if (span) {
      let list = entry.kinds.get(kind);
      if (!list) {
        list = { nodes: [], positions: [] };
        const nodes = entry.nodes;
        for (let i = 0; i < nodes.length; i++) {
          if (kind.test(nodes[i])) {
            list.nodes.push(nodes[i]);
            list.positions.push(i);
          }
        }
        entry.kinds.set(kind, list);
      }
      return list.nodes.slice(lowerBound(list.positions, span[0]), lowerBound(list.positions, span[1]));
    }
  }
  return astNodes(node).filter(kind.test);
}

/** The nodes of `node`'s subtree (it first) in `streamAst` order: a slice of documentNodes for a top-level element. */
export function subtreeNodes(node: AstNode): readonly AstNode[] {
  const root = node.$container;
  if (root && !root.$container) {
    const span = cachedDocumentNodes(root).spans.get(node);
    if (span) return cachedDocumentNodes(root).nodes.slice(span[0], span[1]);
  }
  return astNodes(node);
}

/**
 * Calls `visit` on `node` and every node it contains, in `streamAst` order, until `visit` returns true (then
 * returns true). For a document's root or a top-level element it reads the shared documentNodes list (no
 * traversal, no copy); otherwise it walks the subtree. The whole-flow checks use it instead of Langium's lazy
 * `streamAst` (~30 ms per pass over a 5,000-step flow in iterator objects).
 */
export function someSubtreeNode(node: AstNode, visit: (node: AstNode) => boolean | void): boolean {
  const container = node.$container;
  if (!container || !container.$container) {
    const entry = cachedDocumentNodes(container ?? node);
    const span: [number, number] | undefined = container ? entry.spans.get(node) : [0, entry.nodes.length];
    if (span) {
      const nodes = entry.nodes;
      for (let i = span[0]; i < span[1]; i++) if (visit(nodes[i]) === true) return true;
      return false;
    }
  }
  let found = false;
  forEachAstNode(node, (n) => {
    if (found) return false;
    if (visit(n) === true) found = true;
    return !found;
  });
  return found;
}

/**
 * `predicate` answered once per node type: the generated type guards depend only on `$type`, and the
 * whole-flow checks ask them of each of the ~150,000 nodes of a 5,000-step flow.
 */
export function byNodeType(predicate: (node: AstNode) => boolean): (node: AstNode) => boolean {
  const answers = new Map<string, boolean>();
  return (node) => {
    let answer = answers.get(node.$type);
    if (answer === undefined) {
      answer = predicate(node);
      answers.set(node.$type, answer);
    }
    return answer;
  };
}
