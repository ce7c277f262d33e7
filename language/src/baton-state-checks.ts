// Checks of a flow's state: `var` declarations, `set <var> = …`, and `wait until` milestones (called by
// BatonFlowChecks.checkFlow, which also checks where a var is read and set with the rules of `let` values).
import type { AstNode, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { describeType, type TypeRef } from '@baton/protocol';
import { IssueCodes } from './baton-issue-codes.js';
import { broadKind, literalValues, varType, type BatonTypeSystem } from './baton-type-system.js';
import { nodesOfKind } from './baton-ast-walk.js';
import { SETS } from './baton-node-kinds.js';
import * as ast from './generated/ast.js';

/**
 * `set x = v` where `x` is not a `var` (`not-assignable`, on the name), or `v` of a type the var never holds
 * (`type-mismatch`, on the value).
 * @returns the var set, when it is one (for the caller's scope check).
 */
export function checkAssign(node: ast.SetStatement, types: BatonTypeSystem, accept: ValidationAcceptor): ast.VarStatement | undefined {
  const target = node.variable?.ref;
  if (!target) return undefined;
  if (!ast.isVarStatement(target)) {
    accept('error', `\`${target.name}\` is ${describeNamed(target)}, which cannot change: only a \`var\` can be set (declare \`var ${target.name} = …\`)`, { node, property: 'variable', code: IssueCodes.NotAssignable });
    return undefined;
  }
  checkFits(`var \`${target.name}\``, varType(target, types), node.value, types, accept);
  return target;
}

/** `var x = null` with no type (`var-needs-type`); an initial value that does not fit the declared type (`type-mismatch`). */
export function checkVar(node: ast.VarStatement, types: BatonTypeSystem, accept: ValidationAcceptor): void {
  if (!node.value) return;
  if (!node.type) {
    const value = types.typeOf(node.value);
    if (value.kind === 'null' || (value.kind === 'list' && value.element.kind === 'any' && ast.isListLiteral(node.value))) {
      const example = value.kind === 'null' ? `var ${node.name}: any = null` : `var ${node.name}: string[] = []`;
      if (value.kind === 'null') accept('error', `\`var ${node.name}\` starts as null, which says nothing of what it will hold: give it a type (\`${example}\`)`, { node: node.value, code: IssueCodes.VarNeedsType });
      else accept('error', `\`var ${node.name}\` starts as an empty list, which says nothing of what it will hold: give it a type (\`${example}\`)`, { node: node.value, code: IssueCodes.VarNeedsType });
    }
    return;
  }
  checkFits(`var \`${node.name}\``, varType(node, types), node.value, types, accept);
}

/** A `wait until` whose condition reads no var that any `set` changes: it holds at once or never (`wait-until-never-changes`, warning). */
export function checkWaitUntil(node: ast.WaitStatement, flow: ast.FlowDecl, accept: ValidationAcceptor): void {
  if (!node.condition) return;
  const assigned = new Set<AstNode>();
  for (const n of nodesOfKind(flow, SETS) as ast.SetStatement[]) if (n.variable?.ref) assigned.add(n.variable.ref);
  const reads = AstUtils.streamAst(node.condition).filter(ast.isNameRef).map((r) => r.ref?.ref).filter((t) => t !== undefined).toArray();
  if (reads.some((t) => assigned.has(t))) return;
  accept('warning', '`wait until` waits for a `var` another statement sets, but this condition reads none: it holds at once or never (the run would fail with DEADLOCK); read a `var` that a `set` in another branch changes', { node: node.condition, code: IssueCodes.WaitUntilNeverChanges });
}

/**
 * A var set in two branches of one `parallel` (but `parallel concurrency 1`), or inside a `foreach` body with `concurrency` above 1 around the
 * `set` but not around the var (`var-set-concurrently`): reported on each `set` after the first such one.
 */
export function checkVarsSetConcurrently(flow: ast.FlowDecl, accept: ValidationAcceptor): void {
  const branchOf = new Map<ast.VarStatement, Map<ast.ParallelStatement, number>>();
  for (const set of nodesOfKind(flow, SETS) as ast.SetStatement[]) {
    const target = set.variable?.ref;
    if (!ast.isVarStatement(target)) continue;
    const seen = branchOf.get(target) ?? new Map<ast.ParallelStatement, number>();
    branchOf.set(target, seen);
    for (let child: AstNode = set, n: AstNode | undefined = set.$container; n && n !== target.$container; child = n, n = n.$container) {
      if (isAround(n, target)) break;
      if (ast.isForeachStatement(n) && child.$containerProperty === 'body' && (n.concurrency?.value ?? (n.source ? Infinity : 1)) > 1) {
        accept('error', `\`${target.name}\` is set in a \`foreach\` with ${n.concurrency ? `concurrency ${n.concurrency.value}` : 'instances that run side by side (an event loop)'} (line ${line(n)}): its iterations run at once, so which value stays would depend on timing; collect the values as the loop's steps instead, or run the loop with concurrency 1`, { node: set, property: 'variable', code: IssueCodes.VarSetConcurrently });
        break;
      }
      // `parallel concurrency 1` runs its branches one after the other, in source order: no race
      if (ast.isParallelStatement(n) && child.$containerProperty === 'branches' && n.concurrency?.value !== 1) {
        const branch = child.$containerIndex ?? 0;
        const other = seen.get(n);
        if (other !== undefined && other !== branch) {
          accept('error', `\`${target.name}\` is also set in branch ${other + 1} of this \`parallel\` (line ${line(n)}): the branches run at once, so which value stays would depend on timing; set it in one branch, or after the \`parallel\``, { node: set, property: 'variable', code: IssueCodes.VarSetConcurrently });
          break;
        }
        seen.set(n, branch);
      }
    }
  }
}

/** `value` must fit `declared` (a var's type): its broad kind and, for string literals, its values. */
function checkFits(what: string, declared: TypeRef, value: ast.Expression | undefined, types: BatonTypeSystem, accept: ValidationAcceptor): void {
  if (!value) return;
  const given = types.typeOf(value);
  const dk = broadKind(declared);
  const vk = broadKind(given);
  if (dk && vk && dk !== vk) {
    accept('error', `${what} is ${describeType(declared)}, but this value is ${describeType(given)}`, { node: value, code: IssueCodes.TypeMismatch });
    return;
  }
  const allowed = literalValues(declared);
  const values = literalValues(given);
  if (allowed && values && values.some((v) => !allowed.includes(v))) {
    accept('error', `${what} is ${describeType(declared)}, never ${values.map((v) => JSON.stringify(v)).join(' | ')}`, { node: value, code: IssueCodes.TypeMismatch });
  }
}

/** Whether `node` contains the var's declaration (the var lives in that block: a `set` further out cannot race it). */
function isAround(node: AstNode, target: ast.VarStatement): boolean {
  for (let n: AstNode | undefined = target.$container; n; n = n.$container) if (n === node) return true;
  return false;
}

function describeNamed(target: ast.Step | ast.ApprovalStatement | ast.LetStatement | ast.LoopVariable | ast.WaitStatement | ast.RegionStatement): string {
  if (ast.isStep(target)) return 'a step';
  if (ast.isRegionStatement(target)) return 'a region';
  if (ast.isWaitStatement(target)) return 'an event wait';
  if (ast.isApprovalStatement(target)) return 'an approval';
  if (ast.isLetStatement(target)) return 'a `let` value';
  return 'a loop variable';
}

/** 1-based line where `node` starts (for messages). */
function line(node: AstNode): number {
  return (node.$cstNode?.range.start.line ?? 0) + 1;
}
