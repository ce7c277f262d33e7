import { exprToText, type IfNode, type Statement, type SwitchNode } from '@baton/protocol';

/** Names of the steps and approvals declared anywhere in `body` (nested blocks included). */
export function declaredNames(body: Statement[], into: Set<string> = new Set()): Set<string> {
  for (const s of body) {
    switch (s.kind) {
      case 'step':
        into.add(s.name);
        break;
      case 'approval':
        into.add(s.name);
        if (s.onTimeout) declaredNames(s.onTimeout, into);
        break;
      case 'if':
        s.branches.forEach((b) => declaredNames(b.body, into));
        if (s.else) declaredNames(s.else, into);
        break;
      case 'switch':
        s.cases.forEach((c) => declaredNames(c.body, into));
        if (s.default) declaredNames(s.default, into);
        break;
      case 'parallel':
        declaredNames(s.branches, into);
        break;
      case 'foreach':
      case 'repeat':
        declaredNames(s.body, into);
        break;
      default:
        break;
    }
  }
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
