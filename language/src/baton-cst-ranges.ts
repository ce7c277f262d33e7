import type { RootCstNode } from 'langium';
import type { LeafCstNodeImpl } from 'langium';
import type { Range } from 'vscode-languageserver-types';

/**
 * CST leaves whose line/character range is computed when first read, from their offset and the document's text.
 *
 * The statement re-parse (`BatonDocumentFactory`) moves every leaf after an edited statement. Moving its offset is
 * one addition, but a leaf's range is an object (shared with the range caches of the composite nodes above it), so
 * an edit that adds or removes a line gave each of the ~100,000 leaves after it on a 5,000-step flow a new range
 * (three objects): two thirds of the re-parse and much of its garbage. Those ranges are read rarely (diagnostics,
 * an answer's range, semantic tokens), so the re-parse now only drops them ({@link dropLeafRange}) and the leaf — a
 * `BatonLeafCstNode` (baton-cst-builder.ts), what the parser makes — computes its range on the next read
 * ({@link leafRangeFromText}), exactly as the lexer does: the start is the position of its first
 * character, the end the position just after its last character on that character's line (a token ending in a
 * line break ends on the line of the break). Lines break at `\n`, `\r\n` and `\r`, as the lexer counts them.
 */
interface LazyLeaf {
  _offset: number;
  _length: number;
  _range: Range | undefined;
  root: RootCstNode;
}

/** Per CST root: the text its line starts were computed for and those starts (offsets, ascending). */
const lineStartsOf = new WeakMap<RootCstNode, { text: string; starts: number[] }>();

/** Drops the cached range of the leaf `leaf` (its offset must be right): it is computed again when read. */
export function dropLeafRange(leaf: LeafCstNodeImpl): void {
  (leaf as unknown as LazyLeaf)._range = undefined;
}

/** Whether `leaf` holds a range computed earlier (false: dropped, computed again when read). */
export function cachedLeafRange(leaf: LeafCstNodeImpl): Range | undefined {
  return (leaf as unknown as LazyLeaf)._range;
}

/** The range of the leaf at `leaf._offset` (length `_length`) in its root's text, as the lexer counts lines. */
export function leafRangeFromText(leaf: Pick<LazyLeaf, '_offset' | '_length' | 'root'>): Range {
  const starts = lineStarts(leaf.root);
  const offset = leaf._offset;
  const startLine = lineAt(starts, offset);
  const start = { line: startLine, character: offset - starts[startLine] };
  if (!(leaf._length > 0)) return { start, end: { ...start } };
  const last = offset + leaf._length - 1;
  const endLine = lineAt(starts, last);
  return { start, end: { line: endLine, character: last - starts[endLine] + 1 } };
}

function lineStarts(root: RootCstNode): number[] {
  const text = root.fullText;
  const cached = lineStartsOf.get(root);
  if (cached?.text === text) return cached.starts;
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) starts.push(i + 1);
    else if (code === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  lineStartsOf.set(root, { text, starts });
  return starts;
}

/** The line (0-based) of the character at `offset`: the last line start at or before it. */
function lineAt(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}
