import type { CstNode } from 'langium';
import { CompositeCstNodeImpl } from 'langium';
import { catchUpComposite, shiftClock } from './baton-cst-shift.js';

/**
 * Cached extents of composite CST nodes, so that reading a node's `offset` or `end` is O(1).
 *
 * Langium computes a composite node's `offset` from its first non-hidden child and its `end` from its last,
 * recursively, on every read: O(depth) per read. An infix expression is a left-deep tree (`1 + 1 + … + 1`
 * of n terms nests n binary nodes), and Langium's CST searches (`findLeafNodeAtOffset`'s binary search, the
 * formatter, highlights, references, signature help) read the offsets of the nodes on their way down: O(n²)
 * per request. A 2,000-term sum (the most the parser reads, `MAX_OPERATORS`) took 1–3 s per request on an
 * idle machine (completion 2.9 s, formatting 1.6 s, hover 1.2 s), and an LSP fuzz case firing 18 requests at
 * it took several seconds. Langium already caches a composite node's `range` the same way (`_rangeCache`).
 *
 * The cache is filled once per parse ({@link cacheCstExtents}, from `BatonParser.parse`), after the tree is
 * complete — never while the parser is still moving nodes around — and a node without a cache is computed
 * as Langium does (from its children, cached or not). The incremental re-parse (`BatonDocumentFactory`) moves
 * the caches with the leaves it shifts ({@link shiftCstExtents}) and refreshes the nodes whose children
 * changed ({@link refreshCstExtents}).
 */
interface CachedExtents {
  /** The shift clock's value when the caches were last right (baton-cst-shift.ts: later edits' moves are applied when read). */
  _epoch?: number;
  /** The node's offset in the document (characters), when cached. */
  _offsetCache?: number;
  /** The node's end offset (exclusive, characters), when cached. */
  _endCache?: number;
}

const prototype = CompositeCstNodeImpl.prototype as CompositeCstNodeImpl & CachedExtents;
const computeOffset = Object.getOwnPropertyDescriptor(CompositeCstNodeImpl.prototype, 'offset')!.get!;
const computeEnd = Object.getOwnPropertyDescriptor(CompositeCstNodeImpl.prototype, 'end')!.get!;
const computeRange = Object.getOwnPropertyDescriptor(CompositeCstNodeImpl.prototype, 'range')!.get!;
Object.defineProperty(prototype, 'offset', {
  configurable: true,
  get(this: CompositeCstNodeImpl & CachedExtents): number {
    if (this._epoch !== shiftClock.epoch) catchUpComposite(this);
    return this._offsetCache ?? (computeOffset.call(this) as number);
  },
});
Object.defineProperty(prototype, 'end', {
  configurable: true,
  get(this: CompositeCstNodeImpl & CachedExtents): number {
    if (this._epoch !== shiftClock.epoch) catchUpComposite(this);
    return this._endCache ?? (computeEnd.call(this) as number);
  },
});
// Langium's `range` (cached in `_rangeCache`), after the shifts the node has not seen
Object.defineProperty(prototype, 'range', {
  configurable: true,
  get(this: CompositeCstNodeImpl & CachedExtents): unknown {
    if (this._epoch !== shiftClock.epoch) catchUpComposite(this);
    return computeRange.call(this);
  },
});

// Langium's `firstNonHiddenNode` walks the children with `for…of`: an iterator per read, and Langium's parser reads
// every composite's `length` (offset, end: down to the first and last leaf) when its rule ends — 61 MB of iterators per
// cold check of a 5,000-step flow. The same answer by index.
Object.defineProperty(prototype, 'firstNonHiddenNode', {
  configurable: true,
  get(this: CompositeCstNodeImpl): CstNode | undefined {
    const content = this.content;
    for (let i = 0; i < content.length; i++) if (!content[i].hidden) return content[i];
    return content[0];
  },
});

function isComposite(node: CstNode): node is CompositeCstNodeImpl & CachedExtents {
  return (node as { content?: unknown }).content !== undefined;
}

/**
 * Recomputes the cached extents of `node` alone from its children (their caches are taken as they are): Langium's
 * `offset`/`end` — the first and last non-hidden child's (the first and last child's when all are hidden; 0 without
 * children).
 */
export function refreshCstExtents(node: CstNode): void {
  if (!isComposite(node)) return;
  node._epoch = shiftClock.epoch; // right for the current text once refreshed (its children catch up as they are read)
  const content = node.content;
  const count = content.length;
  if (count === 0) {
    node._offsetCache = 0;
    node._endCache = 0;
    return;
  }
  let first = 0;
  while (first < count && content[first].hidden) first++;
  let last = count - 1;
  while (last >= 0 && content[last].hidden) last--;
  node._offsetCache = content[first < count ? first : 0].offset;
  node._endCache = content[last >= 0 ? last : count - 1].end;
}

/**
 * Caches the extents of every composite node under `root` (included), children before parents: O(nodes). The
 * composites are listed in pre-order (a parent before its children) and refreshed in reverse, so no per-node pair
 * is allocated.
 */
export function cacheCstExtents(root: CstNode): void {
  const order: (CompositeCstNodeImpl & CachedExtents)[] = [];
  const stack: CstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!isComposite(node)) continue;
    order.push(node);
    const content = node.content;
    for (let i = 0; i < content.length; i++) if (isComposite(content[i])) stack.push(content[i]);
  }
  // children before parents: a composite child's extents are cached when its parent reads them
  for (let i = order.length - 1; i >= 0; i--) refreshCstExtents(order[i]);
}

/** Moves the cached extents of the composite node `node` (not its descendants) by `delta` characters. */
export function shiftCstExtents(node: CstNode, delta: number): void {
  if (!isComposite(node)) return;
  if (node._offsetCache !== undefined) node._offsetCache += delta;
  if (node._endCache !== undefined) node._endCache += delta;
}
