import { AstUtils, type LangiumDocument, type LangiumDocuments, type ValidationAcceptor } from 'langium';
import { MAX_RANGE, describeType } from '@baton/protocol';
import { visibleDocuments } from './baton-imports.js';
import { IssueCodes } from './baton-issue-codes.js';
import type { BatonServices } from './baton-module.js';
import { BatonTypeSystem, broadKind } from './baton-type-system.js';
import * as ast from './generated/ast.js';

/**
 * Checks of the constructs that split and join work (docs/language.md, `parallel` and `foreach`): partial joins
 * (`first N`, `where`) and `range(n)` / `range(from, to)` arguments. Every diagnostic has a code from `IssueCodes` and the range of
 * the part that is wrong; and `estimate("Flow")`'s flow name.
 */
export class BatonJoinChecks {
  private readonly documents: LangiumDocuments;

  constructor(services: BatonServices) {
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  /**
   * A partial join's `first N`: a whole number, at least 1 (0 only with `keep`: go on at once, WCP-12), at most the
   * number of branches of the `parallel` or of items of a literal list / `range(k)` the `foreach` goes over
   * (`out-of-range`, on the number); `where` only on a `foreach` (`join-where-needs-foreach`, on `where`).
   */
  checkJoin = (node: ast.ParallelStatement | ast.ForeachStatement, accept: ValidationAcceptor): void => {
    const join = node.join;
    if (!join?.isFirst) return;
    if (join.where && ast.isParallelStatement(node)) {
      accept('error', '`where` picks the iterations of a `foreach` that count; on a `parallel`, write `until <condition>` instead', { node: join, keyword: 'where', code: IssueCodes.JoinWhereNeedsForeach });
    }
    const n = join.count?.value;
    if (n === undefined) return;
    if (ast.isForeachStatement(node) && node.source) return; // an event loop: see BatonEventChecks.checkEventLoop
    const of = ast.isParallelStatement(node) ? node.branches.length : literalLength(node.items);
    const what = ast.isParallelStatement(node) ? `the ${of} branch${of === 1 ? '' : 'es'} of this \`parallel\`` : `the ${of} item${of === 1 ? '' : 's'} of this list`;
    if (!Number.isInteger(n) || n < 0 || (n === 0 && !join.keep)) {
      accept('error', `first needs a whole number from 1${of !== undefined ? ` to ${of}` : ''} (0 only with \`keep\`), not ${n}`, { node: join.count!, code: IssueCodes.OutOfRange });
    } else if (of !== undefined && n > of) {
      accept('error', `first ${n} can never be reached: it waits for more than ${what}`, { node: join.count!, code: IssueCodes.OutOfRange });
    }
  };

  /**
   * `estimate()` names a flow by a text literal (`estimate("Template")`): anything else is `type-mismatch`; a name
   * no flow of the file or of the files it imports (transitively, as the scope provider sees them) has is `unknown-flow`.
   */
  checkEstimateCall = (call: ast.FunctionCall, accept: ValidationAcceptor): void => {
    if (call.function !== 'estimate' || call.args.length !== 1) return;
    const arg = call.args[0];
    if (!ast.isStringLiteral(arg)) {
      accept('error', 'estimate() takes the name of a flow as a text literal: estimate("Template")', { node: arg, code: IssueCodes.TypeMismatch });
      return;
    }
    const flows = estimableFlows(AstUtils.getDocument(call), this.documents);
    if (!flows.includes(arg.value)) {
      accept('error', `estimate(): no flow named "${arg.value}" in this file or its imports${flows.length ? `; the flows are ${flows.join(', ')}` : ''}`, { node: arg, code: IssueCodes.UnknownFlow });
    }
  };

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

/** The number of items of a literal list or of `range(k)` / `range(a, b)` with literal arguments; else undefined. */
function literalLength(e: ast.Expression | undefined): number | undefined {
  if (ast.isListLiteral(e)) return e.items.length;
  if (ast.isFunctionCall(e) && e.function === 'range') {
    const [a, b] = e.args.map(literalNumber);
    if (e.args.length === 1 && a !== undefined) return Math.max(0, a);
    if (e.args.length === 2 && a !== undefined && b !== undefined) return Math.max(0, b - a);
  }
  return undefined;
}

/** The value of a number literal (`3`, `-3`), else undefined. */
export function literalNumber(e: ast.Expression | undefined): number | undefined {
  if (ast.isNumberLiteral(e)) return e.value;
  if (ast.isUnaryExpression(e) && e.op === '-' && ast.isNumberLiteral(e.operand)) return -e.operand.value;
  return undefined;
}

/** The names `estimate("…")` may take in `document`: its flows, then those of the files it imports (transitively), each once. */
export function estimableFlows(document: LangiumDocument, documents: LangiumDocuments): string[] {
  const names = new Set<string>();
  for (const d of visibleDocuments(document, documents)) {
    for (const element of (d.parseResult.value as ast.Document).elements ?? []) if (ast.isFlowDecl(element) && element.name) names.add(element.name);
  }
  return [...names];
}
