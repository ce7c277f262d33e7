// The console's live updates: one `GET /stream` (Server-Sent Events) per tab, shared by the pages shown; its topics
// are the union of what they follow (`list`: the runs' rows, `inbox`: the approvals changed, `run=<id>`: that run's
// events). The browser reconnects a dropped stream itself (with Last-Event-ID); see docs/console.md. It is the page's
// tenant's stream (`tenant=`): a switch of tenant reopens it.
import type { RunEvent } from '@baton/protocol';
import { ApiError, get } from './api.js';
import { withTenant } from './router.js';
import type { RunSummary } from './wire.js';

/** What a page follows, and what it is told. */
export interface LiveFollower {
  list?: boolean;
  inbox?: boolean;
  /** A run whose events to follow (one per tab: the last follower's wins). */
  run?: string;
  /** For `run`: the seq of its last event the page has (the stream sends those after it). */
  after?: () => number;
  /** A run of the tenant was created or changed: its list row (inputs and outputs left out beyond 2 KiB). */
  onRun?(row: RunSummary & { inputsTruncated?: true }): void;
  /** New events of the followed run, in seq order, with no gap. */
  onEvents?(runId: string, events: RunEvent[]): void;
  /** The approvals waiting changed: read `GET /approvals` again. */
  onInbox?(): void;
  /** The server lost track (its store's watch was reset): read again what the page shows. */
  onReset?(): void;
  /** The stream is open (`true`) or lost and being reopened (`false`). */
  onConnection?(open: boolean): void;
}

const followers = new Set<LiveFollower>();
let source: EventSource | undefined;
let sourceUrl = '';
let reopenTimer: ReturnType<typeof setTimeout> | undefined;
let planned = false;

/** Follows `follower`'s topics from now on; returns the function that stops it. */
export function follow(follower: LiveFollower): () => void {
  followers.add(follower);
  plan();
  return () => {
    followers.delete(follower);
    plan();
  };
}

/** The stream's URL for the followers now ('' when nobody follows anything). */
export function streamUrl(all: Iterable<LiveFollower>): string {
  const params: string[] = [];
  let run: LiveFollower | undefined;
  let list = false;
  let inbox = false;
  for (const f of all) {
    list ||= f.list === true;
    inbox ||= f.inbox === true;
    if (f.run) run = f;
  }
  if (list) params.push('list');
  if (inbox) params.push('inbox');
  if (run?.run) params.push(`run=${encodeURIComponent(run.run)}`, `after=${run.after?.() ?? 0}`);
  return params.length ? withTenant(`/stream?${params.join('&')}`) : '';
}

// another tenant chosen (the hash's `tenant=`): the stream of that tenant
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => plan());

/** Reopens the stream once per turn of the event loop, when the topics changed. */
function plan(): void {
  if (planned) return;
  planned = true;
  queueMicrotask(() => {
    planned = false;
    const url = streamUrl(followers);
    // the same topics (`after` aside: the open stream is already past it) keep the open stream
    if (source && url.replace(/&after=\d+/, '') === sourceUrl.replace(/&after=\d+/, '')) return;
    open(url);
  });
}

function open(url: string): void {
  source?.close();
  source = undefined;
  sourceUrl = url;
  clearTimeout(reopenTimer);
  if (!url) return;
  const stream = new EventSource(url);
  source = stream;
  const each = (call: (f: LiveFollower) => void): void => {
    for (const f of [...followers]) call(f);
  };
  const data = (e: Event): unknown => JSON.parse((e as MessageEvent<string>).data);
  stream.addEventListener('open', () => each((f) => f.onConnection?.(true)));
  stream.addEventListener('run', (e) => each((f) => f.list && f.onRun?.(data(e) as RunSummary)));
  stream.addEventListener('events', (e) => {
    const { runId, events } = data(e) as { runId: string; events: RunEvent[] };
    each((f) => f.run === runId && f.onEvents?.(runId, events));
  });
  stream.addEventListener('inbox', () => each((f) => f.inbox && f.onInbox?.()));
  stream.addEventListener('reset', () => each((f) => f.onReset?.()));
  stream.addEventListener('signed-out', () => {
    stream.close();
    // GET /session answers 401: the api layer shows the sign-in page
    void get('/session').catch(() => undefined);
  });
  stream.addEventListener('error', () => {
    each((f) => f.onConnection?.(false));
    if (stream.readyState !== EventSource.CLOSED || source !== stream) return;
    // refused (401, 404, 429…): the browser does not retry; find out whether the session ended, else try again later
    get('/session')
      .then(() => {
        if (source === stream) reopenTimer = setTimeout(() => open(streamUrl(followers)), 5000);
      })
      .catch((error: unknown) => {
        if (!(error instanceof ApiError) || error.status !== 401) reopenTimer = setTimeout(() => open(streamUrl(followers)), 5000);
      });
  });
}
