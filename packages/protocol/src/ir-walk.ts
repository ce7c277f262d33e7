import type { Statement, WorkflowDefinition } from './ir.js';

/**
 * The statement lists nested directly in `s`, in source order: an `if`'s branch bodies then its `else`, a
 * `switch`'s case bodies then its `default`, a `parallel`'s branches (one list; each branch is a statement, a `branch { … }` a `block`),
 * a `block`'s body,
 * a `foreach`/`repeat` body, an approval's, event wait's or `wait until`'s `on timeout` block, a `lock`'s body then
 * its `on timeout` block, a `wait first`'s arm bodies, a `region`'s body then its `on cancel` block. Empty for every
 * other statement.
 * The one place that knows where statements nest: every walk over a statement tree goes through it.
 */
export function nestedBodies(s: Statement): Statement[][] {
  switch (s.kind) {
    case 'if':
      return [...s.branches.map((b) => b.body), ...(s.else ? [s.else] : [])];
    case 'switch':
      return [...s.cases.map((c) => c.body), ...(s.default ? [s.default] : [])];
    case 'parallel':
      return [s.branches];
    case 'foreach':
    case 'repeat':
    case 'block':
      return [s.body];
    case 'approval':
    case 'waitEvent':
    case 'waitUntil':
    case 'waitSignal':
      return s.onTimeout ? [s.onTimeout] : [];
    case 'lock':
      return s.onTimeout ? [s.body, s.onTimeout] : [s.body];
    case 'choice':
      return s.arms.map((a) => a.body);
    case 'region':
      return s.onCancel ? [s.body, s.onCancel] : [s.body];
    default:
      return [];
  }
}

/** Calls `visit` on every statement of `body` and, depth first in source order, on the statements nested in it. */
export function forEachStatement(body: Statement[], visit: (s: Statement) => void): void {
  for (const s of body) {
    visit(s);
    for (const nested of nestedBodies(s)) forEachStatement(nested, visit);
  }
}

/**
 * The statement whose node id is `id` (`Order/cancel@0.1.0.0`, `Order/reserve`) in `definition`, or `undefined` when
 * no flow of it has one (a definition edited since the event was recorded). Walks the flow the id names first.
 */
export function findStatement(definition: WorkflowDefinition, id: string): Statement | undefined {
  const flow = definition.flows[id.slice(0, id.indexOf('/'))];
  let found: Statement | undefined;
  if (flow)
    forEachStatement(flow.body, (s) => {
      if (!found && s.id === id) found = s;
    });
  return found;
}

/**
 * How people read the statement `id` names in a message: `cancel fulfil (line 14)` for a `cancel`/`complete`
 * statement found in `definition`, its node id without the flow (`cancel@0.1.0.0`) when it is not found.
 */
export function describeStatement(id: string, definition?: WorkflowDefinition): string {
  const s = definition ? findStatement(definition, id) : undefined;
  const short = id.slice(id.indexOf('/') + 1);
  if (!s) return short;
  const text = s.kind === 'cancel' ? `cancel ${s.target}` : s.kind === 'complete' ? `complete${s.target ? ` ${s.target}` : ''}` : short;
  return `${text} (line ${s.range.start.line})`;
}
