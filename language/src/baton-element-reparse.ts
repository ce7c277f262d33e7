import type { ILexingError, IRecognitionException, IToken, TokenType } from 'chevrotain';
import type { AstNode, CompositeCstNode, CstNode, LangiumParser, ParseResult } from 'langium';
import { CstUtils, GrammarAST, isCompositeCstNode } from 'langium';

/** Grammar rules whose elements are re-parsed alone: statements and top-level declarations. */
export const REPARSED_RULES = new Set(['Statement', 'TopLevel']);

/** What {@link reparseInContext} needs to know of the element being replaced (offsets in the OLD text). */
export interface ContextElement {
  /** The element's CST node (a `Statement`/`TopLevel` rule call) in the document's current tree. */
  cst: CompositeCstNode;
  /** The characters the edit added (negative: removed); everything after the element moves by this much. */
  delta: number;
}

/** The element parsed again in its context: its new AST node and CST node, and the errors its parse raised. */
export interface ContextReparse {
  node: AstNode;
  cst: CompositeCstNode;
  lexerErrors: ILexingError[];
  parserErrors: IRecognitionException[];
  lexerReport: ParseResult['lexerReport'];
}

/** The parts of Chevrotain's recognizer read here (public at run time, protected in its types). */
interface Recognizer {
  input: IToken[];
  currIdx: number;
  errors: IRecognitionException[];
  LA(howMuch: number): IToken;
}

type Subrule = LangiumParser['subrule'];

/**
 * Parses the edited element `element` of the new `text` in its real context, so that the result equals what a
 * full parse of `text` gives for that element even when the element does not parse (a `.` just typed, an
 * unterminated string): the same AST, CST and errors. Undefined when that cannot be shown; then only a full
 * parse is right.
 *
 * The text parsed is `text` with, in every enclosing list of statements or top-level declarations, the other
 * elements replaced by whitespace (same length, same line breaks, so every offset, line and column of the
 * element is its real one) — except the element right after the edited one. The parser's state after a whole
 * element of such a list (no separators) is the same however many elements came before, so the parser enters
 * the element in the state a full parse enters it in. What it does inside depends only on the tokens it reads;
 * the result is taken only when:
 * - the parser entered the element's rule at its first token (unchanged by the edit), returned from it normally
 *   (no error escaped to the enclosing rule, whose recovery would change what follows) right after the element's
 *   last token, and the new element spans the old one's text (moved by the edit);
 * - every token it looked at (lookahead and error recovery's scans included) lies in the part of the text that is
 *   the same as the full text: up to the first blanked element after the edited one;
 * - the tokens it read are the full text's tokens there: the lexer's modes (`{`, templates) are balanced over the
 *   element and never pop below where it started, no lexer error lies outside the element, no `"""` or `/*` in the
 *   element failed to start a token (their match may end far away, in text that was blanked), and a line break
 *   separates the element's end from the blanked text (a one-line token's match cannot reach across it);
 * - the parse raised no error outside the element's rule.
 * The caller also makes sure that the old document's errors, if any, all came from this element's previous parse
 * made here (its state after the element is then that of a normal parse), and that the edit lies strictly inside
 * the element after its first token.
 */
export function reparseInContext(parser: LangiumParser, text: string, element: ContextElement): ContextReparse | undefined {
  const old = element.cst;
  const { delta } = element;
  const first = firstToken(old);
  if (!first) return undefined;
  const firstOffset = first.offset; // before the edit: unchanged
  const newEnd = old.end + delta;
  const blanks = blankRanges(old, delta);
  if (!blanks) return undefined;
  const windowEnd = blanks.after.length > 0 ? blanks.after[0][0] : text.length;
  // a line break between the element and the first blanked text (see above)
  if (windowEnd < text.length && !/[\r\n]/.test(text.slice(newEnd, windowEnd))) return undefined;
  const reduced = blankText(text, [...blanks.before, ...blanks.after]);

  const rule = parser.getRule((old.grammarSource as GrammarAST.RuleCall).rule.$refText);
  const wrapper = (parser as unknown as { wrapper: Recognizer }).wrapper;
  const watch = { phase: 0 as 0 | 1 | 2 | 3, firstIndex: -1, limitIndex: -1, maxLA: -1, endIndex: -1, errorsBefore: 0, errorsAfter: 0 };
  const ownSubrule = parser.subrule;
  const ownLA = wrapper.LA;
  const mutableParser = parser as unknown as { subrule: Subrule };
  const mutableWrapper = wrapper as unknown as { LA: Recognizer['LA'] };
  const locate = (tokens: IToken[]) => {
    watch.firstIndex = firstIndexAtOrAfter(tokens, firstOffset);
    watch.limitIndex = windowEnd >= text.length ? Number.MAX_SAFE_INTEGER : firstIndexAtOrAfter(tokens, windowEnd);
  };
  mutableWrapper.LA = function (this: Recognizer, howMuch: number): IToken {
    if (watch.phase < 2) {
      if (watch.firstIndex < 0) locate(this.input);
      const index = this.currIdx + howMuch;
      if (this.currIdx + 1 >= watch.firstIndex && index > watch.maxLA) watch.maxLA = index;
    }
    return ownLA.call(this, howMuch);
  };
  mutableParser.subrule = function (this: LangiumParser, ...args: Parameters<Subrule>): void {
    if (watch.phase !== 0 || args[1] !== rule || this.isRecording()) return ownSubrule.apply(this, args);
    if (watch.firstIndex < 0) locate(wrapper.input);
    if (wrapper.currIdx + 1 !== watch.firstIndex) return ownSubrule.apply(this, args);
    watch.phase = 1;
    watch.errorsBefore = wrapper.errors.length;
    try {
      ownSubrule.apply(this, args);
      watch.phase = 2;
    } catch (error) {
      watch.phase = 3;
      throw error;
    } finally {
      watch.endIndex = wrapper.currIdx;
      watch.errorsAfter = wrapper.errors.length;
    }
  };
  let result: ParseResult;
  try {
    result = parser.parse(reduced);
  } finally {
    delete (mutableParser as Partial<typeof mutableParser>).subrule;
    delete (mutableWrapper as Partial<typeof mutableWrapper>).LA;
  }
  if (parser.subrule !== ownSubrule || wrapper.LA !== ownLA) throw new Error('BatonDocumentFactory: the parser kept a patched method');

  // the element's rule: entered at its first token, left normally after its last, looking only at faithful tokens
  if (watch.phase !== 2 || watch.maxLA >= watch.limitIndex) return undefined;
  const tokens = wrapper.input;
  const last = tokens[watch.endIndex];
  if (!last || last.startOffset < firstOffset || (last.endOffset ?? Number.NaN) + 1 !== newEnd) return undefined;
  if (result.parserErrors.length !== watch.errorsAfter - watch.errorsBefore || watch.errorsBefore !== 0) return undefined;
  if (result.lexerReport && result.lexerReport.diagnostics.length > 0) return undefined;
  for (const e of result.lexerErrors) if (e.offset < old.offset || e.offset + e.length > newEnd) return undefined;
  if (!lexedAsInFullText(reduced, tokens, old.offset, newEnd, firstIndexAtOrAfter(tokens, old.offset), watch.endIndex, parser)) return undefined;

  // the new element: the composite of the same rule call at the same place
  const root = result.value.$cstNode;
  let cst: CstNode | undefined = root ? CstUtils.findLeafNodeAtOffset(root, firstOffset) : undefined;
  while (cst && !(cst.grammarSource === old.grammarSource && isCompositeCstNode(cst))) cst = cst.container;
  if (!cst || cst.offset !== old.offset || cst.end !== newEnd || cst.astNode.$cstNode !== cst) return undefined;
  return { node: cst.astNode, cst: cst as CompositeCstNode, lexerErrors: result.lexerErrors, parserErrors: result.parserErrors, lexerReport: result.lexerReport };
}

/** The first non-hidden leaf of `node`. */
function firstToken(node: CstNode): CstNode | undefined {
  const stack: CstNode[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (isCompositeCstNode(current)) {
      for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
    } else if (!current.hidden) {
      return current;
    }
  }
  return undefined;
}

/** End (exclusive, old text) of `node`'s first non-hidden token: the edit must start after it. */
export function firstTokenEnd(node: CstNode): number {
  return firstToken(node)?.end ?? Number.POSITIVE_INFINITY;
}

/**
 * The ranges of the NEW text to blank: in every enclosing list of `Statement`/`TopLevel` elements, the elements
 * before the one on the way to `old`, and those after it (after the one right after `old`, on `old`'s own level).
 */
function blankRanges(old: CompositeCstNode, delta: number): { before: [number, number][]; after: [number, number][] } | undefined {
  const before: [number, number][] = [];
  const after: [number, number][] = [];
  for (let node: AstNode | undefined = old.astNode; node?.$container; node = node.$container) {
    const cst = node.$cstNode;
    const source = cst?.grammarSource;
    if (!cst || !GrammarAST.isRuleCall(source) || !REPARSED_RULES.has(source.rule.$refText)) continue;
    const list = (node.$container as unknown as Record<string, unknown>)[node.$containerProperty ?? ''];
    if (!Array.isArray(list)) continue;
    const elements = list as AstNode[];
    const index: number = node.$containerIndex ?? elements.indexOf(node);
    if (elements[index] !== node) return undefined;
    if (index > 0) {
      const start = elements[0].$cstNode?.offset;
      if (start === undefined) return undefined;
      before.push([start, cst.offset]);
    }
    const keep = cst === old ? index + 1 : index; // the element right after the edited one stays
    if (keep + 1 < elements.length) {
      const start = elements[keep + 1].$cstNode?.offset;
      const end = elements[elements.length - 1].$cstNode?.end;
      if (start === undefined || end === undefined) return undefined;
      after.push([start + delta, end + delta]);
    }
  }
  after.sort((a, b) => a[0] - b[0]);
  return { before, after };
}

/**
 * `text` with `ranges` replaced by spaces, keeping its length and, at the end of each range, its line and column
 * (a range's line breaks become `\n`s, a `\r\n` one `\n` and a space).
 */
function blankText(text: string, ranges: [number, number][]): string {
  ranges.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    parts.push(text.slice(at, start));
    let breaks = 0;
    let lineStart = start;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) {
        breaks++;
        lineStart = i + 1;
      }
    }
    const tail = end - lineStart;
    parts.push(' '.repeat(end - start - breaks - tail), '\n'.repeat(breaks), ' '.repeat(tail));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** Index of the first token starting at or after `offset` (the tokens' length when none). */
function firstIndexAtOrAfter(tokens: IToken[], offset: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (tokens[mid].startOffset < offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Whether the tokens `[from, to]` of the reduced `text` (the element's, between `start` and `end`) are what the
 * lexer makes of the full text there: its modes balanced over them (never below the element's start, so the
 * text after the element is lexed in the same mode as before the edit; a `}` that leaves a template because no
 * `"` or `${` follows on its line is refused), and every `"""` or `/*` in the element inside a token or starting
 * a triple-quoted string or a block comment (a failed attempt at one scanned on into text that was blanked).
 */
function lexedAsInFullText(text: string, tokens: IToken[], start: number, end: number, from: number, to: number, parser: LangiumParser): boolean {
  const modes: string[] = [];
  for (let i = from; i <= to; i++) {
    const type = tokens[i].tokenType as TokenType & { PUSH_MODE?: string; POP_MODE?: boolean };
    if (type.POP_MODE) {
      if (modes.length === 0) return false;
      const left = modes.pop()!;
      if (type.name === '}' && left !== 'code') return false;
    }
    if (type.PUSH_MODE) modes.push(type.PUSH_MODE);
  }
  if (modes.length > 0) return false;
  const element = text.slice(start, end);
  if (!element.includes('"""') && !element.includes('/*')) return true;
  // rare: lex again to see the hidden tokens (comments) too, which the parse consumed
  const lexed = (parser as unknown as { lexer: { tokenize(text: string): { tokens: IToken[]; hidden: IToken[] } } }).lexer.tokenize(text);
  const all = [...lexed.tokens, ...lexed.hidden].filter((t) => t.startOffset >= start).sort((a, b) => a.startOffset - b.startOffset);
  for (const [needle, kinds] of [['"""', /^TRIPLE_/], ['/*', /^ML_COMMENT$/]] as const) {
    for (let at = text.indexOf(needle, start); at >= 0 && at < end; at = text.indexOf(needle, at + 1)) {
      const token = all.find((t) => t.startOffset <= at && at <= (t.endOffset ?? -1));
      if (!token || (token.startOffset === at && !kinds.test(token.tokenType.name))) return false;
    }
  }
  return true;
}
