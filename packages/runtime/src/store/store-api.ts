/**
 * The run store's contract (issue 11): one asynchronous interface with two implementations that pass one
 * conformance suite (test/store/conformance.ts) — the embedded SQLite store (the default: `baton run`, `baton
 * test`, the editor) and the PostgreSQL store (`--store postgres://…`, for a cluster). Everything the engine,
 * the supervisors, the CLI and the server ask of a store goes through it.
 *
 * Shapes are the SQLite store's (`RunRecord`, `RunEvent`, ISO 8601 times). What is new for a shared store:
 * - start keys are claimed atomically with the run they start ({@link RunStoreApi.createRun}'s `startKey`);
 * - a run has a lease — owner, expiry, epoch — claimed with the database's clock ({@link RunStoreApi.claimLease});
 *   while a handle holds a run's lease, every flush of that run's events checks the epoch in the same
 *   transaction, and a handle whose lease was taken over writes nothing and fails with `LEASE_LOST`.
 *
 * Errors are `BatonError`s with the codes the SQLite store uses (`RUN_NOT_FOUND`, `RUN_FINISHED`, …) plus
 * `LEASE_LOST`, `EVENTS_CONFLICT` (see {@link SIGNAL_EVENT_TYPES}), `STORE_UNREACHABLE` (a server store that
 * cannot be reached: host, port, refused password).
 */
import type { LockStoreApi } from './lock-api.js';
import type { EventBufferedEvent, JsonValue, NewRunEvent, RunAgents, RunError, RunEvent, RunStatus, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import type { ChainRow } from './event-chain.js';
import type { DeliveryRecord, NotificationRecord, RunCounts, RunRecord, RunStats } from '@baton/protocol';
import type { DueSla, SlaBreach } from './sla-api.js';

export type { DueSla, SlaBreach } from './sla-api.js';
export type { RunRecord, RunCounts, RunStats, FlowStats, StepStats, NotificationRecord, DeliveryRecord } from '@baton/protocol';

/** A `.flow` file's text as compiled into a definition (see {@link NewRun.sources}). */
export interface SourceFile {
  /** The file as the definition names it (`WorkflowDefinition.files`: workspace-relative, `/`-separated). */
  file: string;
  text: string;
}

/**
 * The events others append to a run that someone else executes: decisions, received events, cancellations, a lock handed over by its holder,
 * an SLA breach a poller saw ({@link RunStoreApi.recordDecision}, {@link RunStoreApi.recordSignal}, {@link RunStoreApi.requestCancel}).
 * When a flush finds that seqs its buffered events were numbered with were taken meanwhile, the buffered
 * events go after the stored ones only if every event stored since is one of these (the executor reads them
 * as signals); anything else — a second executor's steps — fails the flush with `EVENTS_CONFLICT` and its
 * buffered events of that run are dropped, so two executors never interleave one log.
 */
export const SIGNAL_EVENT_TYPES: ReadonlySet<string> = new Set(['approval.decided', 'event.received', 'event.buffered', 'cancel.requested', 'run.cancelled', 'lock.acquired', 'sla.breached']);

/**
 * Limits a store method to one tenant's runs (issue 11), in the method's query: to a scoped caller a run of another
 * tenant is exactly a missing run — `RUN_NOT_FOUND`, no events, never a match that makes an id prefix ambiguous,
 * nothing recorded on it. Without a scope (or without `tenant`) a method sees every tenant's runs: the CLI on a
 * store, the supervisors and the engine (`baton serve` scopes every request of its runs API and triggers).
 */
export interface TenantScope {
  /** The tenant's id (`default` for runs started without one). */
  tenant?: string;
}

/** A new run (see {@link RunStoreApi.createRun}). */
export interface NewRun {
  flow: string;
  file?: string;
  inputs: Record<string, JsonValue>;
  definition: WorkflowDefinition;
  /** ISO 8601. */
  startedAt: string;
  status?: 'running' | 'queued';
  agents?: RunAgents;
  /** The tenant the run belongs to (default `default`). */
  tenant?: string;
  /**
   * The run's first event (`run.started`), stored with the run in the same transaction as seq 1 at `startedAt`: no
   * reader (a cluster's reconciler, another worker) ever finds the run without it.
   */
  started?: NewRunEvent;
  /**
   * The `.flow` texts the definition was compiled from, taken from the documents it was built from (never re-read).
   * Stored in the run's transaction, once per content (`sources`, by SHA-256) and per (definition, file)
   * (`definition_sources`); `getDefinitionSources` reads them back. Absent: nothing stored (the console then says
   * "source not stored").
   */
  sources?: readonly SourceFile[];
  /** The flow's SLA deadline (`startedAt + sla`, ISO 8601), when the flow declares one: `runs.sla_flow_at`. */
  slaFlowAt?: string;
  /** The run's first SLA deadline to watch (ISO 8601; normally {@link slaFlowAt}): `runs.sla_due_at`. */
  slaDueAt?: string;
}

/** The state columns {@link RunStoreApi.updateRun} changes. */
export interface RunUpdate {
  status?: RunStatus;
  finishedAt?: string | null;
  outputs?: Record<string, JsonValue>;
  error?: RunError | null;
  waitingOn?: WaitingOn[];
  agents?: RunAgents;
  /**
   * The nearest SLA deadline not yet breached (ISO 8601), or null when none is left: `runs.sla_due_at`, which the
   * SLA pollers read (`dueSlas`). The engine writes it whenever it writes {@link waitingOn}.
   */
  slaDueAt?: string | null;
}

/**
 * What {@link RunStoreApi.listRuns} and {@link RunStoreApi.listRunsPage} select. Runs come newest first, by id (a
 * ULID: its first 10 characters are the start time, so a time range is an id range — see `runIdBound`).
 */
export interface RunFilter {
  status?: RunStatus;
  flow?: string;
  /** Default 50. */
  limit?: number;
  /** Only this tenant's runs (every tenant's when absent). */
  tenant?: string;
  /** Keyset paging: only runs whose id is less than this one (the previous page's `next`). */
  before?: string;
  /** Only runs whose id is ≥ this (a time's lower bound: `runIdBound(from)`). */
  fromId?: string;
  /** Only runs whose id is < this (a time's upper bound: `runIdBound(to)`). */
  toId?: string;
  /**
   * Only runs whose inputs (their JSON text) contain this text, case-insensitively for ASCII (SQL `LIKE`, `%` and `_`
   * taken literally). The scan stops after {@link RUN_TEXT_SCAN_LIMIT} runs: see {@link RunPage.searchedTo}.
   */
  text?: string;
}

/**
 * How many runs a text search ({@link RunFilter.text}) looks at per page before it stops (and says where: `searchedTo`).
 * Sized so that a page whose text matches nothing still opens within the runs list's 300 ms (issue 13): a scan reads
 * each run's row, ~1–2 µs a run on SQLite (node-sqlite3-wasm) and about as much on PostgreSQL (`ILIKE`), so 20,000
 * runs cost ~20–40 ms beside the page's ~270 ms (bench/cases/console-list-page.ts, bench/README.md). Older runs are
 * searched a page at a time ("Search older": `before` = `searchedTo`).
 */
export const RUN_TEXT_SCAN_LIMIT = 20_000;

/** How {@link RunStoreApi.listRunsPage} searches. */
export interface ListOptions {
  /** How many runs a text search looks at per page (default {@link RUN_TEXT_SCAN_LIMIT}; tests and benches lower it). */
  scanLimit?: number;
}

/** One page of {@link RunStoreApi.listRunsPage}. */
export interface RunPage {
  /** At most `limit` runs, newest first. */
  runs: RunRecord[];
  /** The id to pass as `before` for the next page; absent on the last page. */
  next?: string;
  /**
   * A text search stopped after {@link RUN_TEXT_SCAN_LIMIT} runs without filling the page: the oldest id it looked
   * at. Older runs were not searched; pass it as `before` to search on ("search older").
   */
  searchedTo?: string;
}

/** What {@link RunStoreApi.runStats} summarizes: one tenant's runs started in [`from`, `to`), of one flow or all. */
export interface RunStatsQuery {
  tenant: string;
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive. */
  to: string;
  flow?: string;
}

/** How a send ended (see {@link RunStoreApi.markDelivery}). */
export type DeliveryOutcome = { status: 'sent' } | { status: 'pending'; nextAt: string; error: string } | { status: 'dead'; error: string };

/**
 * A run's lease: who executes it until when. `epoch` grows by one at every claim of the run by anyone; a flush
 * succeeds only while the run's epoch is still the one its writer claimed (fencing: the writer that lost the
 * lease — paused, partitioned — writes nothing).
 */
export interface Lease {
  runId: string;
  /** Who holds it: a worker's id (`host/pid/random`). */
  owner: string;
  epoch: number;
  /** ISO 8601, by the database's clock. */
  expiresAt: string;
}

/**
 * What {@link RunStoreApi.watchRuns} reports: the ids of runs whose row or events changed in commits made since
 * the last report (by any handle or process; at least once each, possibly a run more than once, never for a
 * change that did not commit), or `'all'` when changes may have been missed (the watch lost its connection and
 * got it back): re-read everything shown.
 */
export type RunChanges = readonly string[] | 'all';

/** Options of {@link RunStoreApi.watchRuns}. */
export interface RunWatchOptions {
  /**
   * Told when the watch loses its connection (`lost`, once, with one line saying what and where — then it
   * reconnects with backoff: 0.25 s doubling up to 5 s) and when it has it back (`restored`, followed by a
   * report of `'all'`). SQLite stores never lose one.
   */
  onConnection?: (state: 'lost' | 'restored', message: string) => void;
  /** How often a store that polls (SQLite) looks for commits, ms (default 250). */
  pollMs?: number;
}

/**
 * A run's move to another definition, proved compatible beforehand (see `migrateRun` in runtime/src/migrate/).
 * `from` is the definition hash (SHA-256 hex of its JSON) the proof was made against; `event` is the `run.migrated`
 * event; `waitingOn` the run's waits as the new definition names them.
 */
export interface RunMigration {
  from: string;
  definition: WorkflowDefinition;
  flow: string;
  waitingOn: WaitingOn[];
  event: NewRunEvent;
  /** The file the new definition comes from: the run's `file` from now on (kept when absent). */
  file?: string;
  /**
   * The run's SLA columns under the new definition (`runs.sla_flow_at`, `runs.sla_due_at`; null: none), written with
   * it; absent: left as they are.
   */
  sla?: { flowAt: string | null; dueAt: string | null };
  /** The new definition's `.flow` texts, stored in the migration's transaction (see {@link NewRun.sources}). */
  sources?: readonly SourceFile[];
  /**
   * Crash-test hook (`BATON_CRASH_AT=migrate`): called inside the transaction after every write, before the commit —
   * a process killed there must leave the run on its old definition.
   */
  beforeCommit?: () => void;
}

/**
 * The run store contract (see the module comment), named locks included ({@link LockStoreApi}). Every method may
 * throw `STORE_*` errors of its implementation.
 */
export interface RunStoreApi extends LockStoreApi {
  /** Where the store is, for messages: a file path, or a `postgres://` URL without its password. */
  readonly location: string;

  /**
   * Stores a new run (and its definition, once per content). With `startKey`, the run is stored only if the key
   * (unique within `scope` and the run's tenant: two tenants may use one key) is new — atomically, so that two front doors given one key make one run.
   * @returns the new run's id (`duplicate: false`), or the run the key already started (`duplicate: true`,
   *   nothing stored).
   */
  createRun(init: NewRun, startKey?: { scope: string; key: string }): Promise<{ id: string; duplicate: boolean }>;
  /** Updates a run's state columns; buffered events are flushed first, in the same transaction. */
  updateRun(id: string, fields: RunUpdate): Promise<void>;
  /**
   * The run whose id is `idOrPrefix` or starts with it (≥ 4 characters), among `scope`'s tenant's runs (all runs
   * without a scope); undefined when none. @throws `RUN_ID_AMBIGUOUS`.
   */
  findRun(idOrPrefix: string, scope?: TenantScope): Promise<RunRecord | undefined>;
  /** {@link findRun}, or `RUN_NOT_FOUND`. */
  getRun(idOrPrefix: string, scope?: TenantScope): Promise<RunRecord>;
  /** The definition a run was started from. @throws `RUN_NOT_FOUND`. */
  getDefinition(id: string): Promise<WorkflowDefinition>;
  /**
   * Stores a definition made while a run executes — a flow an agent wrote and its policy accepted (docs/agents.md) —
   * once per content like every definition (`definitions`, by the SHA-256 of its JSON), with its `.flow` texts
   * (`definition_sources`), in one transaction. @returns its hash (SHA-256 hex).
   */
  putDefinition(definition: WorkflowDefinition, sources?: readonly SourceFile[]): Promise<string>;
  /** A stored definition by its hash (SHA-256 hex; a `sha256:` prefix is allowed). @throws `DEFINITION_NOT_FOUND`. */
  getDefinitionByHash(hash: string): Promise<WorkflowDefinition>;
  /** The `.flow` texts stored with a definition, by its hash (empty when none were). */
  getSourcesByHash(hash: string): Promise<SourceFile[]>;
  /** Runs, newest first. */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;

  /**
   * Buffers an event of `runId` (numbered now: the next `seq` of the run); nothing is stored until {@link flush}
   * (or a method that flushes) commits it. Synchronous: appending never waits — so the run must be one this
   * handle knows the log's end of: created by it, its events read ({@link getEvents}) or its lease claimed.
   * @returns the complete event.
   * @throws BatonError `RUN_NOT_LOADED` (a server store, for a run this handle does not know yet).
   */
  append(runId: string, event: NewRunEvent, time?: Date): RunEvent;
  /**
   * Writes every buffered event in one transaction. For a run whose lease this handle holds, the run's epoch is
   * checked in that transaction. Buffered events leave the buffer only once committed.
   *
   * A run whose buffered events the store refuses — `LEASE_LOST` (the lease was taken over) or `EVENTS_CONFLICT`
   * (another writer appended other than {@link SIGNAL_EVENT_TYPES} to it) — has them dropped, and the other runs'
   * events are written all the same: one run's refusal never fails another run's write (a decision, a start, another
   * run's flush or state update sharing the transaction). The refusal is kept for the refused run, whose own writes
   * — `flush(runId)`, `updateRun(runId)` — reject with it until this handle claims or releases the run's lease or
   * reads its log again ({@link getEvents}).
   * @param runId the run whose execution asks (an engine's commit): the flush rejects only with that run's refusal,
   *   met now or kept. Without it: with the first refusal this flush met.
   * @throws BatonError `LEASE_LOST`, `EVENTS_CONFLICT` as above (that run's events not written, the others' written).
   */
  flush(runId?: string): Promise<void>;
  /** The run's events in order (buffered ones included); none for a run that is missing or not `scope`'s tenant's. */
  getEvents(runId: string, scope?: TenantScope): Promise<RunEvent[]>;

  /**
   * Records a decision on a waiting approval of a run (of `scope`'s tenant; see the SQLite store).
   * @throws `RUN_NOT_FOUND`, `RUN_FINISHED`, `TASK_NOT_WAITING`, `DECISION_INVALID`.
   */
  recordDecision(runId: string, task: string, decision: { decision: string; by?: string; comment?: string }, scope?: TenantScope): Promise<RunEvent>;
  /**
   * Delivers an event to a run (of `scope`'s tenant) waiting for it (`event.received`), or keeps it in the run's
   * log for a later `wait event` (`event.buffered`, a persistent trigger) — see `eventSignal` in signal-rules.ts.
   * `by`: who sent it (the authenticated caller on `baton serve`), recorded on the event.
   * @throws `RUN_NOT_FOUND`, `RUN_FINISHED`, `EVENT_NOT_AWAITED`, `EVENT_DATA_INVALID`, `EVENT_BUFFER_FULL`.
   */
  recordSignal(runId: string, eventName: string, data: JsonValue, scope?: TenantScope, by?: string): Promise<RunEvent>;
  /**
   * Keeps a broadcast event (`POST /events/:name`) that reached no waiting run, for a run's later `wait event` to
   * take (its event type says `buffer: D max N`): kept `keep.ms`, at most `keep.max` open ones per (tenant, event).
   * @returns the kept event's id and when it expires (ISO 8601).
   * @throws BatonError `EVENT_BUFFER_FULL` (nothing kept).
   */
  keepBroadcast?(eventName: string, data: JsonValue, keep: { ms: number; max: number }, scope?: TenantScope): Promise<{ id: string; expires: string }>;
  /**
   * The oldest kept broadcast of `eventName` (of the run's tenant, not expired at `now`, matching `where`) for the
   * wait `key` of run `runId`, marked taken by that wait — or the one that wait took before (so a run that crashed
   * before recording it takes the same one again). With `peek`, nothing is marked.
   */
  takeBroadcast?(runId: string, key: string, eventName: string, where: { path: string[]; value: JsonValue } | undefined, now: Date, peek?: boolean): Promise<{ id: string; data: JsonValue } | undefined>;
  /**
   * The `event.buffered` events stored in run `runId`'s log after `afterSeq`, in order — what senders kept for it
   * while it executes (an event loop polls them to start instances beside its running ones). Only reads: unlike
   * {@link getEvents}, it changes nothing this handle knows of the run (its next `seq`, a kept refusal).
   */
  keptEventsSince?(runId: string, afterSeq: number): Promise<EventBufferedEvent[]>;
  /**
   * Asks a run (of `scope`'s tenant) to stop (see the SQLite store). @returns its status after the request.
   * @throws `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  requestCancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus>;
  /**
   * Moves a `waiting` or `interrupted` run to another definition, in one transaction: the definition stored (once
   * per content), the run's definition, flow, file and waits switched, and `migration.event` appended at the log's end —
   * a crash leaves the run on the old definition or the new one, never between.
   * @returns the stored `run.migrated` event.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_CHANGED` (the run is no longer waiting or interrupted, or no longer has
   *   definition `migration.from`: it moved since the proof — nothing written), `RUN_BUSY` (an executor holds its
   *   live lease).
   */
  migrateRun?(runId: string, migration: RunMigration, scope?: TenantScope): Promise<RunEvent>;
  /**
   * Whether someone asked this run to stop. With `maxAgeMs` (ms), the store may answer with what it read of the
   * run at most that long ago (the PostgreSQL store reads the flag with every write of a run whose lease it holds),
   * sparing a query; without it, the answer is read now.
   */
  isCancelRequested(runId: string, options?: { maxAgeMs?: number }): Promise<boolean>;

  /**
   * Claims the run's lease for `owner` for `ttlMs` (database clock) when it is free, expired, or already
   * `owner`'s; the epoch grows by one. From now on this handle fences the run's flushes with that epoch.
   * With `from`, the lease is also claimed when `from` holds it, expired or not: the caller knows that holder
   * is gone (a process of this machine that no longer exists), so its runs need not wait for the expiry.
   * @returns the lease, or undefined when another owner holds an unexpired one.
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  claimLease(runId: string, owner: string, ttlMs: number, from?: string): Promise<Lease | undefined>;
  /** The run's lease as stored (expired or not), or undefined when nobody holds it. @throws BatonError `RUN_NOT_FOUND`. */
  leaseOf(runId: string): Promise<Lease | undefined>;
  /** Extends a held lease by `ttlMs` from now. @throws `LEASE_LOST` when its epoch is no longer the run's. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease>;
  /**
   * Flushes, then lets the lease go (the run is free to claim at once) and stops fencing the run's flushes;
   * a lease already lost is ignored.
   */
  releaseLease(lease: Lease): Promise<void>;

  /**
   * Follows the store's committed changes until the returned function is called: `listener` receives the ids of
   * runs created or changed (state columns or events; not lease renewals) by any handle or process — see
   * {@link RunChanges}; `runs`, when given (SQLite), are the reported runs as committed — the listener need not read
   * them again (on SQLite a read that waits for the lock would slow a writer). PostgreSQL: `LISTEN`, fed by `NOTIFY`s its triggers send in the writing transaction (so a
   * report means committed). SQLite: a look every {@link RunWatchOptions.pollMs} at the file's change counter,
   * then — only when it moved — at the unfinished runs (status, cancel flag, wait, last event seq) and the new ones.
   * @returns resolves once the watch is listening (a change committed after that is reported); calling the
   *   function it gives stops it (no report after its promise resolves).
   * @throws BatonError `STORE_UNREACHABLE` when it cannot start listening.
   */
  watchRuns(listener: (changes: RunChanges, runs?: readonly RunRecord[]) => void, options?: RunWatchOptions): Promise<() => Promise<void>>;

  /**
   * The audit trail (issue 13): one page of stored events with their chain links (`prev_hash`, `hash`; see
   * event-chain.ts), ordered by run id then seq, after `after` (exclusive; from the start when undefined), of the runs
   * `runIds` only when given — every run's, tenant or not: an operator's read of the whole store. Keyset-paged, so a
   * reader of 100,000 runs holds one page at a time.
   */
  readChain?(after: { runId: string; seq: number } | undefined, limit: number, runIds?: readonly string[]): Promise<ChainRow[]>;

  // ---------------------------------------------------------------------------------------------------------
  // The operations console (issue 13). Optional: both stores implement them (SQLite schema 8, PostgreSQL migration 7).
  // ---------------------------------------------------------------------------------------------------------

  /**
   * One page of runs, newest first (keyset on id; see {@link RunFilter}): `next` when the page is full. Uses the
   * `(tenant[, flow][, status], id)` indexes; a time range is an id range.
   */
  listRunsPage?(filter: RunFilter, options?: ListOptions): Promise<RunPage>;
  /** How many runs match `filter` per status (its `limit`, `before` and `text` ignored): the list's chips. */
  countRuns?(filter: Omit<RunFilter, 'status' | 'limit' | 'before' | 'text'>): Promise<RunCounts>;
  /**
   * The run's stored events with `seq > afterSeq`, in order, at most `limit`; none for a missing run or one that is
   * not `scope`'s tenant's. Only reads: nothing this handle knows of the run changes (unlike {@link getEvents}).
   */
  eventsSince?(runId: string, afterSeq: number, limit: number, scope?: TenantScope): Promise<RunEvent[]>;
  /**
   * The `.flow` texts stored with the run's definition ({@link NewRun.sources}), by file; `sources` is empty when
   * none were stored (a run created before schema 8, or without sources). `definition` is its hash (SHA-256 hex).
   * @throws BatonError `RUN_NOT_FOUND` (also for a run that is not `scope`'s tenant's).
   */
  getDefinitionSources?(runId: string, scope?: TenantScope): Promise<{ definition: string; sources: SourceFile[] }>;
  /** The metrics page's figures (see {@link RunStats}). */
  runStats?(query: RunStatsQuery): Promise<RunStats>;

  /**
   * SLA (design §3; implemented in sqlite-sla.ts / pg-sla.ts): the runs not ended whose `sla_due_at` ≤ `now`,
   * earliest first, at most `limit` (default 500); only `scope`'s tenant's when it names one (a reconciler per tenant).
   */
  dueSlas?(now: Date, limit?: number, scope?: TenantScope): Promise<DueSla[]>;
  /**
   * Records an SLA breach of run `runId` in one transaction: inserts (`runId`, `breach.key`) into `sla_breaches`; when
   * that row is new, appends `breach.event` at the log's end (a signal: see {@link SIGNAL_EVENT_TYPES}), sets
   * `sla_breached_at` (when still null) and `sla_due_at = breach.nextDue(…)`. A row already there means another poller
   * (or the engine) recorded it: no event (only `sla_due_at` is recomputed, so a stale value converges).
   * @returns the stored event, or undefined when the breach was already recorded.
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  recordSlaBreach?(runId: string, breach: SlaBreach, now: Date): Promise<RunEvent | undefined>;
  /**
   * The engine's side of a breach it finds late (a run ending, a decision read, after the deadline): inserts
   * (`runId`, `key`) into `sla_breaches` (and `sla_breached_at` when still null) without an event — the engine then
   * records `sla.breached` in its own log, so its events keep their order. @returns whether the row is new (false:
   * a poller recorded the breach, its event is in the log). @throws BatonError `RUN_NOT_FOUND`.
   */
  claimSlaBreach?(runId: string, key: string, deadline: string, now: Date): Promise<boolean>;
  /**
   * Recomputes `sla_due_at` of a run a poller found due with nothing due in it any more (its approval decided, say):
   * `nextDue` of the run as stored in the transaction and its breached keys. @throws BatonError `RUN_NOT_FOUND`.
   */
  refreshSlaDue?(runId: string, nextDue: SlaBreach['nextDue']): Promise<void>;

  /**
   * Notifications (design §4; implemented in sqlite-outbox.ts / pg-outbox.ts): turns the outbox trigger on or off
   * (SQLite: `meta` key `notifications` = `'on'`; PostgreSQL: `settings.notifications`). Off by default.
   */
  setNotificationsEnabled?(on: boolean): Promise<void>;
  /** Notifications not yet expanded into deliveries, oldest first, at most `limit`. */
  newNotifications?(limit: number): Promise<NotificationRecord[]>;
  /**
   * In one transaction: inserts a pending delivery (due `now`) per channel of `channels` (ON CONFLICT DO NOTHING:
   * ids are deterministic) and marks the notification expanded. No channel: only marked.
   */
  expandNotification?(id: string, channels: readonly string[], now: Date): Promise<void>;
  /**
   * Claims at most `limit` pending deliveries due at `now` for `owner` until `now + claimMs` — only those unclaimed
   * or whose claim expired (a conditional UPDATE: two dispatchers never hold one delivery at once).
   */
  claimDeliveries?(owner: string, now: Date, limit: number, claimMs: number): Promise<DeliveryRecord[]>;
  /**
   * Records how a claimed send ended (attempts + 1; the claim released). @returns false — nothing written — when
   * `owner` no longer holds the claim.
   */
  markDelivery?(id: string, owner: string, outcome: DeliveryOutcome, now: Date): Promise<boolean>;
  /** Deliveries of `scope`'s tenant, newest first (keyset on id), with `status` when given. */
  listDeliveries?(filter: { status?: DeliveryRecord['status']; before?: string; limit?: number }, scope?: TenantScope): Promise<{ deliveries: DeliveryRecord[]; next?: string }>;
  /** Makes a dead (or pending) delivery of `scope`'s tenant due now again. @throws BatonError `NOTIFICATION_NOT_FOUND`. */
  retryDelivery?(id: string, now: Date, scope?: TenantScope): Promise<DeliveryRecord>;
  /** How many deliveries (of `scope`'s tenant, or every tenant's) are in each status: the `baton_notifications` gauge. */
  countDeliveries?(scope?: TenantScope): Promise<Record<DeliveryRecord['status'], number>>;
  /** Deletes sent deliveries sent before `sentBefore` and dead ones last due before `deadBefore`. @returns how many. */
  pruneDeliveries?(sentBefore: Date, deadBefore: Date): Promise<number>;

  /** Flushes and closes. Safe to call twice. */
  close(): Promise<void>;
}
