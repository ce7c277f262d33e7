import { MAX_EXPRESSION_DEPTH, type Expr } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { callFunction, type FunctionHost } from './functions.js';
import { deepEqual, getProperty, isRecord, makeRecord, toText, truthy, typeName } from './values.js';

/**
 * Where names are looked up. `lookup` returns `undefined` for a name it does not know (the evaluator
 * then reports `EXPR_UNKNOWN_NAME`); any other value, `null` included, is the name's value.
 */
export interface EvalScope extends FunctionHost {
  lookup(name: string): unknown;
}

/** The checker reports deeper expressions (`nesting-too-deep`) before a run. */
const MAX_DEPTH = MAX_EXPRESSION_DEPTH;

/**
 * Evaluates an IR expression. An interpreter over the tree: nothing is compiled to or evaluated as
 * JavaScript, and a value inserted into a template is never evaluated again.
 *
 * @throws BatonError with the expression's range: `EXPR_UNKNOWN_NAME`, `EXPR_TYPE` (an operator or
 *   function applied to the wrong kind of value), `EXPR_DIVISION_BY_ZERO`, `EXPR_UNKNOWN_FUNCTION`,
 *   `EXPR_ARITY`, `EXPR_TOO_DEEP` (nesting over 200 levels).
 */
export function evaluate(expr: Expr, scope: EvalScope, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new BatonError('EXPR_TOO_DEEP', 'expression nested too deeply', expr.range);
  try {
    return evaluateNode(expr, scope, depth + 1);
  } catch (error) {
    if (error instanceof BatonError && !error.range && expr.range) throw new BatonError(error.code, error.message, expr.range);
    throw error;
  }
}

/** Renders a template (or any expression) as text: see `toText`. */
export function renderText(expr: Expr, scope: EvalScope): string {
  return toText(evaluate(expr, scope));
}

function evaluateNode(e: Expr, scope: EvalScope, depth: number): unknown {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'template': {
      let text = '';
      for (const part of e.parts) text += part.kind === 'text' ? part.text : toText(evaluate(part.expr, scope, depth));
      return text;
    }
    case 'list':
      return e.items.map((item) => evaluate(item, scope, depth));
    case 'record':
      return makeRecord(e.fields.map((f) => [f.key, evaluate(f.value, scope, depth)]));
    case 'ref': {
      const value = scope.lookup(e.name);
      if (value === undefined) throw new BatonError('EXPR_UNKNOWN_NAME', `unknown name \`${e.name}\``);
      return value;
    }
    case 'member':
      return getProperty(evaluate(e.object, scope, depth), e.property);
    case 'index': {
      const object = evaluate(e.object, scope, depth);
      const index = evaluate(e.index, scope, depth);
      if (Array.isArray(object)) {
        if (typeof index !== 'number' || !Number.isInteger(index)) throw new BatonError('EXPR_TYPE', `a list index must be a whole number, got ${typeName(index)}`);
        const i = index < 0 ? object.length + index : index;
        return i >= 0 && i < object.length ? object[i] ?? null : null;
      }
      if (typeof index === 'string') return getProperty(object, index);
      if (object === null || object === undefined) return null;
      throw new BatonError('EXPR_TYPE', `cannot index ${typeName(object)} with ${typeName(index)}`);
    }
    case 'unary': {
      const v = evaluate(e.operand, scope, depth);
      if (e.op === '!') return !truthy(v);
      if (typeof v !== 'number') throw new BatonError('EXPR_TYPE', `unary - needs a number, got ${typeName(v)}`);
      return -v;
    }
    case 'binary':
      return binary(e, scope, depth);
    case 'conditional':
      return truthy(evaluate(e.test, scope, depth)) ? evaluate(e.then, scope, depth) : evaluate(e.else, scope, depth);
    case 'call':
      return callFunction(e.fn, e.args.map((a) => evaluate(a, scope, depth)), scope);
  }
}

function binary(e: Extract<Expr, { kind: 'binary' }>, scope: EvalScope, depth: number): unknown {
  switch (e.op) {
    case '&&': {
      const left = evaluate(e.left, scope, depth);
      return truthy(left) ? evaluate(e.right, scope, depth) : left;
    }
    case '||': {
      const left = evaluate(e.left, scope, depth);
      return truthy(left) ? left : evaluate(e.right, scope, depth);
    }
    case '??': {
      const left = evaluate(e.left, scope, depth);
      return left === null || left === undefined ? evaluate(e.right, scope, depth) : left;
    }
  }
  const a = evaluate(e.left, scope, depth);
  const b = evaluate(e.right, scope, depth);
  switch (e.op) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
        throw new BatonError('EXPR_TYPE', `cannot compare ${typeName(a)} ${e.op} ${typeName(b)}`);
      }
      return e.op === '<' ? a < b : e.op === '<=' ? a <= b : e.op === '>' ? a > b : a >= b;
    }
    case '+':
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      if (typeof a === 'string' || typeof b === 'string') return toText(a) + toText(b);
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      throw new BatonError('EXPR_TYPE', `cannot add ${typeName(a)} and ${typeName(b)}`);
    case '-':
    case '*':
    case '/':
    case '%': {
      if (typeof a !== 'number' || typeof b !== 'number') throw new BatonError('EXPR_TYPE', `${e.op} needs numbers, got ${typeName(a)} and ${typeName(b)}`);
      if ((e.op === '/' || e.op === '%') && b === 0) throw new BatonError('EXPR_DIVISION_BY_ZERO', 'division by zero');
      return e.op === '-' ? a - b : e.op === '*' ? a * b : e.op === '/' ? a / b : a % b;
    }
    case 'in':
      if (Array.isArray(b)) return b.some((x) => deepEqual(x, a));
      if (isRecord(b)) return typeof a === 'string' && getProperty(b, a) !== null && Object.prototype.hasOwnProperty.call(b, a);
      if (typeof b === 'string') return b.includes(toText(a));
      if (b === null || b === undefined) return false;
      throw new BatonError('EXPR_TYPE', `\`in\` needs a list, a record or text on the right, got ${typeName(b)}`);
  }
  throw new BatonError('EXPR_TYPE', `unknown operator ${String(e.op)}`);
}
