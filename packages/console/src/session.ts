// Who is signed in to the console: one Session in memory (never in storage: the cookie is HttpOnly, the CSRF token
// is read again from GET /session after a reload). `--insecure` servers have no sign-in (everyone is admin).
import { mayDo, type Permission, type Role } from '@baton/protocol/access-rules';
import { ApiError, configureApi, newActionId, request } from './api.js';
import { currentRoute, href, navigate } from './router.js';

/** The signed-in user, as `POST /session` / `GET /session` answer (`expires`: ISO 8601). */
export interface Session {
  user: string;
  /** The user's first tenant: the one the server uses when a request names none. */
  tenant: string;
  /** Every tenant the user may work in (`tenant` first); more than one: the header shows a tenant picker. */
  tenants: string[];
  roles: Role[];
  csrfToken: string;
  expires: string;
  /** The server runs `--insecure`: no sign-in, no CSRF, everyone is tenant `default`'s admin. */
  insecure: boolean;
  /** Names an approval's `assignee` may give for this user. */
  groups: string[];
  /** An approver's flows (absent: every flow of its tenant). */
  flows?: string[];
}

let current: Session | undefined;
const listeners = new Set<(session: Session | undefined) => void>();

/** Whether the page was served by an `--insecure` server (the shell says so on <body data-insecure>). */
export function insecureServer(): boolean {
  return document.body.dataset.insecure === 'true';
}

/** The signed-in session, if any. */
export function session(): Session | undefined {
  return current;
}

/** Whether the signed-in user's roles grant `permission` (protocol's ROLE_RULES; the server still decides). */
export function may(permission: Permission): boolean {
  return current !== undefined && mayDo(current.roles, permission);
}

/** Calls `listener` after every sign-in and sign-out; returns the function that stops it. */
export function onSessionChange(listener: (session: Session | undefined) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(next: Session | undefined): void {
  current = next;
  for (const l of listeners) l(next);
}

type SessionAnswer = Omit<Session, 'insecure' | 'groups' | 'tenants'> & { groups?: string[]; tenants?: string[] };
const fromAnswer = (a: SessionAnswer): Session => ({ ...a, insecure: false, groups: a.groups ?? [], tenants: a.tenants?.length ? a.tenants : [a.tenant] });

/**
 * The session of this browser: the one in memory, else `GET /session` (a reload), else undefined (not signed in).
 * On an `--insecure` server, the open session (user `insecure`, admin).
 */
export async function loadSession(): Promise<Session | undefined> {
  if (current) return current;
  if (insecureServer()) {
    set({ user: 'insecure', tenant: 'default', tenants: ['default'], roles: ['admin'], csrfToken: '', expires: '', insecure: true, groups: [] });
    return current;
  }
  try {
    set(fromAnswer(await request<SessionAnswer>('GET', '/session', { quiet401: true })));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
  return current;
}

/**
 * Signs in with a token (`POST /session`): the server sets the HttpOnly session cookie.
 * @throws ApiError 401 `UNAUTHORIZED` for a token that is not the server's (the form shows its message).
 */
export async function signIn(token: string): Promise<Session> {
  const answer = await request<SessionAnswer>('POST', '/session', { body: { token }, quiet401: true });
  set(fromAnswer(answer));
  return current!;
}

/** Signs out (`DELETE /session`: the cookie is cleared and refused from now on), then shows the sign-in page. */
export async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/session', { actionId: newActionId(), quiet401: true });
  } finally {
    set(undefined);
    navigate(href('signin'));
  }
}

/** The sign-in page's link back to where the user was (`#/signin?next=#/inbox?run=…`). */
export function signInHref(): string {
  const route = currentRoute();
  if (route.segments[0] === 'signin') return location.hash;
  return href('signin', { next: location.hash || undefined });
}

configureApi({
  csrfToken: () => (current?.insecure ? undefined : current?.csrfToken),
  unauthorized: () => {
    // an --insecure server has no sessions: a 401 there is not a sign-out
    if (insecureServer()) return;
    set(undefined);
    navigate(signInHref(), true);
  },
});
