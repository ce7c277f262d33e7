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
  let at = 0;
  for (const [start, end] of blanks) {
    if (start < at) continue; // nested in a range already blanked
    parts.push(text.slice(at, start), ' '.repeat(end - start));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
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
