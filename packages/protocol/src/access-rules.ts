// Who may do what in `baton serve`'s runs API and its console: the roles, the permission each route needs, and
// who may decide an approval. The server enforces them (packages/cli/src/serve/access.ts); the console reads the
// same rules to show only the buttons a user may use (the server still decides). docs/security.md.

/**
 * What a user of `baton serve` may do (docs/security.md):
 * - `viewer` reads runs, their events and locks;
 * - `approver` also approves and rejects the approvals it may decide (its `flows`, the approval's `assignee`);
 * - `operator` also starts, cancels, redrives runs and sends events to them;
 * - `admin` does everything in its tenant, migrations included.
 */
export type Role = 'viewer' | 'approver' | 'operator' | 'admin';

/** What a route needs: read (GET), decide (approve/reject), act (start, send, cancel, redrive), migrate. */
export type Permission = 'read' | 'decide' | 'act' | 'migrate';

/** The roles that grant each permission. */
export const ROLE_RULES: Readonly<Record<Permission, readonly Role[]>> = {
  read: ['viewer', 'approver', 'operator', 'admin'],
  decide: ['approver', 'admin'],
  act: ['operator', 'admin'],
  migrate: ['admin'],
};

/** Whether one of `roles` grants `permission` ({@link ROLE_RULES}). */
export function mayDo(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((r) => ROLE_RULES[permission].includes(r));
}

/** Who acts, as far as the approval rules need it: its name, roles, groups and (an approver's) flows. */
export interface Decider {
  name: string;
  roles: readonly Role[];
  /** Names an approval's `assignee` may give for it besides `name`. */
  groups: readonly string[];
  /** An approver's flows (undefined: every flow of its tenant). */
  flows?: readonly string[];
}

/**
 * Whether `who` may decide the waiting approval `wait` of a run of flow `run.flow`: an admin always; an approver
 * when `run.flow` is one of its `flows` (or it has none) and the approval's `assignee` is unset, its name or one of
 * its groups; nobody else.
 */
export function mayDecide(who: Decider, run: { flow: string }, wait: { assignee?: string }): boolean {
  if (who.roles.includes('admin')) return true;
  if (!who.roles.includes('approver')) return false;
  if (who.flows && !who.flows.includes(run.flow)) return false;
  return wait.assignee === undefined || mayTake(who, wait.assignee);
}

/** Whether an approval's `assignee` names `who`: its own name or one of its groups (exact, case-sensitive). */
export function mayTake(who: Pick<Decider, 'name' | 'groups'>, assignee: string): boolean {
  return assignee === who.name || who.groups.includes(assignee);
}
