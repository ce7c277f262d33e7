// Who a request to `baton serve`'s runs API is from and what it may do: users and their roles (baton.config.json
// `users`), tenant API tokens, console sessions, CSRF tokens and replayed actions (docs/security.md).
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { mayTake, ROLE_RULES, type Permission } from '@baton/protocol';
import { DEFAULT_TENANT, userTenants, type Role, type RunRecord, type User } from '@baton/runtime';
import { header, HttpError } from './http-io.js';
import { ActionLedger, type Sessions, type SessionClaims, type SessionSubject } from './sessions.js';
import type { Tenants } from './tenant-auth.js';

/** Who made a request, once authenticated: the name recorded as `by`, its tenant and what it may do. */
export interface Principal {
  /** Recorded as `by` on decisions, cancellations and migrations. */
  name: string;
  /** The tenant this request works in: the one its `?tenant=` names (one of `tenants`), else the first of `tenants`. */
  tenant: string;
  /** Every tenant it may work in (a user's `tenants`; a tenant token's own; `default` with `--insecure`), home first. */
  tenants: string[];
  roles: Role[];
  /** Names an approval's `assignee` may give for it besides `name`. */
  groups: string[];
  /** An approver's flows (undefined: every flow of its tenant). */
  flows?: string[];
  /** How it proved who it is: a Bearer token, the session cookie, or nothing (`--insecure`). */
  via: 'token' | 'session' | 'open';
  session?: SessionClaims;
}

/** Options of {@link Access}. */
export interface AccessOptions {
  tenants: Tenants;
  /** The configured users (`users` of baton.config.json) with their tokens; empty: the single-token mode. */
  users: readonly User[];
  sessions: Sessions;
  insecure: boolean;
  /** How long an `X-Baton-Action-Id` of a Bearer request is remembered, ms (a session's: until the session ends). */
  actionWindowMs: number;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Authenticates and authorizes runs-API requests: a user's token (Bearer, or a session signed in with it) is that
 * user (`users` in baton.config.json), with its roles, in its tenant; a tenant's API token is that tenant's admin,
 * recorded as `api-token:<tenant>` (the single-token mode, when no users are configured); `--insecure`: every
 * request is tenant `default`'s admin, recorded as `insecure`. No header the caller chooses (`X-Baton-User`) names it.
 */
export class Access {
  private readonly users: { user: User; digest: Buffer }[];
  private readonly ledger = new ActionLedger();

  constructor(private readonly options: AccessOptions) {
    this.users = options.users.filter((u) => u.token).map((user) => ({ user, digest: sha256(user.token!) }));
  }

  /** Whether users are configured (see the class comment). */
  get withUsers(): boolean {
    return this.options.users.length > 0;
  }

  /** The sessions of this server. */
  get sessions(): Sessions {
    return this.options.sessions;
  }

  /**
   * The subject a token stands for: a user, or a tenant (its API token); undefined for an unknown token. Every
   * user's and tenant's token is compared in constant time.
   */
  subjectOf(token: string): SessionSubject | undefined {
    const digest = sha256(token);
    let found: User | undefined;
    for (const u of this.users) if (timingSafeEqual(digest, u.digest)) found ??= u.user;
    if (found) return { kind: 'user', name: found.name, tenant: found.tenant };
    const tenant = this.options.tenants.tokenOwner(token);
    return tenant === undefined ? undefined : { kind: 'tenant', name: tenant, tenant };
  }

  /**
   * Who the request is from: `Authorization: Bearer <token>` (a user's or a tenant's), else the session cookie; and
   * the tenant it works in, the one place every route's tenant comes from ({@link chooseTenant}: `?tenant=<id>`, one
   * of the principal's, else its first).
   * @throws HttpError 401 `UNAUTHORIZED` (no or an unknown token), 401 `SESSION_INVALID` / `SESSION_EXPIRED`
   *   (see {@link Sessions.read}), 403 `API_DISABLED` (no token configured at all, not insecure), 403
   *   `TENANT_FORBIDDEN` / 400 `BAD_QUERY` (see {@link chooseTenant}).
   */
  authenticate(req: http.IncomingMessage, now: number): Principal {
    return chooseTenant(this.identify(req, now), req);
  }

  /** Who the request is from, in its home tenant (see {@link authenticate}, which then applies `?tenant=`). */
  private identify(req: http.IncomingMessage, now: number): Principal {
    if (this.options.insecure) return { name: 'insecure', tenant: DEFAULT_TENANT, tenants: [DEFAULT_TENANT], roles: ['admin'], groups: [], via: 'open' };
    const authorization = header(req, 'authorization');
    if (authorization !== undefined) {
      const subject = this.subjectOf(authorization.startsWith('Bearer ') ? authorization.slice(7) : '');
      if (!subject) throw this.unauthorized();
      return this.principal(subject, 'token');
    }
    const claims = this.options.sessions.read(req, now);
    if (claims) return this.authenticateSession(claims);
    throw this.unauthorized();
  }

  /**
   * Checks what a request that changes something needs besides its credentials: with the session cookie, its CSRF
   * token ({@link Sessions.checkCsrf}) and an `X-Baton-Action-Id`; the role `permission` asks for; and that its action
   * id (required with a session, optional with a Bearer token) was not used before by the same principal within its
   * window (the session's life, or {@link AccessOptions.actionWindowMs}).
   * @throws HttpError 403 `CSRF_TOKEN_MISSING` / `CSRF_TOKEN_INVALID`, 403 `FORBIDDEN`, 400 `ACTION_ID_MISSING` /
   *   `ACTION_ID_INVALID`, 409 `ACTION_REPLAYED`.
   */
  admitAction(req: http.IncomingMessage, principal: Principal, permission: Permission, what: string, now: number): void {
    if (principal.session) this.options.sessions.checkCsrf(req, principal.session);
    this.require(principal, permission, what);
    const id = header(req, 'x-baton-action-id');
    if (id === undefined) {
      if (principal.session) throw new HttpError(400, 'ACTION_ID_MISSING', 'a request made with the session cookie that changes something needs X-Baton-Action-Id: a new random id per action (a replay of it is refused)');
      return;
    }
    if (id.length === 0 || id.length > 200) throw new HttpError(400, 'ACTION_ID_INVALID', 'X-Baton-Action-Id must be 1 to 200 characters');
    const until = principal.session ? principal.session.exp : now + this.options.actionWindowMs;
    // per principal, whatever tenant it works in: an action id is used once
    this.ledger.take(principal.name, id, now, until);
  }

  /** @throws HttpError 403 `FORBIDDEN` unless one of the principal's roles grants `permission` ({@link ROLE_RULES}). */
  require(principal: Principal, permission: Permission, what: string): void {
    if (principal.roles.some((r) => ROLE_RULES[permission].includes(r))) return;
    throw new HttpError(403, 'FORBIDDEN', `${principal.name} (${principal.roles.join(', ')}) may not ${what}: that takes ${ROLE_RULES[permission].join(' or ')}`);
  }

  /**
   * Whether the principal may decide approval `task` of `run`: an admin decides every approval of its tenant; an
   * approver those of its `flows` (all without `flows`) whose `assignee` — every waiting approval named `task` — is
   * unset, its name, or one of its groups.
   * @throws HttpError 403 `NOT_ASSIGNEE` otherwise.
   */
  assertMayDecide(principal: Principal, run: RunRecord, task: string): void {
    if (principal.roles.includes('admin')) return;
    if (principal.flows && !principal.flows.includes(run.flow)) throw new HttpError(403, 'NOT_ASSIGNEE', `${principal.name} decides approvals of ${principal.flows.join(', ')} only, not of ${run.flow}`);
    for (const wait of run.waitingOn) {
      if (wait.kind !== 'approval' || wait.task !== task || wait.assignee === undefined) continue;
      if (!mayTake(principal, wait.assignee)) throw new HttpError(403, 'NOT_ASSIGNEE', `approval ${task} is assigned to ${wait.assignee}, not to ${principal.name}${principal.groups.length ? ` or ${principal.groups.join(', ')}` : ''}`);
    }
  }

  /** The principal of a session just read or issued (its user as configured now). @throws HttpError 401 `SESSION_INVALID` for a user no longer configured. */
  authenticateSession(claims: SessionClaims): Principal {
    return { ...this.principal(claims, 'session'), session: claims };
  }

  private principal(subject: SessionSubject, via: 'token' | 'session'): Principal {
    if (subject.kind === 'user') {
      // a session stays valid while its user still has the tenant it signed in to
      const user = this.options.users.find((u) => u.name === subject.name && userTenants(u).includes(subject.tenant));
      if (!user) throw new HttpError(401, 'SESSION_INVALID', `user ${subject.name} is no longer configured`);
      return { name: user.name, tenant: user.tenant, tenants: userTenants(user), roles: user.roles, groups: user.groups, ...(user.flows ? { flows: user.flows } : {}), via };
    }
    // a tenant's API token: its admin, recorded as the token's tenant
    return { name: `api-token:${subject.tenant}`, tenant: subject.tenant, tenants: [subject.tenant], roles: ['admin'], groups: [], via };
  }

  private unauthorized(): HttpError {
    if (this.users.length === 0 && !this.options.tenants.hasTokens()) {
      return new HttpError(403, 'API_DISABLED', 'the runs API is off: start baton serve with BATON_API_TOKEN set (or a tenant\'s apiTokenEnv, or users in baton.config.json; or --insecure for local use)');
    }
    return new HttpError(401, 'UNAUTHORIZED', 'Authorization: Bearer <token> (or a session cookie from POST /session) is required');
  }
}

/**
 * `principal` in the tenant its request names — `?tenant=<id>` in the request's URL, for every method (GET, POST,
 * DELETE, the `/stream`) — else in its first. A tenant that is not one of the principal's is refused alike whether
 * it exists or not (the answer does not tell which tenants there are). Roles, groups and flows are the same in each.
 * @throws HttpError 403 `TENANT_FORBIDDEN` (not one of the principal's tenants), 400 `BAD_QUERY` (`tenant=` twice).
 */
export function chooseTenant(principal: Principal, req: http.IncomingMessage): Principal {
  const asked = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('tenant');
  if (asked.length === 0) return principal;
  if (asked.length > 1) throw new HttpError(400, 'BAD_QUERY', 'tenant= is given more than once: name one tenant per request');
  const tenant = asked[0];
  if (!principal.tenants.includes(tenant)) {
    throw new HttpError(403, 'TENANT_FORBIDDEN', `${principal.name} does not work in tenant ${JSON.stringify(tenant.slice(0, 64))}: its tenants are ${principal.tenants.join(', ')}`);
  }
  return tenant === principal.tenant ? principal : { ...principal, tenant };
}
