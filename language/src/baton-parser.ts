import type { IRecognitionException, IToken } from 'chevrotain';
import { MismatchedTokenException } from 'chevrotain';
import type { AstNode, CompletionParserResult, GrammarAST, LangiumCompletionParser, LangiumCoreServices, ParseResult } from 'langium';
import { LangiumParser, createCompletionParser, isAstNode } from 'langium';
import { cacheCstExtents } from './baton-cst-extents.js';
import { BatonCstNodeBuilder } from './baton-cst-builder.js';
import { NO_ARGS, buildBatonParser } from './baton-parser-builder.js';
import { deferLookaheadFunctions } from './baton-lazy-lookahead.js';
import { MandatoryDefaults, isDataTypeNode } from './baton-parser-nodes.js';
import { ExpressionShortcut, SHORTCUT_DEPTH_MARGIN } from './baton-expression-shortcut.js';

/**
 * The deepest nesting of brackets the parser reads: `{ }` blocks and records, `( )`, `[ ]` and a
 * template's `${ }` each count one level. Deeper text gets one `nesting-too-deep` error on the bracket
 * that opens level 21. The parser enters about 12 grammar rules per `(` level, so this keeps it under
 * {@link MAX_RULE_DEPTH} (without a guard, 60 levels of parentheses overflowed the JavaScript stack).
 */
export const MAX_NESTING = 20;

/**
 * The deepest chain of grammar rules the parser enters (a backstop for nesting without brackets: a long
 * chain of prefix operators `- - - x`, of `?:` or of `else if`). With Node 20's default stack, 400 prefix
 * operators parsed and 470 overflowed; brackets within {@link MAX_NESTING} stay under ~250 rules.
 */
export const MAX_RULE_DEPTH = 300;

/**
 * The most operators (infix, `.`, `[…]`, `[]` in a type) one outermost expression or type may hold. Each
 * wraps the tree so far in one more level of the syntax tree, which Langium walks recursively: a flat
 * `1 + 1 + …` of 6,000 terms overflowed the stack (4,000 did not). The checker already refuses an
 * expression more than 200 levels deep (`nesting-too-deep`); this only keeps the parser itself safe.
 */
export const MAX_OPERATORS = 2000;

/** How the message of every recognition error this parser raises for too deep text starts (see BatonDocumentValidator). */
export const NESTING_ERROR_PREFIX = 'nesting deeper than';

/**
 * The recognition error for too deep text: its token is the bracket that opened the level too many (or the
 * token where the rule chain got too long); `nestingEnd` is the offset just after the closing bracket of the
 * outermost bracket around it (the declaration's `}`; the end of the text when unclosed or for a rule chain):
 * error recovery skips the deep text and may unwind up to the declaration, so the parse errors in between
 * are its consequences.
 */
export type NestingError = IRecognitionException & { nestingEnd?: number };

/** The parameters of Langium's `LangiumParser.subrule` (index, rule, fragment, feature, rule arguments). */
type SubruleArgs = Parameters<LangiumParser['subrule']>;

/** Tokens that open and close a nesting level (by token type name). */
const OPENERS = new Set(['{', '(', '[', 'TEMPLATE_HEAD', 'TRIPLE_TEMPLATE_HEAD']);
const CLOSERS = new Set(['}', ')', ']', 'TEMPLATE_TAIL', 'TRIPLE_TEMPLATE_TAIL']);

/** The parts of Chevrotain's recognizer this parser reads (public at run time, protected in its types). */
interface Recognizer {
  input: IToken[];
  currIdx: number;
  SAVE_ERROR(error: IRecognitionException): IRecognitionException;
}

/**
 * Langium's parser with a depth guard, so that no text, however deeply nested, overflows the stack.
 * Before the parser enters a rule it checks (1) the bracket depth at the next token, from one scan of the
 * token vector per parse: past {@link MAX_NESTING} it raises a recognition error on the bracket that
 * opened level MAX_NESTING + 1, which Chevrotain's error recovery handles like any syntax error (it skips
 * to a token that can follow); and (2) the number of rules it is inside, past {@link MAX_RULE_DEPTH}.
 * (3) An outermost expression or type with more than {@link MAX_OPERATORS} operators gets the same error.
 * Only the first such error of a parse is reported; its message starts with {@link NESTING_ERROR_PREFIX}
 * and BatonDocumentValidator reports it as `nesting-too-deep`.
 * Each parse's CST gets its composite nodes' extents cached ({@link cacheCstExtents}: O(1) offsets, not O(depth)).
 */
export class BatonParser extends LangiumParser {
  private ruleDepth = 0;
  /** The token vector the scan below was made for (a new parse sets a new one). */
  private scanned: IToken[] | undefined;
  /** Per token index: the index of the bracket that opened level MAX_NESTING + 1 around it, or -1. */
  private tooDeep: Int32Array = new Int32Array(0);
  /** Per token index of an opening bracket: the index of its closing bracket, or -1 (unclosed). */
  private closer: Int32Array = new Int32Array(0);
  /** Per token index where {@link tooDeep} is set: the outermost bracket around it (a declaration's `{`). */
  private outermost: Int32Array = new Int32Array(0);
  private reported = false;
  /** How many `Expression`/`TypeExpr` rules the parser is inside, and the operators of the outermost so far. */
  private expressionDepth = 0;
  private operators = 0;
  /** The `Expression` and `TypeExpr` rules (their parser methods), once looked up. */
  private expressionRules: unknown[] | undefined;
  /**
   * The expression shortcut ({@link ExpressionShortcut}: an operand without operators skips the precedence levels),
   * set by {@link createBatonParser}; undefined parses every expression through every level (tests compare the two).
   */
  shortcut: ExpressionShortcut | undefined;

  constructor(services: LangiumCoreServices) {
    super(services);
    // Langium's copies a pass-through rule's result with Object.entries (an array per property, per rule level:
    // an expression passes through 12); this one walks the keys in place, with the same effect
    (this as unknown as LangiumParserInternals).assignWithoutOverride = assignWithoutOverride;
    // Langium's `construct` (private, so set on the instance) with the defaults of each AST type worked out once
    const defaults = new MandatoryDefaults(services.shared.AstReflection);
    const parser = this as unknown as LangiumParserInternals;
    parser.construct = () => construct(parser, defaults);
    // the same CST without the per-token costs that grew with a flow's length (baton-cst-builder.ts)
    (this as unknown as Mutable<LangiumParserInternals>).nodeBuilder = new BatonCstNodeBuilder();
    // each decision's lookahead function is built when a parse first reaches it, not all at start (~150 ms of CPU)
    deferLookaheadFunctions((this as unknown as LangiumParserInternals).wrapper);
    // Langium's wrapper makes `{ ARGS: [args] }` per rule call; the rules built by buildBatonParser all pass NO_ARGS
    const wrapper = (this as unknown as LangiumParserInternals).wrapper;
    const shared = { ARGS: [NO_ARGS] };
    wrapper.wrapSubrule = function (this: ChevrotainSubrule, idx: number, rule: unknown, args: unknown): unknown {
      return this.subrule(idx, rule, args === NO_ARGS ? shared : { ARGS: [args] });
    };
  }

  /**
   * Langium 4.2's `LangiumParser.parse`, step for step, except that the contents are linked to their containers by
   * {@link linkContents} (Langium's `linkContentToContainer` allocates an array per property of every node), and the
   * CST's extents are cached.
   */
  override parse<T extends AstNode = AstNode>(input: string, options: Parameters<LangiumParser['parse']>[1] = {}): ParseResult<T> {
    const self = this as unknown as LangiumParserInternals;
    self.nodeBuilder.buildRootNode(input);
    const lexerResult = (self.lexerResult = self.lexer.tokenize(input));
    self.wrapper.input = lexerResult.tokens;
    const ruleMethod = options.rule ? self.allRules.get(options.rule) : self.mainRule;
    if (!ruleMethod) throw new Error(options.rule ? `No rule found with name '${options.rule}'` : 'No main rule available.');
    const result = self.doParse(ruleMethod);
    self.nodeBuilder.addHiddenNodes(lexerResult.hidden);
    self.unorderedGroups.clear();
    self.lexerResult = undefined;
    linkContents(result);
    if (result.$cstNode) cacheCstExtents(result.$cstNode.root);
    return { value: result as T, lexerErrors: lexerResult.errors, lexerReport: lexerResult.report, parserErrors: self.wrapper.errors };
  }

  override subrule(idx: number, rule: SubruleArgs[1], fragment: boolean, feature: SubruleArgs[3], args: SubruleArgs[4]): void {
    if (this.isRecording()) return super.subrule(idx, rule, fragment, feature, args);
    const recognizer = this.wrapper as unknown as Recognizer;
    if (this.scanned !== recognizer.input) this.scan(recognizer.input);
    const next = recognizer.currIdx + 1;
    const opener = next < this.tooDeep.length ? this.tooDeep[next] : -1;
    if (opener >= 0 || this.ruleDepth >= MAX_RULE_DEPTH) {
      const tokens = recognizer.input;
      const token = opener >= 0 ? tokens[opener] : tokens[Math.min(next, tokens.length - 1)];
      const message =
        opener >= 0
          ? `${NESTING_ERROR_PREFIX} ${MAX_NESTING} levels: blocks, brackets and \`\${…}\` nest at most ${MAX_NESTING} deep; move the inner part into a \`let\` value, a type or a sub-flow`
          : `${NESTING_ERROR_PREFIX} the parser reads: a chain of prefix operators, \`?:\` or \`else if\` too long to read; split it with \`let\` values`;
      const error: NestingError = new MismatchedTokenException(message, token, tokens[next - 1] ?? token);
      // error recovery may unwind up to the declaration: its errors up to the declaration's end are consequences
      const close = opener >= 0 ? this.closer[this.outermost[next]] : -1;
      error.nestingEnd = close >= 0 ? (tokens[close].endOffset ?? tokens[close].startOffset) + 1 : Number.MAX_SAFE_INTEGER;
      if (!this.reported) {
        this.reported = true;
        recognizer.SAVE_ERROR(error);
      }
      throw error;
    }
    const shortcut = this.shortcut;
    if (shortcut !== undefined && feature === shortcut.from && this.ruleDepth + SHORTCUT_DEPTH_MARGIN < MAX_RULE_DEPTH) {
      const operand = shortcut.scan(recognizer.input, next, this.tooDeep);
      if (operand !== undefined && this.operators + operand.members < MAX_OPERATORS) {
        const call = operand.prefixed ? shortcut.toUnary : shortcut.toPostfix;
        // the skipped rules count toward the depth, as if entered
        this.ruleDepth += call.skipped;
        try {
          this.subrule(call.idx, call.rule as SubruleArgs[1], false, call.ruleCall, args);
        } finally {
          this.ruleDepth -= call.skipped;
        }
        return;
      }
    }
    // the two rules are looked up once (a Map look-up each, per rule the parser enters, otherwise)
    this.expressionRules ??= [this.getRule('Expression'), this.getRule('TypeExpr')];
    const expression = rule === this.expressionRules[0] || rule === this.expressionRules[1];
    if (expression && this.expressionDepth === 0) this.operators = 0;
    if (expression) this.expressionDepth++;
    this.ruleDepth++;
    try {
      super.subrule(idx, rule, fragment, feature, args);
    } finally {
      this.ruleDepth--;
      if (expression) this.expressionDepth--;
    }
  }

  override action(...args: Parameters<LangiumParser['action']>): void {
    // only an action that assigns the tree so far (`{infer BinaryExpression.left=current}`) wraps it
    if (!this.isRecording() && args[1].feature !== undefined && ++this.operators > MAX_OPERATORS) {
      const recognizer = this.wrapper as unknown as Recognizer;
      const tokens = recognizer.input;
      const token = tokens[Math.min(recognizer.currIdx + 1, tokens.length - 1)];
      const error: NestingError = new MismatchedTokenException(`${NESTING_ERROR_PREFIX} the parser reads: more than ${MAX_OPERATORS} operators in one expression; split it with \`let\` values`, token, tokens[recognizer.currIdx] ?? token);
      error.nestingEnd = Number.MAX_SAFE_INTEGER;
      if (!this.reported) {
        this.reported = true;
        recognizer.SAVE_ERROR(error);
      }
      throw error;
    }
    // Langium 4.2's `action`, except that the tree so far leaves its parent by `wrapInAction` (Langium's `removeNode`
    // looks it up with `indexOf` and splices the array subclass, which makes a new one per call, and `push` takes
    // a rest array): one `.` or operator in an expression is one action
    if (this.isRecording()) return;
    const [$type, action] = args;
    const self = this as unknown as LangiumParserInternals;
    if (action.feature && action.operator) {
      const last = self.construct() as AstNode;
      (self.nodeBuilder as BatonCstNodeBuilder).wrapInAction(action, last.$cstNode!);
      self.stack.push({ $type });
      self.assign(action.operator, action.feature, last, last.$cstNode, false);
    } else {
      (self.stack[self.stack.length - 1] as { $type: string }).$type = $type;
    }
  }

  private scan(tokens: IToken[]): void {
    this.scanned = tokens;
    this.reported = false;
    this.expressionDepth = 0;
    this.operators = 0;
    this.tooDeep = new Int32Array(tokens.length).fill(-1);
    this.closer = new Int32Array(tokens.length).fill(-1);
    this.outermost = new Int32Array(tokens.length).fill(-1);
    const open: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const name = tokens[i].tokenType.name;
      if (CLOSERS.has(name) && open.length > 0) this.closer[open.pop()!] = i;
      if (open.length > MAX_NESTING) {
        this.tooDeep[i] = open[MAX_NESTING];
        this.outermost[i] = open[0];
      }
      if (OPENERS.has(name)) open.push(i);
    }
  }
}

/** The members of Langium 4.2's `LangiumParser` that {@link BatonParser.parse} drives (private in its types). */
interface LangiumParserInternals {
  nodeBuilder: { buildRootNode(input: string): unknown; addHiddenNodes(tokens: IToken[]): void; construct(item: unknown): void };
  lexer: LangiumParser['lexer'];
  lexerResult: unknown;
  wrapper: { input: IToken[]; errors: IRecognitionException[]; wrapSubrule(idx: number, rule: unknown, args: unknown): unknown };
  allRules: Map<string, unknown>;
  mainRule: unknown;
  unorderedGroups: Map<string, boolean[]>;
  doParse(rule: unknown): AstNode;
  isRecording(): boolean;
  stack: Array<{ $type: string | symbol; [key: string]: unknown }>;
  converter: { convert(value: string, cstNode: unknown): unknown };
  operatorPrecedence: Map<string, unknown>;
  construct(): unknown;
  constructInfix(node: unknown, precedence: unknown): unknown;
  assign(operator: string, feature: string, value: unknown, cstNode: unknown, isCrossRef: boolean): void;
  assignWithoutOverride(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown>;
}

/** Chevrotain's `subrule` as Langium's wrapper calls it (protected in its types). */
interface ChevrotainSubrule {
  subrule(idx: number, rule: unknown, options: { ARGS: unknown[] }): unknown;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Sets `$container`, `$containerProperty` and `$containerIndex` of every AST node under `node`, as Langium's
 * `linkContentToContainer(node, { deep: true })` does (same properties, same order), without allocating per property.
 */
function linkContents(node: AstNode): void {
  const record = node as unknown as Record<string, unknown>;
  for (const name in record) {
    if (name.charCodeAt(0) === 36 /* $ */) continue;
    const value = record[name];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (!isAstNode(item)) continue;
        const child = item as Mutable<AstNode>;
        child.$container = node;
        child.$containerProperty = name;
        child.$containerIndex = i;
        linkContents(child);
      }
    } else if (isAstNode(value)) {
      const child = value as Mutable<AstNode>;
      child.$container = node;
      child.$containerProperty = name;
      linkContents(child);
    }
  }
}

/**
 * Langium 4.2's `LangiumParser.construct` (a rule's AST node is finished: its CST node closed, a data type rule's
 * value converted), with the type's default values from {@link MandatoryDefaults}. Nothing happens while recording.
 */
function construct(parser: LangiumParserInternals, defaults: MandatoryDefaults): unknown {
  if (parser.isRecording()) return undefined;
  const obj = parser.stack.pop()!;
  parser.nodeBuilder.construct(obj);
  if ('$infixName' in obj) return parser.constructInfix(obj, parser.operatorPrecedence.get(obj.$infixName as string));
  if (isDataTypeNode(obj)) return parser.converter.convert(obj.value, obj.$cstNode);
  defaults.assign(obj as AstNode);
  return obj;
}

/**
 * Langium 4.2's `LangiumParser.assignWithoutOverride` (a pass-through rule's result takes the properties it lacks from
 * the node under construction; arrays are joined), walking the keys in place instead of `Object.entries`.
 */
function assignWithoutOverride(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const name in source) {
    const existingValue = source[name];
    const newValue = target[name];
    if (newValue === undefined) {
      target[name] = existingValue;
    } else if (Array.isArray(newValue) && Array.isArray(existingValue)) {
      existingValue.push(...(newValue as unknown[]));
      target[name] = existingValue;
    }
  }
  // as Langium: the target's CST node is replaced by the node builder; no stale AST node stays referenced from it
  const targetCstNode = target.$cstNode as { astNode?: unknown } | undefined;
  if (targetCstNode) {
    targetCstNode.astNode = undefined;
    target.$cstNode = undefined;
  }
  return target;
}

/** Langium's `createLangiumParser`, making a {@link BatonParser} with its rules built by {@link buildBatonParser}. */
export function createBatonParser(services: LangiumCoreServices): LangiumParser {
  const parser = new BatonParser(services);
  const subruleIndex = new Map<GrammarAST.AbstractElement, number>();
  buildBatonParser(services.Grammar, parser, services.parser.Lexer.definition, subruleIndex);
  parser.finalize();
  parser.shortcut = ExpressionShortcut.create(services.Grammar, services.parser.Lexer.definition, subruleIndex, (name) => parser.getRule(name));
  return parser;
}

/**
 * Langium's completion parser, built on its first `parse` (the first completion request) instead of with the services:
 * building it (Chevrotain's grammar recording and lookahead analysis, a second time after the main parser) cost the
 * language server ~140 ms of CPU at start, before the first diagnostics. Langium's completion provider only calls
 * `parse`; the parser built is Langium's own (`createCompletionParser`), so completion is unchanged.
 */
export function createLazyCompletionParser(services: LangiumCoreServices): LangiumCompletionParser {
  let parser: LangiumCompletionParser | undefined;
  const lazy = {
    parse(input: string): CompletionParserResult {
      parser ??= createCompletionParser(services);
      return parser.parse(input);
    },
  };
  return lazy as LangiumCompletionParser;
}
