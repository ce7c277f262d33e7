import type { Statement } from './ir.js';

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
