import { exprToText, forEachStatement, type IfNode, type Statement, type SwitchNode } from '@baton/protocol';

/** Names of the steps, approvals and regions (`r.status`) declared anywhere in `body` (nested blocks included). */
export function declaredNames(body: Statement[], into: Set<string> = new Set()): Set<string> {
  forEachStatement(body, (s) => {
    if (s.kind === 'step' || s.kind === 'approval' || s.kind === 'region') into.add(s.name);
  });
  return into;
}

/**
 * The steps and approvals declared inside a `foreach` body anywhere in `body`. After its loop such a name
 * reads as the list of the loop's iterations, so when the loop never ran (it is in a branch not taken, or
 * was never reached) it reads as an empty list — zero iterations — not as one skipped step.
 */
export function loopListNames(body: Statement[]): Set<string> {
  const into = new Set<string>();
  forEachStatement(body, (s) => {
    if (s.kind === 'foreach') declaredNames(s.body, into);
  });
  return into;
}

/**
 * A branch decision for people: `if intake.output.severity == "CRITICAL" → then`,
 * `switch intake.output.process_type = "MIGRATION" → case "MIGRATION"`, `… → else`, `… → no branch`.
 */
export function branchLabel(s: IfNode | SwitchNode, taken: number, subjectText?: string): string {
  if (s.kind === 'if') {
    const head = `if ${exprToText(s.branches[0].condition)}`;
    if (taken < 0) return `${head} → no branch`;
    if (taken === 0) return `${head} → then`;
    if (taken < s.branches.length) return `${head} → else if ${exprToText(s.branches[taken].condition)}`;
    return `${head} → else`;
  }
  const head = `switch ${exprToText(s.subject)} = ${JSON.stringify(subjectText ?? '')}`;
  if (taken < 0) return `${head} → no case`;
  if (taken < s.cases.length) return `${head} → case ${s.cases[taken].values.map((v) => exprToText(v)).join(', ')}`;
  return `${head} → default`;
}
