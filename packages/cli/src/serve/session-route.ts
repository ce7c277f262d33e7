// `/session` of `baton serve`: the console's sign-in (a token → a session cookie), who is signed in, sign-out.
import type http from 'node:http';
import type { Access, Principal } from './access.js';
import { HttpError, parseJson, readBody, send } from './http-io.js';

/**
 * - `POST /session {token}`: signs in with a user's (or a tenant's) token: 200 `{user, tenant, tenants, roles, groups,
 *   flows?, csrfToken, expires}` (`tenant`: the one a request that names none is in; `tenants`: every one the user may
 *   name with `?tenant=`, `tenant` first; `groups` and `flows` as configured: the console shows only the approvals its
 *   user may decide) and `Set-Cookie` with the session; 401 `UNAUTHORIZED` for an unknown token.
 * - `GET /session`: the signed-in session's `{user, tenant, tenants, roles, groups, flows?, csrfToken, expires}` (401 without one).
 * - `DELETE /session`: signs out (the cookie is cleared and refused from now on); needs `X-CSRF-Token`. 200 `{signedOut: true}`.
 */
export async function sessionRoute(req: http.IncomingMessage, res: http.ServerResponse, method: string, access: Access, now: number, maxBodyBytes: number): Promise<void> {
  const sessions = access.sessions;
  if (method === 'POST') {
    const raw = await readBody(req, maxBodyBytes);
    const body = raw.length === 0 ? {} : parseJson(raw, req);
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token === '') throw new HttpError(422, 'SIGN_IN_INVALID', 'the body needs "token": your API token');
    const subject = access.subjectOf(token);
    if (!subject) throw new HttpError(401, 'UNAUTHORIZED', 'that token is not one of this server\'s');
    const issued = sessions.issue(subject, now);
    const principal = access.authenticateSession(issued.claims);
    send(res, 200, { ...who(principal), csrfToken: issued.csrfToken, expires: new Date(issued.claims.exp).toISOString() }, { 'set-cookie': issued.setCookie, 'cache-control': 'no-store' });
    return;
  }
  const claims = sessions.read(req, now);
  if (!claims) throw new HttpError(401, 'UNAUTHORIZED', 'not signed in: POST /session {token}');
  if (method === 'GET') {
    const principal = access.authenticateSession(claims);
    send(res, 200, { ...who(principal), csrfToken: sessions.csrfToken(claims), expires: new Date(claims.exp).toISOString() }, { 'cache-control': 'no-store' });
    return;
  }
  if (method === 'DELETE') {
    sessions.checkCsrf(req, claims);
    sessions.end(claims, now);
    send(res, 200, { signedOut: true }, { 'set-cookie': sessions.clearing() });
    return;
  }
  throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/session takes POST (sign in), GET or DELETE (sign out)');
}

/** Who a session is, as the console reads it: name, tenant (its first), tenants, roles, groups and (an approver's) flows. */
function who(principal: Principal): { user: string; tenant: string; tenants: string[]; roles: Principal['roles']; groups: string[]; flows?: string[] } {
  return { user: principal.name, tenant: principal.tenant, tenants: principal.tenants, roles: principal.roles, groups: principal.groups, ...(principal.flows ? { flows: principal.flows } : {}) };
}
