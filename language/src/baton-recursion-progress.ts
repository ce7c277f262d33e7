// The `recursion-without-progress` warning: a flow that calls itself under a guard, passing on unchanged every
// input the guard reads — the guard is the same at every depth, so the recursion never stops by itself.
import type { AstNode, ValidationAcceptor } from 'langium';
import { IssueCodes } from './baton-issue-codes.js';
import * as ast from './generated/ast.js';
import { nodesOfKind, someSubtreeNode } from './baton-ast-walk.js';
import { STEPS } from './baton-node-kinds.js';

/**
 * Warns (`recursion-without-progress`, on the call's target) about each step of `flow` that calls `flow` itself
 * under guards — the conditions of the `if`s and `switch`es around it and its `when:` — that read only the flow's
 * inputs (no step, `var`, `let` or function, which could change), when the call passes each of those inputs on as
 * it is (`n: input.n`). Such a guard has the same value at every depth: when it lets the first call through, the
 * run recurses until `limits.maxFlowDepth` and fails with FLOW_DEPTH_EXCEEDED. (A call with no guard at all is
 * `unbounded-recursion`, an error.)
 */
export function checkRecursionProgress(flow: ast.FlowDecl, accept: ValidationAcceptor): void {
  const calls = (nodesOfKind(flow, STEPS) as ast.Step[]).filter((step) => step.target?.ref === flow);
  for (const step of calls) {
    const guards = guardsOf(step);
    if (guards.length === 0) continue;
    const read = new Set<string>();
    let onlyInputs = true;
    for (const guard of guards) {
      someSubtreeNode(guard, (n) => {
        if (ast.isInputRef(n) && n.input?.ref) read.add(n.input.ref.name);
        else if (ast.isNameRef(n) || ast.isFunctionCall(n) || ast.isOutputRef(n) || ast.isRunStatusRef(n)) onlyInputs = false;
      });
    }
    if (!onlyInputs || read.size === 0) continue;
    const input = step.properties.find(ast.isInputProperty)?.value;
    const entries = ast.isRecordLiteral(input) ? input.entries : [];
    const unchanged = [...read].every((name) => {
      const value = entries.find((e) => e.key === name)?.value;
      return ast.isInputRef(value) && value.input?.ref?.name === name;
    });
    if (!unchanged) continue;
    const names = [...read].map((n) => `\`${n}\``).join(', ');
    const first = [...read][0];
    accept(
      'warning',
      `flow \`${flow.name}\` calls itself passing on ${read.size === 1 ? 'the input' : 'the inputs'} its condition reads (${names}) unchanged: the condition is the same at every depth, so a run that makes this call recurses until limits.maxFlowDepth and fails with FLOW_DEPTH_EXCEEDED; pass a value that moves toward the end (e.g. \`${first}: input.${first} - 1\`)`,
      { node: step, property: 'target', code: IssueCodes.RecursionWithoutProgress },
    );
  }
}

/** The conditions a step runs under: its `when:`, and the `if` conditions and `switch` subjects around it in its flow. */
function guardsOf(step: ast.Step): ast.Expression[] {
  const guards: ast.Expression[] = [];
  const when = step.properties.find(ast.isWhenProperty)?.condition;
  if (when) guards.push(when);
  for (let child: AstNode = step, n: AstNode | undefined = step.$container; n && !ast.isFlowDecl(n); child = n, n = n.$container) {
    if (ast.isIfStatement(n) && child.$containerProperty !== 'condition' && n.condition) guards.push(n.condition);
    else if (ast.isSwitchStatement(n) && child.$containerProperty !== 'subject' && n.subject) guards.push(n.subject);
  }
  return guards;
}
