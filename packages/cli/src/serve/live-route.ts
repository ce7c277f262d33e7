// `GET /stream` of `baton serve`: the web console's live updates as Server-Sent Events (one stream per tab), fed by
// the LiveHub (live-hub.ts). Format: https://html.spec.whatwg.org/multipage/server-sent-events.html
import type http from 'node:http';
import type { Access } from './access.js';
import { header, HttpError } from './http-io.js';
import type { LiveHub, LiveSink, LiveTopics } from './live-hub.js';
import type { RunStoreApi } from '@baton/runtime';

/** How often an open stream gets a heartbeat (an SSE comment) and has its session checked, ms. */
export const HEARTBEAT_MS = 15_000;
/** What the browser waits before it reconnects a dropped stream (the SSE `retry:` field), ms. */
export const RETRY_MS = 1000;
/** A stream whose client does not read (this many bytes wait to be sent) is closed: the page reconnects and catches up. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/** What {@link streamRoute} needs of the server. */
export interface StreamContext {
  store: RunStoreApi;
  access: Access;
  live: LiveHub;
  now: () => Date;
  /** Default {@link HEARTBEAT_MS}. */
  heartbeatMs?: number;
}

/** A seq as a Last-Event-ID or `after` carries it: a whole number from 0; undefined when absent. */
function seqOf(text: string | null | undefined, what: string): number | undefined {
  if (text === null || text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new HttpError(400, what === 'Last-Event-ID' ? 'BAD_LAST_EVENT_ID' : 'BAD_QUERY', `${what} must be the seq of the run's last event received (a whole number from 0), not "${text.slice(0, 40)}"`);
  return Number(text);
}

/**
 * `GET /stream?list&inbox&run=<id>[&after=<seq>]` (role `read`): a `text/event-stream` of the caller's tenant's
 * changes (see {@link LiveHub}): `run` messages with `list`, `inbox` messages with `inbox`, and with `run` that run's
 * `events` (id: the last event's seq) after `after` — or after the `Last-Event-ID` the browser sends when it
 * reconnects, which wins — from the first event when neither is given. It starts with `retry: 1000`, sends a
 * heartbeat comment every {@link HEARTBEAT_MS}, and at a heartbeat that finds the caller's session expired or
 * ended sends `signed-out` and closes.
 * @throws HttpError 400 `STREAM_INVALID` (nothing to follow), `BAD_LAST_EVENT_ID` / `BAD_QUERY` (a seq that is not
 *   one), 404 `RUN_NOT_FOUND` (a run the caller's tenant does not have), 429 `TOO_MANY_STREAMS`, 405 for a method
 *   other than GET, and the authentication errors of {@link Access.authenticate}.
 */
export async function streamRoute(req: http.IncomingMessage, res: http.ServerResponse, method: string, url: URL, ctx: StreamContext): Promise<void> {
  const caller = ctx.access.authenticate(req, ctx.now().getTime());
  if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/stream takes GET');
  ctx.access.require(caller, 'read', 'follow runs');
  const params = url.searchParams;
  const run = params.get('run') ?? undefined;
  if (run === '') throw new HttpError(400, 'STREAM_INVALID', 'run= needs a run id');
  const topics: LiveTopics = { list: params.has('list'), inbox: params.has('inbox'), run, after: seqOf(header(req, 'last-event-id'), 'Last-Event-ID') ?? seqOf(params.get('after'), 'after') ?? 0 };
  if (!topics.list && !topics.inbox && !topics.run) throw new HttpError(400, 'STREAM_INVALID', 'say what to follow: /stream?list (the runs), ?inbox (the approvals), ?run=<id> (a run\'s events), or several');
  // another tenant's run is a missing one (404), as everywhere in the runs API
  if (topics.run) topics.run = (await ctx.store.getRun(topics.run, { tenant: caller.tenant })).id;
  const write = (text: string): void => {
    if (res.writableEnded || res.destroyed) return;
    res.write(text);
    // a client that stopped reading is let go rather than buffered for without end
    if (res.writableLength > MAX_UNSENT_BYTES) res.destroy();
  };
  const sink: LiveSink = {
    send(event, data, id) {
      write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    end: () => res.end(),
  };
  const stream = ctx.live.open(caller.tenant, caller.name, topics, sink);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
  res.flushHeaders();
  write(`retry: ${RETRY_MS}\n\n`);
  const end = (): void => {
    clearInterval(heartbeat);
    ctx.live.closeStream(stream);
  };
  const heartbeat = setInterval(() => {
    try {
      ctx.access.authenticate(req, ctx.now().getTime());
      write(':\n\n');
    } catch {
      // the session expired or was signed out: the page signs in again
      write('event: signed-out\ndata: {}\n\n');
      end();
      res.end();
    }
  }, ctx.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  res.once('close', end);
}
