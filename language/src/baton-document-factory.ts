import type { AstNode, CstNode, LangiumDocument, LangiumSharedCoreServices, ParseResult, RootCstNode } from 'langium';
import { CompositeCstNodeImpl, CstUtils, DefaultLangiumDocumentFactory, DocumentState, GrammarAST, isCompositeCstNode, isLeafCstNode } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { Range } from 'vscode-languageserver-types';
import { refreshCstExtents, shiftCstExtents } from './baton-cst-extents.js';
import { markCurrent, recordCstShift } from './baton-cst-shift.js';
import { REPARSED_RULES, firstTokenEnd, reparseInContext } from './baton-element-reparse.js';
import { recordReplacement } from './baton-incremental.js';


/**
 * Langium's document factory, re-parsing only the statement (or top-level declaration) an edit falls in
 * when it can prove the result equals a full parse; otherwise it parses the whole text as Langium does.
 *
 * On every keystroke Langium re-parses the whole file — ~0.5 s for a 5,000-step flow (563 KB), most of
 * a re-check. Here, when the edit (found by comparing the old and new text: common prefix and suffix) lies
 * strictly inside one `Statement` or `TopLevel` element with whitespace on both sides, only that element is
 * parsed again:
 * - alone, with the same grammar rule: taken when that parse has no error and consumes the whole text (a
 *   statement's first token is a keyword no statement can continue with, so the parser reaches and leaves it in
 *   the same state as in a full parse);
 * - otherwise in its context (`reparseInContext`: the other elements of the enclosing lists blanked), taken when
 *   the parse provably did what a full parse does there, errors included — so typing `name.`, which leaves the
 *   file unparsable for a moment, stays a re-parse of one statement. The element's errors become the document's
 *   parser and lexer errors (their offsets are the real ones), and the element is remembered: while the document
 *   has errors, only edits inside that element are re-parsed this way (its errors are then known to be all of
 *   them, and the parser's state after it a normal one); any other edit is a full parse.
 * The new subtree's CST is moved to the element's place, the move of the later CST nodes by the edit's length and
 * line count is recorded (each applies it when read: baton-cst-shift.ts), and the root's text becomes the new text.
 * Everything after parsing (scopes, linking, validation) runs on the whole document as before.
 */
export class BatonDocumentFactory extends DefaultLangiumDocumentFactory {
  constructor(services: LangiumSharedCoreServices) {
    super(services);
  }

  override async update<T extends AstNode = AstNode>(document: LangiumDocument<T>, cancellationToken: CancellationToken): Promise<LangiumDocument<T>> {
    const textDocument = this.textDocuments?.get(document.uri.toString());
    const oldText = document.parseResult.value.$cstNode?.root.fullText;
    if (textDocument && oldText !== undefined) {
      const text = textDocument.getText();
      if (text !== oldText && this.reparseElement(document, oldText, text)) {
        Object.defineProperty(document, 'textDocument', { value: textDocument });
        document.state = DocumentState.Parsed;
        return document;
      }
    }
    return super.update(document, cancellationToken);
  }

  /**
   * Re-parses the one element the change from `oldText` to `text` falls in and splices it into the
   * document's AST and CST; false (and the document untouched) when that cannot be done exactly.
   */
  protected reparseElement(document: LangiumDocument, oldText: string, text: string): boolean {
    const result = document.parseResult;
    const root = result.value.$cstNode;
    if (!root) return false;
    const changed = changedRegion(oldText, text);
    const old = elementAround(root, changed.start, changed.oldEnd);
    if (!old) return false;
    // a document with errors: only when they all came from this element's own re-parse (its state after it is normal)
    const hasErrors = result.lexerErrors.length > 0 || result.parserErrors.length > 0;
    if (hasErrors && erroneousElement.get(result) !== old) return false;
    if (old.offset > 0 && !isWhitespace(oldText.charCodeAt(old.offset - 1))) return false;
    if (old.end < oldText.length && !isWhitespace(oldText.charCodeAt(old.end))) return false;
    const oldNode = old.astNode;
    if (oldNode.$cstNode !== old || !oldNode.$container || !old.container) return false;
    // The old element must still be where its links say (else the splice would silently miss it): full parse.
    if (old.container.content.indexOf(old) < 0) return false;
    const holder = (oldNode.$container as unknown as Record<string, unknown>)[oldNode.$containerProperty ?? ''];
    if (Array.isArray(holder) ? holder.indexOf(oldNode) < 0 : holder !== oldNode) return false;
    const delta = text.length - oldText.length;
    const rule = (old.grammarSource as GrammarAST.RuleCall).rule.$refText;
    const parser = this.serviceRegistry.getServices(document.uri).parser.LangiumParser;
    const oldEnd = { offset: old.end, ...old.range.end };
    // the element alone, when it parses without error
    const sub = parser.parse(text.slice(old.offset, old.end + delta), { rule });
    const subRoot = sub.value.$cstNode;
    if (sub.lexerErrors.length === 0 && sub.parserErrors.length === 0 && subRoot && subRoot === subRoot.root && subRoot.end === old.end + delta - old.offset) {
      // the move first, then the new subtree (marked current as it is placed)
      shiftAfter(root.root, oldEnd, delta, old.range.start.line + subRoot.range.end.line, text, old.end + delta);
      const replacement = spliceElement(old, oldNode, sub.value, subRoot as CompositeCstNodeImpl, true);
      recordReplacement(document, oldNode, sub.value);
      refreshAncestors(replacement);
      (root as unknown as { _text: string })._text = text;
      document.parseResult = { ...result, value: result.value, lexerErrors: [], parserErrors: [] } satisfies ParseResult;
      return true;
    }
    // otherwise in its context (errors kept when they stay inside it), when the edit leaves its first token as it was
    if (changed.start <= firstTokenEnd(old)) return false;
    const reparsed = reparseInContext(parser, text, { cst: old, delta });
    if (!reparsed) return false;
    shiftAfter(root.root, oldEnd, delta, reparsed.cst.range.end.line, text, old.end + delta);
    const replacement = spliceElement(old, oldNode, reparsed.node, reparsed.cst as CompositeCstNodeImpl, false);
    recordReplacement(document, oldNode, reparsed.node);
    refreshAncestors(replacement);
    (root as unknown as { _text: string })._text = text;
    const parseResult: ParseResult = { value: result.value, lexerErrors: reparsed.lexerErrors, lexerReport: reparsed.lexerReport, parserErrors: reparsed.parserErrors };
    document.parseResult = parseResult;
    if (parseResult.lexerErrors.length > 0 || parseResult.parserErrors.length > 0) erroneousElement.set(parseResult, replacement);
    return true;
  }
}

/**
 * Per parse result with errors made by {@link BatonDocumentFactory.reparseElement} in context: the element whose
 * re-parse raised them all (its CST node in the document's tree). A later edit inside that element may re-parse
 * it again; any other edit of a document with errors is a full parse.
 */
const erroneousElement = new WeakMap<ParseResult, CstNode>();

/** Characters compared at once by {@link changedRegion} (as two strings: V8 compares their memory). */
const CHUNK = 1024;

/**
 * The changed region in the old text: `[start, oldEnd)`, from the longest common prefix and suffix. The texts are
 * compared a chunk at a time (two slices compared as strings, then character by character inside the first chunk
 * that differs): ~0.1 ms for a 563 KB text, against ~2–4 ms character by character.
 */
export function changedRegion(oldText: string, text: string): { start: number; oldEnd: number } {
  const min = Math.min(oldText.length, text.length);
  let start = 0;
  while (start + CHUNK <= min && oldText.slice(start, start + CHUNK) === text.slice(start, start + CHUNK)) start += CHUNK;
  while (start < min && oldText.charCodeAt(start) === text.charCodeAt(start)) start++;
  const most = min - start; // the suffix may not overlap the prefix
  let suffix = 0;
  while (suffix + CHUNK <= most && oldText.slice(oldText.length - suffix - CHUNK, oldText.length - suffix) === text.slice(text.length - suffix - CHUNK, text.length - suffix)) suffix += CHUNK;
  while (suffix < most && oldText.charCodeAt(oldText.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
  return { start, oldEnd: oldText.length - suffix };
}

/** The innermost `Statement`/`TopLevel` CST node with `[start, end)` strictly inside it (its first and last characters unchanged). */
function elementAround(root: CstNode, start: number, end: number): CompositeCstNodeImpl | undefined {
  let node: CstNode | undefined = CstUtils.findLeafNodeAtOffset(root, start) ?? CstUtils.findLeafNodeBeforeOffset(root, start);
  for (; node; node = node.container) {
    const source = node.grammarSource;
    if (isCompositeCstNode(node) && GrammarAST.isRuleCall(source) && REPARSED_RULES.has(source.rule.$refText) && node.offset < start && end < node.end) {
      return node as CompositeCstNodeImpl;
    }
  }
  return undefined;
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/**
 * Puts the freshly parsed element in the old one's place, in the AST and in the CST. `fromZero`: the element was
 * parsed alone (its offsets and positions count from its start); else in a text of the document's length (real ones).
 */
function spliceElement(old: CompositeCstNodeImpl, oldNode: AstNode, node: AstNode, subRoot: CompositeCstNodeImpl, fromZero: boolean): CompositeCstNodeImpl {
  const container = oldNode.$container!;
  const property = oldNode.$containerProperty!;
  const mutable = node as { -readonly [K in keyof AstNode]: AstNode[K] };
  mutable.$container = container;
  mutable.$containerProperty = property;
  mutable.$containerIndex = oldNode.$containerIndex;
  const value = (container as unknown as Record<string, unknown>)[property];
  if (Array.isArray(value)) value[value.indexOf(oldNode)] = node;
  else (container as unknown as Record<string, unknown>)[property] = node;

  const replacement = new CompositeCstNodeImpl();
  replacement.grammarSource = old.grammarSource;
  replacement.root = old.root;
  replacement.astNode = node;
  replacement.content.push(...subRoot.content);
  mutable.$cstNode = replacement;
  const siblings = old.container!.content;
  siblings[siblings.indexOf(old)] = replacement;
  replacement.container = old.container;
  // the new subtree: offsets and positions from the element's start
  const base = fromZero ? old.offset : 0;
  const { line, character } = fromZero ? old.range.start : { line: 0, character: 0 };
  walk(replacement, (n) => {
    markCurrent(n); // placed for the current text (the shift of this edit, recorded before, is not for it)
    (n as { root: RootCstNode }).root = old.root;
    if (isCompositeCstNode(n)) {
      (n as unknown as { _rangeCache?: Range })._rangeCache = undefined;
      shiftCstExtents(n, base); // cached by the element's own parse, from 0
    } else if (isLeafCstNode(n)) {
      const leaf = n as unknown as { _offset: number; _range: Range };
      leaf._offset += base;
      const r = leaf._range;
      leaf._range = {
        start: { line: r.start.line + line, character: r.start.character + (r.start.line === 0 ? character : 0) },
        end: { line: r.end.line + line, character: r.end.character + (r.end.line === 0 ? character : 0) },
      };
    }
  });
  refreshCstExtents(replacement);
  return replacement;
}

/**
 * Moves the CST after the replaced element (which ended at `oldEnd` in the old text) by `delta` characters: records
 * the move on the root (baton-cst-shift.ts: each node after the element applies it when next read — the leaves whose
 * line or character changed, those on the edit's last line or all of them when lines were added or removed, drop
 * their position, computed again from the new text when read) and refreshes the element's ancestors at once (their
 * cached extents from their children, innermost first; their cached ranges dropped). Nodes before the element are
 * untouched. An edit that changes neither length nor line count moves nothing. Call before the new subtree is marked
 * current and before the root's text is set.
 */
function shiftAfter(root: RootCstNode, oldEnd: { offset: number; line: number; character: number }, delta: number, newEndLine: number, text: string, newEnd: number): void {
  const lineDelta = newEndLine - oldEnd.line;
  if (delta === 0 && lineDelta === 0) return;
  // where the edit's last line ends in the new text (its first line break after the element)
  let lineEnd = newEnd;
  while (lineEnd < text.length && text.charCodeAt(lineEnd) !== 10 && text.charCodeAt(lineEnd) !== 13) lineEnd++;
  recordCstShift(root, { at: oldEnd.offset, delta, lineEnd, lineDelta });
}

/** Refreshes the cached extents of `replacement`'s ancestors (innermost first) and drops their cached ranges. */
function refreshAncestors(replacement: CompositeCstNodeImpl): void {
  for (let parent = replacement.container; parent; parent = parent.container) {
    (parent as unknown as { _rangeCache?: Range })._rangeCache = undefined;
    refreshCstExtents(parent);
  }
}

/** Visits `node` and its descendants, depth first; `visit` returning false skips a node's children. */
function walk(node: CstNode, visit: (node: CstNode) => boolean | void): void {
  const stack: CstNode[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (visit(current) === false) continue;
    if (isCompositeCstNode(current)) for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
  }
}
