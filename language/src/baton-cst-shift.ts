import type { CstNode, LeafCstNodeImpl, RootCstNode } from 'langium';
import { dropLeafRange } from './baton-cst-ranges.js';

/**
 * The statement re-parse's move of the CST after an edit, applied to a node when it is read (issue 15, editor re-check).
 *
 * After an edit inside one statement, every CST node after it moves by the edit's length (and, when lines were added
 * or removed, every position after it changes). The re-parse (`BatonDocumentFactory`) used to walk all those nodes —
 * on a 5,000-step flow, ~150,000 nodes for an edit in the middle, ~8 ms per keystroke and ~40 % of a steady re-check —
 * although a re-check reads only a few of them (the edited statement's neighbours, the nodes of replayed diagnostics).
 * Now each edit is recorded once on the CST root ({@link recordCstShift}: O(1)), and a node applies the shifts it has
 * not seen yet when its `offset`, `end` or `range` is read ({@link catchUpLeaf}, {@link catchUpComposite}, called from
 * the getters of `BatonLeafCstNode` in baton-cst-builder.ts and of composite nodes in baton-cst-extents.ts).
 *
 * - Every node holds `_epoch`: the value of {@link shiftClock} when its offsets were last right. A getter compares it
 *   with the clock (one load and compare per read); the clock moves only when a shift is recorded, so in a document
 *   never edited incrementally, or once a node has caught up, the getters read the fields as before.
 * - A shift `{at, delta, lineEnd, lineDelta}` moves what lay at or after offset `at` of the text before that edit (the
 *   replaced element's old end; the character there is whitespace, so no node starts between) by `delta`. Shifts are
 *   applied in the order they were made, so each compares the node's offset in the text of its own time. A leaf whose
 *   line or character changed (`lineDelta` ≠ 0, or the leaf lies before `lineEnd`, the first line break after the
 *   edit in the new text) drops its position; it is computed from the text when read (baton-cst-ranges.ts).
 * - A composite node's cached extents (baton-cst-extents.ts) move when its offset is at or after `at`; its cached range
 *   is dropped. The replaced element's ancestors (whose end moved but not their start) are refreshed by the re-parse
 *   itself, at once; so are the new element's nodes, which are marked as current.
 * - The log is kept per root; at {@link MAX_SHIFTS} entries the re-parse brings every node of the tree up to date
 *   ({@link flushCstShifts}, one walk: what every edit cost before) and empties it.
 *
 * The result is the same as moving every node at once: offsets, ends, ranges and texts read through the getters are
 * those a full parse of the new text gives (test/language/document-factory.test.ts, incremental-check.test.ts).
 */
export const shiftClock = { epoch: 0 };

/** One edit's move: see the module comment. Offsets in characters; `epoch` the clock's value after it was recorded. */
export interface CstShift {
  readonly epoch: number;
  /** Offset (in the text before the edit) from which nodes move. */
  readonly at: number;
  /** Characters added (negative: removed). */
  readonly delta: number;
  /** Offset (in the text after the edit) of the first line break at or after the edit's end. */
  readonly lineEnd: number;
  /** Lines added (negative: removed). */
  readonly lineDelta: number;
}

/** How many shifts a root keeps before {@link recordCstShift} flushes them all into the tree. */
export const MAX_SHIFTS = 64;

interface ShiftedRoot {
  _shifts?: CstShift[];
}

/** The fields of a leaf the shift reads and writes (BatonLeafCstNode's, private there). */
interface ShiftedLeaf {
  _epoch: number;
  _offset: number;
  root: RootCstNode;
}

/** The fields of a composite node the shift reads and writes (Langium's `_rangeCache`, baton-cst-extents.ts' caches). */
interface ShiftedComposite {
  _epoch: number;
  _offsetCache?: number;
  _endCache?: number;
  _rangeCache?: unknown;
  root: RootCstNode;
  content: CstNode[];
}

/** The shifts of `root` made after `epoch` (oldest first), or undefined when there are none. */
function shiftsSince(root: RootCstNode | undefined, epoch: number): { shifts: CstShift[]; from: number } | undefined {
  const shifts = (root as ShiftedRoot | undefined)?._shifts;
  if (shifts === undefined) return undefined;
  let from = shifts.length;
  while (from > 0 && shifts[from - 1].epoch > epoch) from--;
  return from < shifts.length ? { shifts, from } : undefined;
}

/** Applies to the leaf `node` the shifts of its root it has not seen (called when its `_epoch` is not the clock's). */
export function catchUpLeaf(node: object): void {
  const leaf = node as ShiftedLeaf;
  const pending = shiftsSince(leaf.root, leaf._epoch);
  leaf._epoch = shiftClock.epoch;
  if (pending === undefined) return;
  const { shifts, from } = pending;
  for (let i = from; i < shifts.length; i++) {
    const shift = shifts[i];
    if (leaf._offset >= shift.at) {
      leaf._offset += shift.delta;
      if (shift.lineDelta !== 0 || leaf._offset < shift.lineEnd) dropLeafRange(node as LeafCstNodeImpl);
    }
  }
}

/** Applies to the composite `node`'s cached extents the shifts of its root it has not seen. */
export function catchUpComposite(node: object): void {
  const composite = node as ShiftedComposite;
  const pending = shiftsSince(composite.root, composite._epoch);
  composite._epoch = shiftClock.epoch;
  if (pending === undefined) return;
  if (composite._offsetCache === undefined) {
    composite._rangeCache = undefined; // extents computed from the children (which catch up), the range with them
    return;
  }
  const { shifts, from } = pending;
  for (let i = from; i < shifts.length; i++) {
    const shift = shifts[i];
    if (composite._offsetCache >= shift.at) {
      composite._offsetCache += shift.delta;
      if (composite._endCache !== undefined) composite._endCache += shift.delta;
      composite._rangeCache = undefined;
    }
  }
}

/** Marks `node` as up to date (its offsets are right for the current text): a node just made or refreshed. */
export function markCurrent(node: CstNode): void {
  (node as unknown as { _epoch: number })._epoch = shiftClock.epoch;
}

/**
 * Records that the nodes of `root` at or after offset `at` (of the text before the edit) move by `delta` characters
 * and `lineDelta` lines, `lineEnd` being where the edit's last line ends in the new text. Moves the clock: every node
 * made or refreshed after this call must be marked with {@link markCurrent}. With {@link MAX_SHIFTS} shifts recorded,
 * the whole tree is brought up to date first and the log emptied.
 */
export function recordCstShift(root: RootCstNode, shift: Omit<CstShift, 'epoch'>): void {
  const shifted = root as ShiftedRoot;
  if (shifted._shifts !== undefined && shifted._shifts.length >= MAX_SHIFTS) flushCstShifts(root);
  shiftClock.epoch++;
  (shifted._shifts ??= []).push({ ...shift, epoch: shiftClock.epoch });
}

/**
 * Brings every node of `root`'s tree up to date (reads each one's offset, which applies its pending shifts) and empties
 * the root's log. Nodes no longer in the tree keep what they had.
 */
export function flushCstShifts(root: RootCstNode): void {
  const stack: CstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const content = (node as { content?: CstNode[] }).content;
    if (content === undefined) {
      if ((node as unknown as ShiftedLeaf)._epoch !== shiftClock.epoch) catchUpLeaf(node);
    } else {
      if ((node as unknown as ShiftedComposite)._epoch !== shiftClock.epoch) catchUpComposite(node);
      for (let i = 0; i < content.length; i++) stack.push(content[i]);
    }
  }
  (root as ShiftedRoot)._shifts = undefined;
}
