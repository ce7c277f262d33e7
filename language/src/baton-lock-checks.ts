import type { ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { IssueCodes } from './baton-issue-codes.js';
import * as ast from './generated/ast.js';

/**
 * Checks of `lock "name" [timeout D] { … } [on timeout { … }]` (docs/language.md, "Locks"). Every diagnostic has a
 * code from `IssueCodes` and the range of the part that is wrong.
 */
export class BatonLockChecks {
  /**
   * `on timeout { … }` without `timeout D` never runs (`timeout-branch-without-timeout`); a lock inside a lock
   * block of the same constant name would wait for itself (`lock-reentered`, on the inner name); an empty name
   * (`lock ""`) is `invalid-lock-name`.
   */
  checkLockStatement = (lock: ast.LockStatement, accept: ValidationAcceptor): void => {
    if (lock.timeoutBranch && !lock.timeout) {
      accept('error', '`on timeout { … }` never runs: this lock has no `timeout`; write `timeout 10m` before its `{`', { node: lock.timeoutBranch, code: IssueCodes.TimeoutBranchWithoutTimeout });
    }
    const name = constantName(lock);
    if (name === '') accept('error', 'a lock needs a name: `lock "stock:${input.sku}" { … }`', { node: lock, property: 'name', code: IssueCodes.InvalidLockName });
    if (name === undefined) return;
    for (let outer = AstUtils.getContainerOfType(lock.$container, ast.isLockStatement); outer; outer = AstUtils.getContainerOfType(outer.$container, ast.isLockStatement)) {
      if (constantName(outer) === name && lock.$container !== outer.timeoutBranch && !isInside(lock, outer.timeoutBranch)) {
        accept('error', `lock "${name}" inside a lock "${name}" block would wait for itself (locks are not re-entrant): the run would fail with LOCK_DEADLOCK`, { node: lock, property: 'name', code: IssueCodes.LockReentered });
        return;
      }
    }
  };
}

/** The lock's name when it is a plain string (no `${…}`), else undefined. */
function constantName(lock: ast.LockStatement): string | undefined {
  return ast.isStringLiteral(lock.name) ? lock.name.value : undefined;
}

function isInside(node: ast.LockStatement, container: ast.TimeoutBranch | undefined): boolean {
  return container !== undefined && AstUtils.getContainerOfType(node, (n): n is ast.TimeoutBranch => n === container) !== undefined;
}
