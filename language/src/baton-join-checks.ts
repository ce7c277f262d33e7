import type { ValidationAcceptor } from 'langium';
import { MAX_RANGE, describeType } from '@baton/protocol';
import { IssueCodes } from './baton-issue-codes.js';
import { BatonTypeSystem, broadKind } from './baton-type-system.js';
import * as ast from './generated/ast.js';

/**
 * Checks of the constructs that split and join work (docs/language.md, "Parallel branches and joins"):
 * `range(n)` / `range(from, to)` arguments. Every diagnostic has a code from `IssueCodes` and the range of
 * the part that is wrong.
 */
export class BatonJoinChecks {
  /**
   * `range()` takes whole numbers: an argument that is not a number is `type-mismatch`; a literal that is not
   * whole, or a literal count above {@link MAX_RANGE} (`range(20000)`, `range(0, 20000)`), is `out-of-range`.
   */
  checkRangeCall = (call: ast.FunctionCall, accept: ValidationAcceptor): void => {
    if (call.function !== 'range' || call.args.length === 0 || call.args.length > 2) return;
    const types = new BatonTypeSystem();
    for (const arg of call.args) {
      const type = types.typeOf(arg);
      const kind = broadKind(type);
      if (kind && kind !== 'number') {
        accept('error', `range() counts with numbers, but this is ${describeType(type)}`, { node: arg, code: IssueCodes.TypeMismatch });
        return;
      }
      const n = literalNumber(arg);
      if (n !== undefined && !Number.isInteger(n)) {
        accept('error', `range() counts in whole numbers, not ${n}`, { node: arg, code: IssueCodes.OutOfRange });
        return;
      }
    }
    const [a, b] = call.args.map(literalNumber);
    const count = call.args.length === 1 ? a : a !== undefined && b !== undefined ? b - a : undefined;
    if (count !== undefined && count > MAX_RANGE) {
      accept('error', `range() gives at most ${MAX_RANGE.toLocaleString('en')} numbers, not ${count}`, { node: call, code: IssueCodes.OutOfRange });
    }
  };
}

/** The value of a number literal (`3`, `-3`), else undefined. */
export function literalNumber(e: ast.Expression | undefined): number | undefined {
  if (ast.isNumberLiteral(e)) return e.value;
  if (ast.isUnaryExpression(e) && e.op === '-' && ast.isNumberLiteral(e.operand)) return -e.operand.value;
  return undefined;
}
