import type { IToken, TokenType, TokenTypeDictionary } from 'chevrotain';
import type { Grammar } from 'langium';
import { GrammarAST } from 'langium';

/**
 * A rule call the shortcut makes instead of the chain of precedence levels: the call element (its `grammarSource` in
 * the CST), its occurrence index in its rule (as the parser builder numbered it), the rule's parser method, and how
 * many rules the chain would have entered on the way down to it (they count toward the parser's rule depth all the same).
 */
export interface ShortcutCall {
  readonly ruleCall: GrammarAST.RuleCall;
  readonly idx: number;
  readonly rule: unknown;
  readonly skipped: number;
}

/** Where an operand the shortcut read ends: the index of the token after it, and how many `.name` it holds. */
export interface SimpleOperand {
  end: number;
  members: number;
  prefixed: boolean;
}

/** The longest operand (in tokens) the scan looks at; a longer one takes the grammar's path. */
const MAX_OPERAND_TOKENS = 64;

/** The most prefix operators (`!`, `-`) one operand may start with in the shortcut. */
const MAX_PREFIXES = 4;

/** The deepest template strings may nest in an operand the shortcut takes (`"${"${x}"}"` is 2). */
const MAX_TEMPLATE_DEPTH = 3;

/**
 * The rule depth the parser must be below, by this much, to take the shortcut: the skipped rules and the deepest an
 * operand within the limits above goes (per template level ~13 rules, plus prefixes), so that the parser's depth guard
 * can never fire inside an operand taken this way.
 */
export const SHORTCUT_DEPTH_MARGIN = 64;

/**
 * The expression shortcut (issue 15). An expression passes through ten grammar rules before it reaches its operand —
 * `Expression` → `ConditionalExpr` → `NullishExpr` → `OrExpr` → … → `MultiplicativeExpr` → `UnaryExpr` → `PostfixExpr`,
 * one per precedence level — and most expressions (`input.topic`, `s3.output.text`, `"…${x}…"`, `42`) have no
 * operator at any of them: each level enters a rule, makes a node and a CST composite, finds no operator, and passes
 * the operand up, where the CST builder drops the level again (baton-cst-builder.ts, `collapsePassThrough`). Here,
 * when the tokens after `Expression` form a *simple operand* followed by nothing any skipped level reads, the parser
 * calls `PostfixExpr` (or `UnaryExpr`, for an operand with prefix operators) straight from `Expression`: the same
 * AST, the same CST once the levels are dropped, the same rule depth (the skipped rules are counted), and the same
 * lookahead decisions (the rules it enters are the grammar's own). A simple operand cannot hold a syntax error, so
 * error recovery — which reads the chain of rules being parsed — never runs inside it.
 *
 * A simple operand: up to {@link MAX_PREFIXES} of `UnaryExpr`'s prefix operators, then a number, duration, string,
 * `true`, `false`, `null`, `status`, `input.<ValueName>`, `output.<ValueName>`, a `RefName` not followed by `(`, or a
 * template string whose every `${…}` holds a simple operand alone; then any number of `.<Name>`. The token after it
 * must be none of the skipped levels' operators (nor `?`), `.`, `[` or `(`. The token sets are read from the grammar
 * (the data type rules `RefName`, `ValueName`, `Name`, the operators of each level); {@link ExpressionShortcut.create}
 * returns undefined when the grammar's expression rules do not have the shape this relies on.
 */
export class ExpressionShortcut {
  private constructor(
    /** The call of `ConditionalExpr` in `Expression`: the call the shortcut replaces. */
    readonly from: GrammarAST.RuleCall,
    /** `PostfixExpr` as `UnaryExpr` calls it (an operand without prefix operators). */
    readonly toPostfix: ShortcutCall,
    /** `UnaryExpr` as `MultiplicativeExpr` calls it (an operand with prefix operators). */
    readonly toUnary: ShortcutCall,
    private readonly sets: TokenSets,
  ) {}

  /**
   * Works out the shortcut for `grammar`, or undefined when its expression rules are not the chain described above.
   * @param subruleIndex the occurrence index the parser builder gave each rule call (baton-parser-builder.ts)
   * @param ruleOf the parser's method of a rule, by name (the parser's `getRule`)
   */
  static create(
    grammar: Grammar,
    tokens: TokenTypeDictionary,
    subruleIndex: ReadonlyMap<GrammarAST.AbstractElement, number>,
    ruleOf: (name: string) => unknown,
  ): ExpressionShortcut | undefined {
    const rules = new Map(grammar.rules.map((rule) => [rule.name, rule]));
    const parserRule = (name: string): GrammarAST.ParserRule | undefined => {
      const rule = rules.get(name);
      return GrammarAST.isParserRule(rule) ? rule : undefined;
    };
    const expression = parserRule('Expression');
    const from = expression?.definition;
    if (!GrammarAST.isRuleCall(from) || from.cardinality || !GrammarAST.isParserRule(from.rule.ref)) return undefined;
    // the levels: each a group of an unassigned call of the next level, then optional/repeated parts that start with
    // an action and an operator keyword (their first tokens stop the shortcut)
    const stop = new Set<TokenType>();
    let level: GrammarAST.ParserRule = from.rule.ref;
    let skipped = 0;
    let lastCall: GrammarAST.RuleCall | undefined;
    while (level.name !== 'UnaryExpr') {
      const group = level.definition;
      if (!GrammarAST.isGroup(group) || group.cardinality) return undefined;
      const [first, ...rest] = group.elements;
      if (!GrammarAST.isRuleCall(first) || first.cardinality || !GrammarAST.isParserRule(first.rule.ref)) return undefined;
      for (const part of rest) {
        if (!part.cardinality || !GrammarAST.isGroup(part) || !GrammarAST.isAction(part.elements[0])) return undefined;
        const operator = part.elements[1];
        const keywords = GrammarAST.isAssignment(operator) ? keywordsOf(operator.terminal) : GrammarAST.isKeyword(operator) ? [operator.value] : undefined;
        if (!keywords) return undefined;
        for (const keyword of keywords) stop.add(tokens[keyword]);
      }
      skipped++;
      lastCall = first;
      level = first.rule.ref;
      if (skipped > 20) return undefined;
    }
    const unary = level.definition;
    if (!lastCall || !GrammarAST.isAlternatives(unary) || unary.elements.length !== 2) return undefined;
    const [prefixed, postfixCall] = unary.elements;
    if (!GrammarAST.isGroup(prefixed) || !GrammarAST.isRuleCall(postfixCall) || postfixCall.rule.ref?.name !== 'PostfixExpr') return undefined;
    const prefixOperator = prefixed.elements[1];
    const prefixes = GrammarAST.isAssignment(prefixOperator) ? keywordsOf(prefixOperator.terminal) : undefined;
    const unaryIdx = subruleIndex.get(lastCall);
    const postfixIdx = subruleIndex.get(postfixCall);
    const unaryRule = ruleOf('UnaryExpr');
    const postfixRule = ruleOf('PostfixExpr');
    if (!prefixes || unaryIdx === undefined || postfixIdx === undefined || !unaryRule || !postfixRule) return undefined;
    const dataType = (name: string): Set<TokenType> | undefined => {
      const rule = parserRule(name);
      const names = rule && tokenNamesOf(rule.definition, new Set([rule]));
      return names && tokenSet(tokens, names);
    };
    const refName = dataType('RefName');
    const valueName = dataType('ValueName');
    const name = dataType('Name');
    const named = (...names: string[]): Array<TokenType | undefined> => names.map((n) => tokens[n]);
    const [dot, lbracket, lparen, question, input, output] = named('.', '[', '(', '?', 'input', 'output');
    const [head, middle, tail, tripleHead, tripleMiddle, tripleTail] = named('TEMPLATE_HEAD', 'TEMPLATE_MIDDLE', 'TEMPLATE_TAIL', 'TRIPLE_TEMPLATE_HEAD', 'TRIPLE_TEMPLATE_MIDDLE', 'TRIPLE_TEMPLATE_TAIL');
    const literals = tokenSet(tokens, ['NUMBER', 'DURATION', 'STRING', 'TRIPLE_STRING', 'true', 'false', 'null', 'status']);
    const required = [refName, valueName, name, dot, lbracket, lparen, question, input, output, head, middle, tail, tripleHead, tripleMiddle, tripleTail, literals];
    if (required.some((part) => part === undefined)) return undefined;
    for (const token of [question, dot, lbracket, lparen]) stop.add(token!);
    const sets: TokenSets = {
      prefixes: tokenSet(tokens, prefixes)!,
      literals: literals!,
      refName: refName!,
      valueName: valueName!,
      name: name!,
      stop,
      dot: dot!,
      lparen: lparen!,
      input: input!,
      output: output!,
      templates: new Map([
        [head!, { middle: middle!, tail: tail! }],
        [tripleHead!, { middle: tripleMiddle!, tail: tripleTail! }],
      ]),
    };
    return new ExpressionShortcut(
      from,
      { ruleCall: postfixCall, idx: postfixIdx, rule: postfixRule, skipped: skipped + 1 },
      { ruleCall: lastCall, idx: unaryIdx, rule: unaryRule, skipped },
      sets,
    );
  }

  /**
   * The simple operand starting at token `start` and the end of the expression after it, or undefined when the tokens
   * there are not one (then the grammar's path is taken).
   * @param tooDeep per token index, ≥ 0 where the parser's nesting guard would raise an error (BatonParser's scan)
   */
  scan(tokens: readonly IToken[], start: number, tooDeep: Int32Array): SimpleOperand | undefined {
    const operand = this.operand(tokens, start, tooDeep, start + MAX_OPERAND_TOKENS, 0);
    if (!operand) return undefined;
    const next = tokens[operand.end];
    return next !== undefined && this.sets.stop.has(next.tokenType) ? undefined : operand;
  }

  /** A simple operand from `i` (not checking what follows it), within `limit`. */
  private operand(tokens: readonly IToken[], i: number, tooDeep: Int32Array, limit: number, depth: number): SimpleOperand | undefined {
    const sets = this.sets;
    let k = i;
    let members = 0;
    while (k < tokens.length && sets.prefixes.has(tokens[k].tokenType)) {
      if (k - i >= MAX_PREFIXES) return undefined;
      k++;
    }
    const prefixed = k > i;
    const first = tokens[k];
    if (first === undefined || k >= limit) return undefined;
    const type = first.tokenType;
    const template = sets.templates.get(type);
    if (sets.literals.has(type)) k++;
    else if (type === sets.input || type === sets.output) {
      const member = tokens[k + 2];
      if (tokens[k + 1]?.tokenType !== sets.dot || member === undefined || !sets.valueName.has(member.tokenType)) return undefined;
      k += 3;
    } else if (template) {
      if (depth >= MAX_TEMPLATE_DEPTH) return undefined;
      k++;
      for (;;) {
        const inner = this.operand(tokens, k, tooDeep, limit, depth + 1);
        if (!inner) return undefined;
        members += inner.members;
        k = inner.end;
        const piece = tokens[k];
        if (piece === undefined || k >= limit) return undefined;
        k++;
        if (piece.tokenType === template.tail) break;
        if (piece.tokenType !== template.middle) return undefined;
      }
    } else if (sets.refName.has(type)) {
      if (tokens[k + 1]?.tokenType === sets.lparen) return undefined;
      k++;
    } else return undefined;
    while (tokens[k]?.tokenType === sets.dot) {
      const member = tokens[k + 1];
      if (member === undefined || !sets.name.has(member.tokenType)) return undefined;
      k += 2;
      members++;
    }
    // no token of it where the parser's nesting guard would raise an error
    for (let j = i; j < k; j++) if (tooDeep[j] >= 0) return undefined;
    return k > limit ? undefined : { end: k, members, prefixed };
  }
}

/** The token types the shortcut reads, by role. */
interface TokenSets {
  prefixes: Set<TokenType>;
  literals: Set<TokenType>;
  refName: Set<TokenType>;
  valueName: Set<TokenType>;
  name: Set<TokenType>;
  /** What may not follow an operand: the skipped levels' operators, `?`, `.`, `[`, `(`. */
  stop: Set<TokenType>;
  dot: TokenType;
  lparen: TokenType;
  input: TokenType;
  output: TokenType;
  /** Per template head: the middle and tail tokens of its kind. */
  templates: Map<TokenType, { middle: TokenType; tail: TokenType }>;
}

/** The keywords of an operator element: a keyword, or alternatives of keywords; undefined for anything else. */
function keywordsOf(element: GrammarAST.AbstractElement): string[] | undefined {
  if (GrammarAST.isKeyword(element)) return [element.value];
  if (!GrammarAST.isAlternatives(element)) return undefined;
  const values: string[] = [];
  for (const alternative of element.elements) {
    if (!GrammarAST.isKeyword(alternative)) return undefined;
    values.push(alternative.value);
  }
  return values;
}

/**
 * The token names a data type rule's definition matches one of (keywords, terminal rules, other data type rules of one
 * token), or undefined when it is not a choice of single tokens.
 */
function tokenNamesOf(element: GrammarAST.AbstractElement, seen: Set<GrammarAST.AbstractRule>): string[] | undefined {
  if (element.cardinality) return undefined;
  if (GrammarAST.isKeyword(element)) return [element.value];
  if (GrammarAST.isRuleCall(element)) {
    const rule = element.rule.ref;
    if (GrammarAST.isTerminalRule(rule)) return [rule.name];
    if (!GrammarAST.isParserRule(rule) || seen.has(rule)) return undefined;
    seen.add(rule);
    return tokenNamesOf(rule.definition, seen);
  }
  if (!GrammarAST.isAlternatives(element)) return undefined;
  const names: string[] = [];
  for (const alternative of element.elements) {
    const inner = tokenNamesOf(alternative, seen);
    if (!inner) return undefined;
    names.push(...inner);
  }
  return names;
}

/** The token types of `names`, or undefined when one is not a token of the lexer. */
function tokenSet(tokens: TokenTypeDictionary, names: readonly string[]): Set<TokenType> | undefined {
  const set = new Set<TokenType>();
  for (const name of names) {
    const token = tokens[name];
    if (!token) return undefined;
    set.add(token);
  }
  return set;
}
