// Expressions as the IR builder (baton-ir-builder.ts) and the checker read them: an expression's AST as an IR
// {@link Expr} (with its source range), the JSON value of a constant expression, and an agent's stub value as
// per-call items.
import type { AstNode } from 'langium';
import { AstUtils } from 'langium';
import type { Expr, JsonValue, SourceRange, StubItem, StubSpec, TemplatePart } from '@baton/protocol';
import { MAX_EXPRESSION_DEPTH, stubToolCall, stubTurns } from '@baton/protocol';
import * as ast from '../generated/ast.js';
import { parseDuration } from '../baton-value-converter.js';

/** How deep {@link expr} is in the expression it compiles. */
let exprDepth = 0;

/**
 * Compiles an expression AST into an IR {@link Expr} (with its source range).
 * @throws Error "expression nested deeper than 200 levels (line N)" for an expression the checker
 *   reports as `nesting-too-deep` (a run could not evaluate it), instead of overflowing the stack.
 */
export function expr(node: ast.Expression): Expr {
  if (exprDepth >= MAX_EXPRESSION_DEPTH + 1) throw new Error(`expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels (line ${rangeOf(node).start.line})`);
  exprDepth++;
  try {
    return exprNode(node);
  } finally {
    exprDepth--;
  }
}

function exprNode(node: ast.Expression): Expr {
  const range = rangeOf(node);
  switch (node.$type) {
    case 'StringLiteral':
      return { kind: 'literal', value: node.value, range };
    case 'TemplateString': {
      const parts: TemplatePart[] = [];
      const text = (t: string): void => {
        if (t !== '') parts.push({ kind: 'text', text: t });
      };
      text(node.head);
      node.expressions.forEach((e, i) => {
        parts.push({ kind: 'expr', expr: expr(e) });
        text(i < node.middles.length ? node.middles[i] : node.tail);
      });
      return { kind: 'template', parts, range };
    }
    case 'NumberLiteral':
      return { kind: 'literal', value: node.value, range };
    case 'DurationLiteral':
      return { kind: 'literal', value: parseDuration(node.value) ?? 0, range };
    case 'BooleanLiteral':
      return { kind: 'literal', value: node.value, range };
    case 'NullLiteral':
      return { kind: 'literal', value: null, range };
    case 'ListLiteral':
      return { kind: 'list', items: node.items.map(expr), range };
    case 'RecordLiteral':
      return { kind: 'record', fields: node.entries.map((e) => ({ key: e.key, value: expr(e.value) })), range };
    case 'InputRef':
      return { kind: 'member', object: { kind: 'ref', name: 'input', range }, property: node.input.ref?.name ?? node.input.$refText, range };
    case 'OutputRef':
      return { kind: 'member', object: { kind: 'ref', name: 'output', range }, property: node.output.ref?.name ?? node.output.$refText, range };
    case 'RunStatusRef':
      return { kind: 'ref', name: 'status', range };
    case 'NameRef':
      return { kind: 'ref', name: node.ref.ref?.name ?? node.ref.$refText, range };
    case 'MemberAccess':
      return { kind: 'member', object: expr(node.receiver), property: node.member, range };
    case 'IndexAccess':
      return { kind: 'index', object: expr(node.receiver), index: expr(node.index), range };
    case 'UnaryExpression':
      return { kind: 'unary', op: node.op as '!' | '-', operand: expr(node.operand), range };
    case 'BinaryExpression':
      return { kind: 'binary', op: node.op as Extract<Expr, { kind: 'binary' }>['op'], left: expr(node.left), right: expr(node.right), range };
    case 'ConditionalExpression':
      return { kind: 'conditional', test: expr(node.test), then: expr(node.then), else: expr(node.else), range };
    case 'FunctionCall':
      return { kind: 'call', fn: node.function, args: node.args.map(expr), range };
  }
}

/**
 * The JSON value of a constant expression (literals, lists, records, negative numbers, templates
 * without `${…}`). Anything else becomes `null`; the checker reports non-constant values.
 */
export function constantValue(node: ast.Expression | undefined): JsonValue {
  if (!node) return null;
  switch (node.$type) {
    case 'StringLiteral':
      return node.value;
    case 'TemplateString':
      return constantText(node);
    case 'NumberLiteral':
      return node.value;
    case 'DurationLiteral':
      return parseDuration(node.value) ?? 0;
    case 'BooleanLiteral':
      return node.value;
    case 'NullLiteral':
      return null;
    case 'ListLiteral':
      return node.items.map(constantValue);
    case 'RecordLiteral': {
      const record: Record<string, JsonValue> = {};
      for (const e of node.entries) {
        if (e.key === '__proto__' || e.key === 'constructor' || e.key === 'prototype') continue;
        record[e.key] = constantValue(e.value);
      }
      return record;
    }
    case 'UnaryExpression':
      if (node.op === '-' && ast.isNumberLiteral(node.operand)) return -node.operand.value;
      return null;
    case 'FunctionCall':
      // a stub's tool-loop script: the values the runtime's call() and turns() give (protocol/tools.ts)
      if (node.function === 'call') return stubToolCall(String(constantValue(node.args[0])), node.args[1] ? constantValue(node.args[1]) : {});
      if (node.function === 'turns') return stubTurns(node.args.map(constantValue));
      return null;
    default:
      return null;
  }
}

/** Whether an expression is a constant (see {@link constantValue}). */
export function isConstant(node: ast.Expression | undefined): boolean {
  if (!node) return false;
  switch (node.$type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'DurationLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
      return true;
    case 'TemplateString':
      return node.expressions.length === 0;
    case 'ListLiteral':
      return node.items.every(isConstant);
    case 'RecordLiteral':
      return node.entries.every((e) => isConstant(e.value));
    case 'UnaryExpression':
      return node.op === '-' && ast.isNumberLiteral(node.operand);
    case 'FunctionCall':
      return isStubScript(node) && node.args.every(isConstant);
    default:
      return false;
  }
}

/** The text of a string value without `${…}` (a template's literal parts joined). */
export function constantText(node: ast.StringValue): string {
  if (node.$type === 'StringLiteral') return node.value;
  return [node.head, ...node.middles, node.tail].join('');
}

/** Whether a call is `turns(…)` or `call(…)`: a stub's tool-loop script (constant when its arguments are). */
export function isStubScript(node: ast.FunctionCall): boolean {
  return node.function === 'turns' || node.function === 'call';
}

/** Whether a call is a stub `error("…")` item. */
export function isStubError(node: ast.Expression): node is ast.FunctionCall {
  return ast.isFunctionCall(node) && node.function === 'error';
}

function stubItem(node: ast.Expression): StubItem {
  if (isStubError(node)) {
    const message = node.args[0] ? constantValue(node.args[0]) : 'stub error';
    return { kind: 'error', message: typeof message === 'string' ? message : JSON.stringify(message) };
  }
  return { kind: 'value', value: constantValue(node) };
}

/**
 * A stub value as per-call items: a top-level list is one item per call, unless the agent's output type
 * is itself a list (then the list is the single value).
 */
export function stubSpec(node: ast.Expression, outputIsList: boolean): StubSpec {
  if (ast.isListLiteral(node) && !outputIsList) return { items: node.items.length ? node.items.map(stubItem) : [{ kind: 'value', value: [] }] };
  return { items: [stubItem(node)] };
}

/** The 1-based source range of a node (`file` is its document's path). */
export function rangeOf(node: AstNode): SourceRange {
  const file = AstUtils.getDocument(node).uri.fsPath;
  const r = node.$cstNode?.range;
  if (!r) return { file, start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return { file, start: { line: r.start.line + 1, column: r.start.character + 1 }, end: { line: r.end.line + 1, column: r.end.character + 1 } };
}
