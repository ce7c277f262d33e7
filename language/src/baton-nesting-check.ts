import type { AstNode, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { MAX_EXPRESSION_DEPTH } from '@baton/protocol';
import { IssueCodes } from './baton-issue-codes.js';
import { astNodes, byNodeType, documentNodes } from './baton-ast-walk.js';
import { NESTING_ERROR_PREFIX } from './baton-parser.js';
import * as ast from './generated/ast.js';

/**
 * An expression or a type nested more than MAX_EXPRESSION_DEPTH (200) levels deep — the outermost is
 * level 0; `a + b + …` is one level per operator, `x.a.b…` one per `.`, `number[][]…` one per `[]` — is
 * reported once per outermost expression or type, on its first node that deep. A run could not
 * evaluate such an expression (`EXPR_TOO_DEEP`). One pass over the document's node list (parent before
 * children), so it works at any depth; deeper brackets the parser already refused (BatonParser).
 */
export function checkNestingDepth(doc: ast.Document, accept: ValidationAcceptor): void {
  // text the parser refused as too deep has its one error already
  if (AstUtils.getDocument(doc).parseResult.parserErrors.some((e) => e.message.startsWith(NESTING_ERROR_PREFIX))) return;
  nestingErrors(documentNodes(doc), accept);
}

/**
 * The incremental side of {@link checkNestingDepth} (BatonValidationRegistry.markReusable): its errors within one
 * statement, `statement` — the whole check's errors on that statement's nodes when no expression or type continues
 * across its edge (its container is neither), else one placeholder error (then the whole check runs).
 */
export function checkStatementNesting(statement: AstNode, accept: ValidationAcceptor): void {
  const container = statement.$container;
  if (container && (isExpressionNode(container) || isTypeExprNode(container))) {
    accept('error', 'nested in an expression', { node: statement });
    return;
  }
  if (AstUtils.getDocument(statement).parseResult.parserErrors.some((e) => e.message.startsWith(NESTING_ERROR_PREFIX))) {
    accept('error', 'refused by the parser', { node: statement });
    return;
  }
  nestingErrors(astNodes(statement), accept);
}

/** The nesting errors of `nodes`, a subtree's nodes in `streamAst` order (parent before children). */
function nestingErrors(nodes: readonly AstNode[], accept: ValidationAcceptor): void {
  const reported = new Set<AstNode>();
  // the chain of ancestors of the current node (documentNodes is in pre-order), with each one's level and outermost
  // expression or type (-1 / undefined: neither); no map entry per node (~20 ms per check of 5,000 steps)
  const chain: AstNode[] = [];
  const levels: number[] = [];
  const roots: Array<AstNode | undefined> = [];
  for (const node of nodes) {
    const container = node.$container;
    while (chain.length > 0 && chain[chain.length - 1] !== container) {
      chain.pop();
      levels.pop();
      roots.pop();
    }
    chain.push(node);
    const expression = isExpressionNode(node);
    if (!expression && !isTypeExprNode(node)) {
      levels.push(-1);
      roots.push(undefined);
      continue;
    }
    const top = chain.length - 2; // the container's entry
    const inner = container !== undefined && top >= 0 && (expression ? isExpressionNode(container) : isTypeExprNode(container));
    const depth = inner ? levels[top] + 1 : 0;
    const root = inner ? roots[top]! : node;
    levels.push(depth);
    roots.push(root);
    if (depth > MAX_EXPRESSION_DEPTH && !reported.has(root)) {
      reported.add(root);
      const what = expression ? 'expression' : 'type';
      const message = `${what} nested deeper than ${MAX_EXPRESSION_DEPTH} levels (each operator, \`.\`, index${expression ? ', argument' : ', `[]`'} and bracket is one level)${expression ? '; a run could not evaluate it: split it into `let` values' : '; name its parts with `type`'}`;
      // on the operator that opens the level too many (a long chain's node spans most of the chain)
      if (ast.isBinaryExpression(container) || ast.isUnaryExpression(container)) accept('error', message, { node: container, property: 'op', code: IssueCodes.NestingTooDeep });
      else if (ast.isMemberAccess(container)) accept('error', message, { node: container, property: 'member', code: IssueCodes.NestingTooDeep });
      else accept('error', message, { node, code: IssueCodes.NestingTooDeep });
    }
  }
}

/** The type guards of this check, answered once per node type (asked of every node of the document). */
const isExpressionNode = byNodeType(ast.isExpression);
const isTypeExprNode = byNodeType(ast.isTypeExpr);
