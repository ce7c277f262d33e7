import type { AstNode, CstNode, LangiumDocument } from 'langium';
import { CstUtils, isCompositeCstNode } from 'langium';

/** Whitespace and comments only: what may stand between two elements of a list without separators. */
const GAP = /^(?:\s|\/\/[^\n\r]*|\/\*[\s\S]*?\*\/)*$/;

/**
 * The document's text as completion needs to read it at `offset`: the same length and the same tokens
 * around the cursor, with whole list elements that cannot change the result blanked out with spaces.
 *
 * Langium's completion tokenizes the whole text and re-parses everything before the cursor (up to three
 * times per request) to learn which grammar features may come next; on a 5,000-step flow that is
 * 100–400 ms. The parser's state after a complete element of a list without separators (a top-level
 * declaration, a flow member, a statement, a property written without commas) is the same however many
 * such elements came before, so for every list on the way from the root to the cursor this blanks:
 * - the elements before the one at the cursor, when a later element's first token still ends before the
 *   cursor (so the token before the cursor, which completion also reads, is kept) and no lexer or parser
 *   error lies before their end (so each was parsed whole);
 * - the elements that start after the cursor (completion reads no token past the one at the cursor).
 * Lists with a separator (`,`) between any two elements are left as they are.
 *
 * @param document a parsed document whose CST matches its current text.
 * @param offset the cursor, in UTF-16 code units from the start of the text.
 * @returns the reduced text (same length as the document's text), or undefined when nothing is blanked.
 */
export function completionText(document: LangiumDocument, offset: number): string | undefined {
  return reduceForCompletion(document, offset)?.reduced;
}

/**
 * {@link completionText}, and the same text with each blanked run shortened to one space (`compact`: what the
 * completion parser reads — lexing thousands of blanked characters cost as much as parsing), with the map from an
 * offset of the document's text to `compact`'s (`compactOffset`; an offset inside a blanked run maps to just after
 * its one space). Undefined when nothing is blanked.
 */
export function reduceForCompletion(document: LangiumDocument, offset: number): ReducedText | undefined {
  const text = document.textDocument.getText();
  const root = document.parseResult.value.$cstNode;
  if (!root) return undefined;
  const firstError = firstErrorOffset(document);
  const leaf = CstUtils.findLeafNodeAtOffset(root, offset) ?? CstUtils.findLeafNodeBeforeOffset(root, offset);
  const blanks: [number, number][] = [];
  for (let node: AstNode | undefined = leaf?.astNode; node?.$container; node = node.$container) {
    const property = node.$containerProperty;
    const list = property ? (node.$container as unknown as Record<string, unknown>)[property] : undefined;
    if (!Array.isArray(list) || list.length < 2) continue;
    const elements = list as AstNode[];
    const spans = listSpans(text, elements);
    if (!spans) continue;
    const index = node.$containerIndex ?? elements.indexOf(node);
    // before the cursor: every element up to the last one followed by an element whose first token ends before the cursor
    let lastKeptStart = -1;
    for (let i = index; i >= 1; i--) {
      if (spans.firstTokenEnd[i] <= offset) {
        lastKeptStart = i;
        break;
      }
    }
    for (let i = 0; i < lastKeptStart; i++) {
      if (spans.end[i] <= firstError) blanks.push([spans.offset[i], spans.end[i]]);
    }
    for (let i = index + 1; i < elements.length; i++) {
      if (spans.offset[i] > offset) blanks.push([spans.offset[i], spans.end[i]]);
    }
  }
  if (blanks.length === 0) return undefined;
  blanks.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  // the compact text's runs: [start, end) of the text shortened to one space (blanked elements and the whitespace
  // between them), with how many characters the compact text has dropped up to each run's end
  const runs: { start: number; end: number; dropped: number }[] = [];
  let at = 0;
  let dropped = 0;
  for (const [start, end] of blanks) {
    if (start < at) continue; // nested in a range already blanked
    parts.push(text.slice(at, start), ' '.repeat(end - start));
    const last = runs.at(-1);
    if (last && WHITESPACE.test(text.slice(last.end, start))) {
      dropped += end - last.end;
      last.end = end;
      last.dropped = dropped;
    } else {
      dropped += end - start - 1;
      runs.push({ start, end, dropped });
    }
    at = end;
  }
  parts.push(text.slice(at));
  const compactParts: string[] = [];
  let from = 0;
  for (const run of runs) {
    compactParts.push(text.slice(from, run.start), ' ');
    from = run.end;
  }
  compactParts.push(text.slice(from));
  return { reduced: parts.join(''), compact: compactParts.join(''), compactOffset: (o) => compactOffsetOf(runs, o) };
}

/** Whitespace only (no comment: a comment's text stays in the compact text). */
const WHITESPACE = /^\s*$/;

/** The text completion reads (see {@link reduceForCompletion}). */
export interface ReducedText {
  /** The document's text with list elements blanked: the same length, offsets unchanged. */
  reduced: string;
  /** `reduced` with each blanked run shortened to one space. */
  compact: string;
  /** The offset in `compact` of an offset of the document's text. */
  compactOffset(offset: number): number;
}

function compactOffsetOf(runs: readonly { start: number; end: number; dropped: number }[], offset: number): number {
  // the last run starting before `offset` (binary search)
  let low = 0;
  let high = runs.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (runs[mid].start < offset) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  if (found < 0) return offset;
  const run = runs[found];
  const before = run.dropped - (run.end - run.start - 1); // dropped before this run
  if (offset >= run.end) return offset - run.dropped;
  return run.start - before + 1; // inside the run: just after its one space
}


/** Offset of the first lexer or parser error (Infinity without one; -1 when a parser error has no position). */
function firstErrorOffset(document: LangiumDocument): number {
  let first = Infinity;
  for (const e of document.parseResult.lexerErrors) first = Math.min(first, e.offset);
  for (const e of document.parseResult.parserErrors) {
    const at = Number.isFinite(e.token.startOffset) ? e.token.startOffset : (e as { previousToken?: { endOffset: number } }).previousToken?.endOffset;
    first = Math.min(first, at !== undefined && Number.isFinite(at) ? at : -1);
  }
  return first;
}

/** Where the elements of a list are; undefined when one has no CST node or a separator stands between two. */
interface ListSpans {
  offset: number[];
  end: number[];
  firstTokenEnd: number[];
}

/**
 * Per AST list and the text it was parsed from (`null`: a list with separators). A document update may
 * re-parse one element in place (BatonDocumentFactory), which changes the text, so the text is the key too.
 */
const spansOfList = new WeakMap<readonly AstNode[], { text: string; spans: ListSpans | null }>();

function listSpans(text: string, elements: readonly AstNode[]): ListSpans | undefined {
  let entry = spansOfList.get(elements);
  if (entry?.text !== text) {
    entry = { text, spans: computeSpans(text, elements) };
    spansOfList.set(elements, entry);
  }
  return entry.spans ?? undefined;
}

function computeSpans(text: string, elements: readonly AstNode[]): ListSpans | null {
  const spans: ListSpans = { offset: [], end: [], firstTokenEnd: [] };
  for (let i = 0; i < elements.length; i++) {
    const cst = elements[i].$cstNode;
    if (!cst) return null;
    const offset = cst.offset;
    if (i > 0) {
      const previousEnd = spans.end[i - 1];
      if (previousEnd > offset || !GAP.test(text.slice(previousEnd, offset))) return null;
    }
    spans.offset.push(offset);
    spans.end.push(cst.end);
    spans.firstTokenEnd.push(firstTokenEnd(cst));
  }
  return spans;
}

/** End (exclusive) of a node's first non-hidden token. */
function firstTokenEnd(cst: CstNode): number {
  let node: CstNode | undefined = cst;
  while (node && isCompositeCstNode(node)) node = node.content.find((c) => !c.hidden);
  return node ? node.end : Infinity;
}
