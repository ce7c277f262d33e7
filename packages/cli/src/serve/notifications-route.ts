// `baton serve`'s notification outbox routes (docs/console.md, "Notifications"): `GET /notifications` lists the
// caller's tenant's deliveries (pending, sent, dead, with the last error), `POST /notifications/<id>/retry` makes a dead
// one pending again. The console's Notifications page reads and acts through them.
import type http from 'node:http';
import { BatonError, outboxOf } from '@baton/runtime';
import { decodeSegment, HttpError, send } from './http-io.js';
import { intParam } from './runs-query.js';
import type { RouteContext } from './runs-route.js';

const STATUSES = new Set(['pending', 'sent', 'dead']);

/**
 * Answers `/notifications` and `/notifications/<id>/retry` (false for any other path):
 * - `GET /notifications[?status=pending|sent|dead&before=<id>&limit=1…1000]` (read): `{deliveries, next?, channels}` —
 *   the caller's tenant's deliveries, newest first, keyset-paged (`next` is the `before` of the next page), and the
 *   channels this server sends to (`channels: []`: notifications are not configured here).
 * - `POST /notifications/<id>/retry` (act; CSRF and action id with a session): 200 `{delivery}`, now pending and due;
 *   404 `NOTIFICATION_NOT_FOUND` (none in the tenant), 409 `NOTIFICATION_SENT`.
 * A store without the outbox (none of ours) answers 404 `NOTIFICATIONS_UNAVAILABLE`.
 */
export async function notificationsRoute(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string, url: URL): Promise<boolean> {
  if (path !== '/notifications' && !path.startsWith('/notifications/')) return false;
  const { access, now } = ctx;
  const caller = access.authenticate(req, now().getTime());
  const outbox = outboxOf(ctx.store);
  if (!outbox) throw new HttpError(404, 'NOTIFICATIONS_UNAVAILABLE', `the store ${ctx.store.location} has no notification outbox`);
  const scope = { tenant: caller.tenant };
  if (path === '/notifications') {
    if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/notifications takes GET');
    access.require(caller, 'read', 'read notifications');
    const status = url.searchParams.get('status') ?? undefined;
    if (status !== undefined && !STATUSES.has(status)) throw new HttpError(400, 'BAD_QUERY', 'status must be pending, sent or dead');
    const limit = intParam(url.searchParams, 'limit', 50, 1, 1000);
    const before = url.searchParams.get('before') ?? undefined;
    const page = await outbox.listDeliveries({ status: status as 'pending' | 'sent' | 'dead' | undefined, before, limit }, scope);
    send(res, 200, { ...page, channels: ctx.options.notifyChannels ?? [] });
    return true;
  }
  const match = /^\/notifications\/([^/]+)\/retry$/.exec(path);
  if (!match) throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`);
  access.admitAction(req, caller, 'act', 'retry notifications', now().getTime());
  try {
    const delivery = await outbox.retryDelivery(decodeSegment(match[1]), now(), scope);
    send(res, 200, { delivery });
  } catch (error) {
    if (error instanceof BatonError && error.code === 'NOTIFICATION_NOT_FOUND') throw new HttpError(404, error.code, error.message);
    if (error instanceof BatonError && error.code === 'NOTIFICATION_SENT') throw new HttpError(409, error.code, error.message);
    throw error;
  }
  return true;
}
