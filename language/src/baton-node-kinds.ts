import type { AstNode } from 'langium';
import { byNodeType, type NodeKind } from './baton-ast-walk.js';
import * as ast from './generated/ast.js';

/**
 * The kinds of node the whole-flow checks look for, indexed by the shared node list (`nodesOfKind` in
 * baton-ast-walk.ts): one object per kind, so that every check asking for it reads one index.
 */

/** Steps (`step s: …`, `step s: run …`). */
export const STEPS: NodeKind = { test: byNodeType(ast.isStep) };

/** `set` statements (of a `var` or a flow output). */
export const SETS: NodeKind = { test: byNodeType(ast.isSetStatement) };

/** `cancel` and `complete` statements. */
export const CANCELS: NodeKind = { test: byNodeType((n: AstNode) => ast.isCancelStatement(n) || ast.isCompleteStatement(n)) };

/** Steps, approvals, event waits, regions, `let` values, `var`s and loop variables: the names of a flow. */
export const NAMED_STATEMENTS: NodeKind = {
  test: byNodeType((n) => ast.isStep(n) || ast.isApprovalStatement(n) || ast.isLetStatement(n) || ast.isVarStatement(n) || ast.isLoopVariable(n) || ast.isWaitStatement(n) || ast.isRegionStatement(n)),
};

/** `signal` statements and `wait`s (of any kind). */
export const SIGNALS_AND_WAITS: NodeKind = { test: byNodeType((n: AstNode) => ast.isSignalStatement(n) || ast.isWaitStatement(n)) };

/** Names read in expressions (`NameRef`). */
export const NAME_REFS: NodeKind = { test: byNodeType(ast.isNameRef) };
