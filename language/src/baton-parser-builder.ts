import type { IOrAlt, TokenType, TokenTypeDictionary } from 'chevrotain';
import { EOF } from 'chevrotain';
import type { BaseParser } from 'langium';
import { GrammarAST, GrammarUtils } from 'langium';

/**
 * The parse method of one grammar element. Baton's rules take no parameters (the builder refuses a grammar whose
 * rules do), so the methods take no arguments and every rule call passes the same empty arguments object.
 */
type ElementMethod = () => void;

/** The rule result Langium's `BaseParser.subrule` takes (what `BaseParser.rule`/`getRule` return). */
type RuleResult = Parameters<BaseParser['subrule']>[1];

/** Per rule: the next occurrence index of each kind of Chevrotain production, as Langium's builder numbers them. */
interface BuildContext {
  parser: BaseParser;
  subruleIndex: Map<GrammarAST.AbstractElement, number>;
  tokens: TokenTypeDictionary;
  consume: number;
  optional: number;
  subrule: number;
  many: number;
  or: number;
}

/** The arguments every rule call passes (Langium makes a new `{}` per call; nothing reads or changes it). */
export const NO_ARGS: Record<string, boolean> = Object.freeze({}) as Record<string, boolean>;

/**
 * Builds the parser's rules from the grammar, as Langium 4.2's `createParser` (parser-builder-base.ts) does — the same
 * Chevrotain productions, in the same order, with the same occurrence indices and the same calls on the parser — but
 * without allocating per production a parse takes: Langium's builder makes, each time an alternative is chosen, a new
 * array with one object and one or two closures per alternative (43 % of all the bytes a cold check of a 5,000-step
 * flow allocated: 354 of 827 MB), and per `*`/`+`/`?` and per rule call a new options object and closure. Here each
 * production's objects are made once, when the parser is built.
 *
 * Covers what Baton's grammar uses: keywords, assignments, actions, cross-references, rule calls (parser, data type,
 * fragment and terminal rules), alternatives, groups, end of file and the cardinalities. Throws `Error` (when the
 * language services are created, never while parsing) for what it does not: infix rules, unordered groups, rule
 * parameters, guard conditions and rule call arguments — use Langium's `createParser` for such a grammar.
 *
 * @param subruleIndex filled with the occurrence index given to each call of a parser rule (by its rule call element)
 * @returns the parser, its rules defined (call `finalize()` next, as after Langium's `createParser`).
 */
export function buildBatonParser<T extends BaseParser>(
  grammar: GrammarAST.Grammar,
  parser: T,
  tokens: TokenTypeDictionary,
  subruleIndex: Map<GrammarAST.AbstractElement, number> = new Map(),
): T {
  const reachable = GrammarUtils.getAllReachableRules(grammar, false);
  for (const rule of grammar.rules) {
    if (!reachable.has(rule)) continue;
    if (GrammarAST.isInfixRule(rule)) throw new Error(`The Baton parser builder does not support infix rules (${rule.name})`);
    if (!GrammarAST.isParserRule(rule)) continue;
    if (rule.parameters.length > 0) throw new Error(`The Baton parser builder does not support rule parameters (${rule.name})`);
    const ctx: BuildContext = { parser, subruleIndex, tokens, consume: 1, optional: 1, subrule: 1, many: 1, or: 1 };
    const method = buildElement(ctx, rule.definition);
    parser.rule(rule, method);
  }
  return parser;
}

function buildElement(ctx: BuildContext, element: GrammarAST.AbstractElement): ElementMethod {
  let method: ElementMethod;
  if (GrammarAST.isKeyword(element)) method = buildKeyword(ctx, element);
  else if (GrammarAST.isAction(element)) method = buildAction(ctx, element);
  else if (GrammarAST.isAssignment(element)) method = buildElement(ctx, element.terminal);
  else if (GrammarAST.isCrossReference(element)) method = buildCrossReference(ctx, element, element.terminal);
  else if (GrammarAST.isRuleCall(element)) method = buildRuleCall(ctx, element);
  else if (GrammarAST.isAlternatives(element)) method = buildAlternatives(ctx, element);
  else if (GrammarAST.isUnorderedGroup(element)) throw new Error('The Baton parser builder does not support unordered groups');
  else if (GrammarAST.isGroup(element)) method = buildGroup(ctx, element);
  else if (GrammarAST.isEndOfFile(element)) {
    const idx = ctx.consume++;
    const parser = ctx.parser;
    method = () => parser.consume(idx, EOF, element);
  } else throw new Error(`The Baton parser builder does not support the grammar element ${element.$type}`);
  return wrap(ctx, method, element.cardinality);
}

function buildAction(ctx: BuildContext, action: GrammarAST.Action): ElementMethod {
  const type = GrammarUtils.getTypeName(action);
  const parser = ctx.parser;
  return () => parser.action(type, action);
}

function buildRuleCall(ctx: BuildContext, ruleCall: GrammarAST.RuleCall): ElementMethod {
  const rule = ruleCall.rule.ref;
  if (ruleCall.arguments.length > 0) throw new Error(`The Baton parser builder does not support rule call arguments (${ruleCall.rule.$refText})`);
  if (GrammarAST.isAbstractParserRule(rule)) {
    const idx = ctx.subrule++;
    ctx.subruleIndex.set(ruleCall, idx);
    const fragment = GrammarAST.isParserRule(rule) && rule.fragment;
    const parser = ctx.parser;
    let subrule: RuleResult | undefined;
    return () => parser.subrule(idx, (subrule ??= getRule(ctx, rule.name)), fragment, ruleCall, NO_ARGS);
  }
  if (GrammarAST.isTerminalRule(rule)) {
    const idx = ctx.consume++;
    const token = getToken(ctx, rule.name);
    const parser = ctx.parser;
    return () => parser.consume(idx, token, ruleCall);
  }
  throw new Error(`Undefined rule: ${ruleCall.rule.$refText}`);
}

function buildAlternatives(ctx: BuildContext, alternatives: GrammarAST.Alternatives): ElementMethod {
  if (alternatives.elements.length === 1) return buildElement(ctx, alternatives.elements[0]);
  const alts: Array<IOrAlt<void>> = alternatives.elements.map((element) => {
    if (GrammarAST.isGroup(element) && element.guardCondition) throw new Error('The Baton parser builder does not support guard conditions');
    return { ALT: buildElement(ctx, element) };
  });
  const idx = ctx.or++;
  const parser = ctx.parser;
  return () => parser.alternatives(idx, alts);
}

function buildGroup(ctx: BuildContext, group: GrammarAST.Group): ElementMethod {
  if (group.guardCondition) throw new Error('The Baton parser builder does not support guard conditions');
  const methods = group.elements.map((element) => buildElement(ctx, element));
  const count = methods.length;
  return () => {
    for (let i = 0; i < count; i++) methods[i]();
  };
}

function buildCrossReference(ctx: BuildContext, crossRef: GrammarAST.CrossReference, terminal: GrammarAST.AbstractElement | undefined): ElementMethod {
  const parser = ctx.parser;
  if (!terminal) {
    if (!crossRef.type.ref) throw new Error(`Could not resolve reference to type: ${crossRef.type.$refText}`);
    const assignment = GrammarUtils.findNameAssignment(crossRef.type.ref);
    if (!assignment?.terminal) throw new Error(`Could not find name assignment for type: ${GrammarUtils.getTypeName(crossRef.type.ref)}`);
    return buildCrossReference(ctx, crossRef, assignment.terminal);
  }
  if (GrammarAST.isRuleCall(terminal) && GrammarAST.isParserRule(terminal.rule.ref)) {
    // a data type rule
    const idx = ctx.subrule++;
    const name = terminal.rule.ref.name;
    let subrule: RuleResult | undefined;
    return () => parser.subrule(idx, (subrule ??= getRule(ctx, name)), false, crossRef, NO_ARGS);
  }
  if (GrammarAST.isRuleCall(terminal) && GrammarAST.isTerminalRule(terminal.rule.ref)) {
    const idx = ctx.consume++;
    const token = getToken(ctx, terminal.rule.ref.name);
    return () => parser.consume(idx, token, crossRef);
  }
  if (GrammarAST.isKeyword(terminal)) {
    const idx = ctx.consume++;
    const token = getToken(ctx, terminal.value);
    return () => parser.consume(idx, token, crossRef);
  }
  throw new Error('Could not build cross reference parser');
}

function buildKeyword(ctx: BuildContext, keyword: GrammarAST.Keyword): ElementMethod {
  const idx = ctx.consume++;
  const token = ctx.tokens[keyword.value];
  if (!token) throw new Error(`Could not find token for keyword: ${keyword.value}`);
  const parser = ctx.parser;
  return () => parser.consume(idx, token, keyword);
}

/** The element's cardinality as Chevrotain's MANY / AT_LEAST_ONE / OPTION, its options object made once. */
function wrap(ctx: BuildContext, method: ElementMethod, cardinality: GrammarAST.AbstractElement['cardinality']): ElementMethod {
  const parser = ctx.parser;
  if (!cardinality) return method;
  const options = { DEF: method };
  if (cardinality === '*') {
    const idx = ctx.many++;
    return () => parser.many(idx, options);
  }
  if (cardinality === '+') {
    const idx = ctx.many++;
    return () => parser.atLeastOne(idx, options);
  }
  const idx = ctx.optional++;
  return () => parser.optional(idx, options);
}

function getRule(ctx: BuildContext, name: string): RuleResult {
  const rule = ctx.parser.getRule(name);
  if (!rule) throw new Error(`Rule "${name}" not found."`);
  return rule;
}

function getToken(ctx: BuildContext, name: string): TokenType {
  const token = ctx.tokens[name];
  if (!token) throw new Error(`Token "${name}" not found."`);
  return token;
}
