// The web console's live updates on `baton serve`'s HTTP thread: what changed in the store, told to the open
// streams (`GET /stream`, live-route.ts) of the run's tenant. Three sources feed it (docs/security.md, "Streams"):
// the executor thread's relay (runtime/src/telemetry/live-relay.ts), this thread's own writes (`changed`), and the
// store's watch for other writers (a CLI on the same SQLite file; workers behind `serve --queue` on PostgreSQL).
import { BroadcastChannel } from 'node:worker_threads';
import type { RunEvent } from '@baton/protocol';
import { BatonError, DEFAULT_TENANT, type LiveRelayLink, type LiveRelayMessage, type RunChanges, type RunRecord, type RunStoreApi } from '@baton/runtime';
import { HttpError } from './http-io.js';

/** The most streams open at once on one server, and per user (beyond them: 429 `TOO_MANY_STREAMS`). */
export const MAX_STREAMS = 500;
export const MAX_STREAMS_PER_USER = 8;
/** How many events one `events` message carries at most (a catch-up sends several). */
export const EVENTS_PER_MESSAGE = 1000;
/** A `run` message's inputs and outputs are left out beyond this many bytes of JSON each (`inputsTruncated`). */
export const SUMMARY_VALUE_BYTES = 2048;
/** How many runs the hub remembers the last list row and inbox state of (least recently seen forgotten first). */
const REMEMBERED_RUNS = 10_000;

/** What a stream follows: the tenant's runs list, its inbox, and one run's events after seq `after`. */
export interface LiveTopics {
  list: boolean;
  inbox: boolean;
  run?: string;
  /** The run's events already had (Last-Event-ID, or `after`): the stream sends those with a larger seq. */
  after: number;
}

/** Where a stream's messages go (an SSE response; see live-route.ts). */
export interface LiveSink {
  /** One message: its SSE `event:` name, its data (JSON), and its `id:` when given. */
  send(event: 'run' | 'events' | 'inbox' | 'reset', data: unknown, id?: string): void;
  /** Ends the stream (the server is closing). */
  end(): void;
}

/**
 * A run's list row as a `run` message carries it: the stored record, with its inputs and outputs replaced by `{}`
 * and `inputsTruncated`/`outputsTruncated` set when their JSON is over {@link SUMMARY_VALUE_BYTES} bytes.
 */
export type RunSummary = RunRecord & { inputsTruncated?: true; outputsTruncated?: true };

/** `run` as a list row ({@link RunSummary}). */
export function runSummary(run: RunRecord): RunSummary {
  const summary: RunSummary = { ...run };
  if (Buffer.byteLength(JSON.stringify(run.inputs)) > SUMMARY_VALUE_BYTES) Object.assign(summary, { inputs: {}, inputsTruncated: true });
  if (Buffer.byteLength(JSON.stringify(run.outputs)) > SUMMARY_VALUE_BYTES) Object.assign(summary, { outputs: {}, outputsTruncated: true });
  return summary;
}

/** Event types after which a run's row (status, wait, finish) may have changed: the list row is read again. */
const ROW_EVENTS: ReadonlySet<string> = new Set(['run.started', 'run.resumed', 'run.waiting', 'run.succeeded', 'run.failed', 'run.cancelled', 'cancel.requested', 'approval.requested', 'approval.decided', 'event.received', 'event.waiting', 'wait.started', 'lock.requested', 'lock.acquired', 'condition.waiting', 'sla.breached']);

/** Relayed event types after which the run no longer executes here (until it is continued). */
const STOP_EVENTS: ReadonlySet<string> = new Set(['run.waiting', 'run.succeeded', 'run.failed', 'run.cancelled']);
/**
 * How long after a run's last relayed event the store's watch reports of it are left to the relay, ms: a run whose
 * executor died (no closing event relayed) is read from the store again after this.
 */
const RELAY_TRUST_MS = 2000;

/** Relayed event types that change the tenant's inbox. */
const INBOX_EVENTS: ReadonlySet<string> = new Set(['approval.requested', 'approval.decided', 'sla.breached']);

/** One open stream. */
export class LiveStream {
  /** The highest seq of the followed run sent (or had) so far. */
  sentSeq: number;
  closed = false;
  private catching: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly hub: LiveHub,
    readonly tenant: string,
    readonly user: string,
    readonly topics: LiveTopics,
    readonly sink: LiveSink,
  ) {
    this.sentSeq = topics.after;
  }

  /** Events of the followed run (in seq order): sent when they continue what was sent, else a catch-up from the store. */
  offer(events: readonly RunEvent[]): void {
    if (this.closed) return;
    const fresh = events.filter((e) => e.seq > this.sentSeq);
    if (fresh.length === 0) return;
    // a gap (an event this stream has not had lies between): read the store from the last one sent. Events that
    // continue what was sent go out at once, even while a read is under way (it skips what was sent meanwhile), so a
    // read waiting for the store's lock never holds back the relay.
    if (!fresh.every((e, i) => e.seq === this.sentSeq + 1 + i)) return this.catchUp();
    this.sentSeq = fresh[fresh.length - 1].seq;
    this.sink.send('events', { runId: this.topics.run, events: fresh }, String(this.sentSeq));
  }

  /**
   * Sends the followed run's stored events after {@link sentSeq}, in pages of {@link EVENTS_PER_MESSAGE}, until none
   * is left; events offered meanwhile make it read again. Never two at once.
   */
  catchUp(): void {
    if (this.closed || !this.topics.run) return;
    if (this.catching) {
      this.dirty = true;
      return;
    }
    const runId = this.topics.run;
    this.catching = (async () => {
      do {
        this.dirty = false;
        let page: RunEvent[];
        do {
          page = await this.hub.eventsSince(runId, this.sentSeq, this.tenant);
          if (this.closed) return;
          const fresh = page.filter((e) => e.seq > this.sentSeq);
          if (fresh.length === 0) break;
          this.sentSeq = fresh[fresh.length - 1].seq;
          this.sink.send('events', { runId, events: fresh }, String(this.sentSeq));
        } while (page.length === EVENTS_PER_MESSAGE);
      } while (this.dirty && !this.closed);
    })()
      .catch((error: unknown) => this.hub.log(`stream: the events of run ${runId} could not be read: ${(error as Error).message}`))
      .finally(() => {
        this.catching = undefined;
        // events offered between the last read and now (the loop had ended): read again
        if (this.dirty) this.catchUp();
      });
  }

  /** Resolves when no catch-up is under way (tests, close). */
  settled(): Promise<void> {
    return this.catching ?? Promise.resolve();
  }
}

/** Options of {@link LiveHub}. */
export interface LiveHubOptions {
  store: RunStoreApi;
  /** The executor thread's relay (absent: runs executed here reach the hub through the store's watch). */
  relay?: LiveRelayLink;
  /** How often a polling store's watch (SQLite) looks, ms (default 250). */
  pollMs?: number;
  /** Default {@link MAX_STREAMS}. */
  maxStreams?: number;
  /** Default {@link MAX_STREAMS_PER_USER}. */
  maxStreamsPerUser?: number;
  log: (line: string) => void;
}

/**
 * Tells the open streams what changed, each stream only its own tenant's runs:
 * - `events` (a followed run's new events, in seq order, with no gap: a stream that sees a gap reads the store with
 *   `eventsSince` from the last seq it sent; one that gets an event twice, from two sources, sends it once);
 * - `run` (a run of the tenant created or changed: its {@link RunSummary}; the same row is never sent twice in a row);
 * - `inbox` (a run's approvals waiting or its SLA breach changed: the page reads `GET /approvals` again);
 * - `reset` (the store's watch may have missed changes: the page reads again what it shows).
 * The store's watch and the relay run only while a stream is open. A report of a run the store no longer has
 * (deleted) is dropped; no source's failure reaches a stream or the server.
 */
export class LiveHub {
  private readonly streams = new Set<LiveStream>();
  private readonly perUser = new Map<string, number>();
  /** Each remembered run's tenant, last list row sent (JSON) and inbox state. */
  private readonly known = new Map<string, { tenant: string; row?: string; inbox?: string }>();
  private readonly toRead = new Set<string>();
  /** Runs to read whose relayed events changed the inbox (an approval requested or decided, an SLA breached). */
  private readonly inboxRuns = new Set<string>();
  private reading: Promise<void> | undefined;
  private readonly inboxDue = new Set<string>();
  /** Runs executing here now, by the time (ms, monotonic) of their last relayed event (see {@link watched}). */
  private readonly relayed = new Map<string, number>();
  private input: BroadcastChannel | undefined;
  private watch: Promise<(() => Promise<void>) | undefined> | undefined;
  private closed = false;
  readonly log: (line: string) => void;

  constructor(private readonly options: LiveHubOptions) {
    this.log = options.log;
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream of `user` (a principal's name: unique on the server) in `tenant`, and starts the sources when it
   * is the first. The per-user limit counts the user's streams in all its tenants.
   * A followed run's stored events after `topics.after` are sent at once.
   * @throws HttpError 429 `TOO_MANY_STREAMS` beyond {@link MAX_STREAMS} on the server or {@link MAX_STREAMS_PER_USER} per user.
   */
  open(tenant: string, user: string, topics: LiveTopics, sink: LiveSink): LiveStream {
    const key = user;
    const maxStreams = this.options.maxStreams ?? MAX_STREAMS;
    const perUser = this.options.maxStreamsPerUser ?? MAX_STREAMS_PER_USER;
    if (this.streams.size >= maxStreams) throw new HttpError(429, 'TOO_MANY_STREAMS', `this server has ${maxStreams} live streams open, its most: try again later`, { 'retry-after': '5' });
    if ((this.perUser.get(key) ?? 0) >= perUser) throw new HttpError(429, 'TOO_MANY_STREAMS', `${user} has ${perUser} live streams open, the most per user: close a console tab`, { 'retry-after': '5' });
    const stream = new LiveStream(this, tenant, user, topics, sink);
    this.streams.add(stream);
    this.perUser.set(key, (this.perUser.get(key) ?? 0) + 1);
    if (this.streams.size === 1) this.startSources();
    stream.catchUp();
    return stream;
  }

  /** Closes `stream` (its connection ended); the sources stop with the last one. */
  closeStream(stream: LiveStream): void {
    if (!this.streams.delete(stream)) return;
    stream.closed = true;
    const key = stream.user;
    const left = (this.perUser.get(key) ?? 1) - 1;
    if (left === 0) this.perUser.delete(key);
    else this.perUser.set(key, left);
    if (this.streams.size === 0) this.stopSources();
  }

  /** Runs this thread changed (a start, a decision, an event, a cancellation, a redrive): told once stored. */
  changed(runIds: readonly string[]): void {
    if (this.streams.size === 0) return;
    for (const id of runIds) {
      this.readRow(id);
      for (const stream of this.streams) if (stream.topics.run === id) stream.catchUp();
    }
  }

  /** Events relayed by the executing thread (stored, in order per run). */
  receive(events: readonly RunEvent[]): void {
    if (this.streams.size === 0) return;
    const byRun = new Map<string, RunEvent[]>();
    for (const event of events) byRun.set(event.runId, [...(byRun.get(event.runId) ?? []), event]);
    const now = performance.now();
    for (const [runId, list] of byRun) {
      this.relayed.delete(runId);
      if (!STOP_EVENTS.has(list[list.length - 1].type)) this.relayed.set(runId, now);
      if (this.relayed.size > REMEMBERED_RUNS) this.relayed.delete(this.relayed.keys().next().value!);
      for (const stream of this.streams) if (stream.topics.run === runId) stream.offer(list);
      if (list.some((e) => ROW_EVENTS.has(e.type))) this.readRow(runId, list.some((e) => INBOX_EVENTS.has(e.type)));
    }
  }

  /** What the store's watch reported (see `RunStoreApi.watchRuns`). */
  watched(changes: RunChanges, runs?: readonly RunRecord[]): void {
    if (this.streams.size === 0) return;
    if (changes === 'all') {
      for (const stream of this.streams) {
        stream.sink.send('reset', {});
        stream.catchUp();
      }
      return;
    }
    const read = new Map((runs ?? []).map((r) => [r.id, r]));
    const now = performance.now();
    for (const id of changes) {
      const run = read.get(id);
      if (run) this.noteRow(run);
      else this.readRow(id);
      // a run executing here reaches its streams through the relay, right after each commit: reading its events
      // again would only wait for the executor's lock (on SQLite a read that waits blocks this thread)
      const relayedAt = this.relayed.get(id);
      if (relayedAt !== undefined && now - relayedAt < RELAY_TRUST_MS) continue;
      for (const stream of this.streams) if (stream.topics.run === id) stream.catchUp();
    }
  }

  /** Run `runId`'s stored events after `afterSeq`, of `tenant`'s runs only (none for another's or a missing run). */
  async eventsSince(runId: string, afterSeq: number, tenant: string): Promise<RunEvent[]> {
    const store = this.options.store;
    if (store.eventsSince) return store.eventsSince(runId, afterSeq, EVENTS_PER_MESSAGE, { tenant });
    try {
      return (await store.getEvents(runId, { tenant })).filter((e) => e.seq > afterSeq).slice(0, EVENTS_PER_MESSAGE);
    } catch (error) {
      if (error instanceof BatonError && error.code === 'RUN_NOT_FOUND') return [];
      throw error;
    }
  }

  /** Ends every stream and stops the sources. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) {
      stream.closed = true;
      stream.sink.end();
    }
    this.streams.clear();
    this.perUser.clear();
    await this.stopSources();
    await this.reading;
  }

  /** Reads run `id`'s row (batched: one read per run per turn) and tells the list and inbox streams. */
  private readRow(id: string, inbox = false): void {
    // only list and inbox streams show rows: a server whose streams all follow single runs reads none
    let rows = false;
    for (const stream of this.streams) rows ||= stream.topics.list || stream.topics.inbox;
    if (!rows) return;
    this.toRead.add(id);
    if (inbox) this.inboxRuns.add(id);
    if (this.reading) return;
    this.reading = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      while (this.toRead.size > 0 && !this.closed) {
        const ids = [...this.toRead];
        this.toRead.clear();
        for (const runId of ids) {
          try {
            const run = await this.options.store.getRun(runId);
            this.noteRow(run);
            if (this.inboxRuns.delete(runId)) this.inboxChanged(run.tenant ?? DEFAULT_TENANT);
          } catch (error) {
            // a run deleted since it changed: nothing to show
            this.inboxRuns.delete(runId);
            if (error instanceof BatonError && error.code === 'RUN_NOT_FOUND') this.known.delete(runId);
            else this.log(`stream: run ${runId} could not be read: ${(error as Error).message}`);
          }
        }
      }
      this.reading = undefined;
    });
  }

  /** Tells the tenant's list streams `run`'s row when it differs from the last one sent, and its inbox streams when its approvals changed. */
  private noteRow(run: RunRecord): void {
    if (this.closed) return;
    const tenant = run.tenant ?? DEFAULT_TENANT;
    const summary = runSummary(run);
    const row = JSON.stringify(summary);
    const inbox = `${run.waitingOn.flatMap((w) => (w.kind === 'approval' ? [w.task] : [])).join(',')}|${(run as { slaBreachedAt?: string }).slaBreachedAt ?? ''}`;
    const before = this.known.get(run.id);
    this.known.delete(run.id);
    this.known.set(run.id, { tenant, row, inbox });
    if (this.known.size > REMEMBERED_RUNS) this.known.delete(this.known.keys().next().value!);
    if (before?.row !== row) for (const stream of this.streams) if (stream.topics.list && stream.tenant === tenant) stream.sink.send('run', summary);
    // a run first seen with nothing for the inbox changed nothing there
    if (before ? before.inbox !== inbox : inbox !== '|') this.inboxChanged(tenant);
  }

  /** One `inbox` message per tenant per turn. */
  private inboxChanged(tenant: string): void {
    if (this.inboxDue.has(tenant)) return;
    this.inboxDue.add(tenant);
    setImmediate(() => {
      this.inboxDue.delete(tenant);
      for (const stream of this.streams) if (stream.topics.inbox && stream.tenant === tenant) stream.sink.send('inbox', {});
    });
  }

  private startSources(): void {
    if (this.closed) return;
    const relay = this.options.relay;
    if (relay) {
      this.input = new BroadcastChannel(relay.channel);
      this.input.unref();
      this.input.onmessage = (message) => this.receive((message as { data: LiveRelayMessage }).data.events);
      Atomics.store(relay.flag, 0, 1);
    }
    const previous = this.watch ?? Promise.resolve(undefined);
    this.watch = previous.then(async (stop) => {
      await stop?.();
      if (this.streams.size === 0 || this.closed) return undefined;
      return this.options.store
        .watchRuns((changes, runs) => this.watched(changes, runs), {
          pollMs: this.options.pollMs,
          onConnection: (state, message) => this.log(`stream: the store's watch ${state === 'lost' ? 'was lost' : 'is back'}: ${message}`),
        })
        .then((stop) => {
          // what was stored after a stream's first read and before the watch listened was never reported to it
          // (a run continued at once after its page opened): every open stream reads its run once more
          for (const stream of this.streams) stream.catchUp();
          return stop;
        })
        .catch((error: unknown) => {
          this.log(`stream: the store cannot be watched (other writers' runs are not live): ${(error as Error).message}`);
          return undefined;
        });
    });
  }

  private stopSources(): Promise<void> {
    if (this.options.relay) Atomics.store(this.options.relay.flag, 0, 0);
    this.input?.close();
    this.input = undefined;
    this.known.clear();
    this.relayed.clear();
    const watch = this.watch;
    this.watch = undefined;
    return (watch ?? Promise.resolve(undefined)).then((stop) => stop?.());
  }
}
