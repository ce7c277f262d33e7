import type { AstNode, ValidationAcceptor } from 'langium';
import { IssueCodes } from './baton-issue-codes.js';
import * as ast from './generated/ast.js';
import { nodesOfKind } from './baton-ast-walk.js';
import { SIGNALS_AND_WAITS } from './baton-node-kinds.js';

/**
 * Checks of `signal s` and `wait signal s` (docs/language.md, "signal, wait signal"), per flow: a wait for a signal
 * the flow never raises (`unknown-signal`), a signal nobody waits for (`unused-signal`, a warning), and a wait whose
 * signal can only be raised after it in the same sequence of statements (`signal-after-wait`: it would deadlock).
 * Every diagnostic has a code from `IssueCodes` and the range of the name.
 */
export class BatonSignalChecks {
  checkFlowSignals = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => {
    const raises = new Map<string, ast.SignalStatement[]>();
    const waits: ast.WaitStatement[] = [];
    for (const node of nodesOfKind(flow, SIGNALS_AND_WAITS)) {
      if (ast.isSignalStatement(node)) raises.set(node.name, [...(raises.get(node.name) ?? []), node]);
      else if (ast.isWaitStatement(node) && node.isSignal && node.signal) waits.push(node);
    }
    const awaited = new Set(waits.map((w) => w.signal!));
    for (const wait of waits) {
      const raised = raises.get(wait.signal!);
      if (!raised) {
        const names = [...raises.keys()];
        accept('error', `no \`signal ${wait.signal}\` in flow ${flow.name}: this wait could never pass${names.length ? `; raised here: ${names.join(', ')}` : ''}`, { node: wait, property: 'signal', code: IssueCodes.UnknownSignal });
      } else if (raised.every((r) => isLaterInSequence(wait, r))) {
        accept('error', `\`signal ${wait.signal}\` is only raised after this wait, in the same sequence of statements: the wait would never pass (raise it in another branch of a \`parallel\`, or before the wait)`, { node: wait, property: 'signal', code: IssueCodes.SignalAfterWait });
      }
    }
    for (const [name, list] of raises) {
      if (awaited.has(name)) continue;
      for (const r of list) accept('warning', `nothing waits for \`signal ${name}\`: add a \`wait signal ${name}\` where it matters, or drop it`, { node: r, property: 'name', code: IssueCodes.UnusedSignal });
    }
  };
}

/**
 * Whether `raise` runs after `wait` in one sequence of statements (never beside it): their closest common block is
 * not a `parallel` (whose branches run side by side), and `raise` comes later in the text.
 */
function isLaterInSequence(wait: AstNode, raise: AstNode): boolean {
  const around = new Set<AstNode>();
  for (let n: AstNode | undefined = wait; n; n = n.$container) around.add(n);
  let common: AstNode | undefined = raise.$container;
  while (common && !around.has(common)) common = common.$container;
  if (!common || ast.isParallelStatement(common)) return false;
  return (raise.$cstNode?.offset ?? 0) > (wait.$cstNode?.offset ?? 0);
}
