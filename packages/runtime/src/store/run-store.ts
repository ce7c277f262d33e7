import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { EventBufferedEvent, JsonValue, NewRunEvent, RunEvent, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { Lease, NewRun, RunMigration, RunRecord, RunUpdate, SourceFile, TenantScope } from './store-api.js';
import { RunLeases, type BufferedEvent } from './run-leases.js';
import { SqliteLocks, type SqliteLockHost } from './sqlite-locks.js';
import { newRunId } from './run-id.js';
import { checkIsDatabase, isBusy } from './store-files.js';
import { LockSession, type RunStoreOptions } from './lock-session.js';
import { definitionKey, DEFINITION_REF, listRunsQuery, RUN_COLUMNS, migrateSqlite, textBytes, toRecord, updateColumns, type RunRow } from './sqlite-schema.js';
import { assertNotFinished, decisionEvent, eventBufferNeeded, eventSignal, explainWithdrawn, runIdPrefixPattern, withdrawnGroup } from './signal-rules.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { SqliteSla } from './sqlite-sla.js';
import { SqliteKeptEvents } from './sqlite-kept-events.js';
import { StatementCache } from './sqlite-statements.js';
import { StoreLock } from './store-lock.js';
import { migrateSqliteRun } from './sqlite-migrate.js';
import { writeSqliteSources } from './sqlite-sources.js';
import { StepRows } from './sqlite-projection.js';
import { ChainHeads, chainEvents } from './event-chain.js';
import { storedHash } from './sqlite-audit.js';

const { Database } = sqlite;
type Db = InstanceType<typeof Database>;

export { SCHEMA_VERSION } from './sqlite-schema.js';

export { MAX_HOLD_MS, type RunStoreOptions } from './lock-session.js';

/** How old a lock without owner must be before a process whose store thread died takes it for that thread's, ms. */
export const DEAD_THREAD_READ_LOCK_MS = 1000;

/**
 * The run store: an embedded SQLite database (node-sqlite3-wasm, WebAssembly — no native module, so it
 * runs in any Node and in VS Code's Electron extension host) holding each run as an append-only event
 * log plus a `runs` table.
 *
 * Writes are group-committed: {@link append} buffers events and {@link flush} writes everything buffered
 * in one transaction. The engine flushes before any step starts and whenever a run stops, so a step's
 * completion is stored before a later step can run, and siblings finishing together share a transaction.
 *
 * Locking (several processes may use one store at once: `baton run`s, `baton approve`, the editor) is its
 * {@link LockSession}'s: every access waits while another connection holds the database, a burst of writes
 * keeps the lock (~15× cheaper commits) and lets it go after 100 ms without writes or 500 ms, and the lock files
 * beside the database are `StoreLock`'s. A statement that failed (busy) is prepared afresh before it is used
 * again: node-sqlite3-wasm resets a statement only before its next use, and that reset repeats the failure.
 * Buffered events leave the buffer only when their transaction has committed.
 *
 * Errors (BatonError codes): `STORE_NOT_A_DATABASE` (the file exists and is not SQLite — it is left
 * untouched), `STORE_TOO_NEW`, `STORE_BUSY`, `STORE_UNREADABLE`, `RUN_NOT_FOUND`, `RUN_FINISHED`,
 * `TASK_NOT_WAITING`, `EVENT_NOT_AWAITED`, `RUN_ID_AMBIGUOUS`.
 */
export class RunStore {
  private readonly db: Db;
  /** Buffered events; `signal`: appended by {@link recordDecision}, {@link recordSignal} or {@link requestCancel}. */
  private readonly pending: BufferedEvent[] = [];
  /** How many buffered events, from the buffer's start, the open transaction has written (they leave it when it commits). */
  private pendingWritten = 0;
  private readonly nextSeq = new Map<string, number>();
  /** The leases this handle claimed, and the refusals of runs it may not write (see {@link RunLeases}). */
  private readonly leases: RunLeases;
  /** Named locks across runs (see {@link SqliteLocks}). */
  readonly locks: SqliteLocks;
  /** Broadcast events kept for later waits (see {@link SqliteKeptEvents}). */
  readonly keptEvents: SqliteKeptEvents;
  /** The notification outbox (see {@link SqliteOutbox}). */
  readonly outbox: SqliteOutbox;
  /** SLA breaches and due SLAs (see {@link SqliteSla}). */
  readonly sla: SqliteSla;
  /** Prepared statements kept by SQL text (preparing costs more than running; warmed up by executor-warm-up.ts). */
  readonly statements: StatementCache;
  private closed = false;
  /** The database lock: waits, bursts, releases (see {@link LockSession}). */
  private readonly session: LockSession;
  /** Inside {@link batch}: a transaction's body joins the batch's. */
  private batching = false;
  /** What the leases, named locks, kept events and migrations use of this handle (see the constructor). */
  private readonly tables: Pick<SqliteLockHost, 'path' | 'transaction' | 'all' | 'read' | 'run'> & { cachedAll(sql: string, values: (string | number)[]): unknown[] };
  /** The chain's last hash per run, as far as this handle knows it (see {@link ChainHeads}). */
  private readonly chainHeads = new ChainHeads();
  /** When the step projection's rows are written (sqlite-projection.ts). */
  private readonly stepRows: StepRows;

  private constructor(
    readonly path: string,
    db: Db,
    private readonly options: Required<Omit<RunStoreOptions, 'lockWaiters'>> & Pick<RunStoreOptions, 'lockWaiters'>,
  ) {
    this.db = db;
    this.statements = new StatementCache(db);
    this.session = new LockSession(path, db, options);
    // what the leases, the named locks, the kept events and migrations share of this handle
    const tables = (this.tables = {
      path,
      transaction: (body: () => void) => this.transaction(body),
      all: (sql: string, values: (string | number)[]) => this.db.all(sql, values) as unknown[],
      read: (sql: string, values: (string | number)[]) => this.session.withBusyRetry(() => this.db.all(sql, values)) as unknown[],
      cachedAll: (sql: string, values: (string | number)[]) => this.statements.use(sql, (st) => st.all(values)) as unknown[],
      run: (sql: string, values: (string | number | null)[]) => this.db.run(sql, values).changes,
    });
    this.leases = new RunLeases({ ...tables, pending: this.pending, written: () => this.pendingWritten, nextSeq: this.nextSeq, flush: (runId) => this.flush(runId), heldSince: () => this.session.heldSince() });
    this.stepRows = new StepRows(this.statements, (runId) => this.leases.holds(runId));
    this.locks = new SqliteLocks({ ...tables, signal: (runId, event) => void this.appendSignalNow(runId, event) });
    const cachedRun = (sql: string, values: (string | number | null)[]): void => void this.statements.use(sql, (st) => st.run(values));
    this.keptEvents = new SqliteKeptEvents({ ...tables, retry: (body) => this.session.withBusyRetry(body), cachedRun, getRun: (id) => this.getRun(id) });
    this.outbox = new SqliteOutbox(tables);
    this.sla = new SqliteSla({ ...tables, batch: (body) => this.batch(body), getRun: (id) => this.getRun(id), signal: (id, event, time) => this.appendSignalNow(id, event, time) });
    try {
      this.session.withBusyRetry(() => migrateSqlite(this.db, this.path, this.options.sync));
    } catch (error) {
      this.session.close();
      throw error;
    }
  }

  /**
   * Opens (creating it and its folder if needed) the store at `file`, or an in-memory store for
   * `:memory:`.
   * @throws BatonError `STORE_NOT_A_DATABASE`, `STORE_TOO_NEW`, `STORE_UNREADABLE`, `STORE_BUSY`.
   */
  static open(file: string, options: RunStoreOptions = {}): RunStore {
    const full = file === ':memory:' ? file : path.resolve(file);
    if (full !== ':memory:') {
      checkIsDatabase(full);
      mkdirSync(path.dirname(full), { recursive: true });
      new StoreLock(full).recover();
    }
    let db: Db;
    try {
      db = new Database(full);
    } catch (error) {
      throw new BatonError('STORE_UNREADABLE', `cannot open the run store ${file}: ${(error as Error).message}`);
    }
    try {
      return new RunStore(full, db, { sync: options.sync ?? 'normal', busyTimeoutMs: options.busyTimeoutMs ?? 30_000, holdLock: options.holdLock ?? true, lockWaiters: options.lockWaiters });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Runs
  // -------------------------------------------------------------------------------------------------------

  /**
   * Creates a run record (status `running`, or `queued` for a run accepted to be executed later) and returns
   * its id, a ULID (ids sort by start time).
   * The definition the run executes is stored once per distinct content (`definitions`, keyed by its
   * SHA-256), so running the same flow again adds no copy of it; the run refers to it as `sha256:<hex>`.
   */
  createRun(init: Omit<NewRun, 'started'>): string {
    const id = newRunId();
    const { hash, body } = definitionKey(init.definition);
    this.transaction(() => {
      this.writePending();
      // binding a large definition costs more than looking it up: insert only when it is new
      if (this.statements.use('SELECT 1 AS found FROM definitions WHERE hash = ?', (s) => s.all([hash])).length === 0) {
        this.db.run('INSERT INTO definitions (hash, body) VALUES (?, CAST(? AS TEXT))', [hash, textBytes(body)]);
      }
      writeSqliteSources({ all: this.tables.cachedAll, run: this.tables.run }, hash, init.sources);
      this.statements.use('INSERT INTO runs (id, flow, file, status, started_at, inputs, definition, agents, tenant, sla_flow_at, sla_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', (s) =>
        s.run([id, init.flow, init.file ?? null, init.status ?? 'running', init.startedAt, JSON.stringify(init.inputs), `${DEFINITION_REF}${hash}`, init.agents ? JSON.stringify(init.agents) : null, init.tenant ?? 'default', init.slaFlowAt ?? null, init.slaDueAt ?? null]),
      );
    });
    this.nextSeq.set(id, 1);
    return id;
  }

  /**
   * Updates a run's state columns (buffered events are flushed first, in the same transaction).
   * @throws BatonError `LEASE_LOST`, `EVENTS_CONFLICT`: the run's events were refused (now or by an earlier write:
   *   see {@link flush}); its state is not changed, the other runs' events are written.
   */
  updateRun(id: string, fields: RunUpdate): void {
    const { sets, values } = updateColumns(fields);
    if (sets.length === 0) return;
    this.transaction(() => {
      this.writePending([id]);
      if (this.leases.refusal(id)) return;
      this.db.run(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
      if (fields.status === 'succeeded' || fields.status === 'failed' || fields.status === 'cancelled') this.ended(id);
      else if (fields.status) this.stepRows.statusSet(id, false);
    });
    this.leases.throwRefusal(id);
  }

  /** A run's end, in its transaction: its steps' `run_steps` rows (sqlite-projection.ts); its locks given up (backstop). */
  private ended(id: string): void {
    this.stepRows.statusSet(id, true);
    this.locks.releaseRun(id, true);
  }

  /**
   * A run by id or unique id prefix, among `scope`'s tenant's runs (every run without a scope: see
   * `TenantScope`); `undefined` when none. @throws BatonError `RUN_ID_AMBIGUOUS`.
   */
  findRun(idOrPrefix: string, scope: TenantScope = {}): RunRecord | undefined {
    const byTenant = scope.tenant !== undefined;
    const rows = this.session.withBusyRetry(() =>
      this.db.all(`SELECT ${RUN_COLUMNS} FROM runs WHERE (id = ? OR id LIKE ? ESCAPE '\\')${byTenant ? ' AND tenant = ?' : ''} ORDER BY id LIMIT 3`, [idOrPrefix, runIdPrefixPattern(idOrPrefix), ...(byTenant ? [scope.tenant!] : [])]),
    ) as unknown as RunRow[];
    const exact = rows.find((r) => r.id === idOrPrefix);
    if (exact) return toRecord(exact);
    if (rows.length > 1) throw new BatonError('RUN_ID_AMBIGUOUS', `run id prefix "${idOrPrefix}" matches several runs; give more characters`);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** A run by id or prefix (of `scope`'s tenant, see {@link findRun}). @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`. */
  getRun(idOrPrefix: string, scope?: TenantScope): RunRecord {
    const run = this.findRun(idOrPrefix, scope);
    if (!run) throw new BatonError('RUN_NOT_FOUND', `no run with id "${idOrPrefix}" in ${this.path}`);
    return run;
  }

  /** The compiled definition stored with a run (so resuming does not depend on the file being unchanged). */
  getDefinition(id: string): WorkflowDefinition {
    const row = this.session.withBusyRetry(() => this.db.get('SELECT definition FROM runs WHERE id = ?', [id])) as { definition: string } | null;
    if (!row) throw new BatonError('RUN_NOT_FOUND', `no run with id "${id}"`);
    if (!row.definition.startsWith(DEFINITION_REF)) return JSON.parse(row.definition) as WorkflowDefinition; // stored inline by 0.1.0 builds
    const hash = row.definition.slice(DEFINITION_REF.length);
    const def = this.session.withBusyRetry(() => this.db.get('SELECT body FROM definitions WHERE hash = ?', [hash])) as { body: string } | null;
    if (!def) throw new BatonError('STORE_UNREADABLE', `the definition of run ${id} is missing from the store`);
    return JSON.parse(def.body) as WorkflowDefinition;
  }

  /** See `RunStoreApi.putDefinition`: the definition and its texts, once per content, in one transaction. */
  putDefinition(definition: WorkflowDefinition, sources?: readonly SourceFile[]): string {
    const { hash, body } = definitionKey(definition);
    this.transaction(() => {
      this.db.run('INSERT INTO definitions (hash, body) VALUES (?, CAST(? AS TEXT)) ON CONFLICT DO NOTHING', [hash, textBytes(body)]);
      writeSqliteSources({ all: this.tables.cachedAll, run: this.tables.run }, hash, sources);
    });
    return hash;
  }

  /** Runs, newest first. `limit` defaults to 50. */
  listRuns(filter: { status?: RunStatus; flow?: string; limit?: number; tenant?: string } = {}): RunRecord[] {
    const { sql, values } = listRunsQuery(filter);
    const rows = this.session.withBusyRetry(() => this.db.all(sql, values)) as unknown as RunRow[];
    return rows.map(toRecord);
  }

  /**
   * A read that waits for the lock (`wait`), or tries once: undefined when another connection holds the store (a
   * watch's reads: sqlite-watch.ts).
   */
  readNow(sql: string, values: (string | number)[], wait: boolean): unknown[] | undefined {
    const read = (): unknown[] => this.db.all(sql, values) as unknown[];
    if (wait) return this.session.withBusyRetry(read);
    try {
      return read();
    } catch (error) {
      if (isBusy(error)) return undefined;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------------------------------------

  /**
   * Numbers, timestamps and buffers an event of run `runId`; it is written by the next {@link flush}.
   * @returns the complete event.
   */
  append(runId: string, event: NewRunEvent, time = new Date()): RunEvent {
    let seq = this.nextSeq.get(runId);
    if (seq === undefined) {
      const row = this.session.withBusyRetry(() => this.db.get('SELECT MAX(seq) AS seq FROM events WHERE run_id = ?', [runId])) as { seq: number | null } | null;
      seq = (row?.seq ?? 0) + 1;
    }
    this.nextSeq.set(runId, seq + 1);
    const full = { ...event, runId, seq, time: time.toISOString() } as RunEvent;
    this.pending.push({ runId, event: full });
    return full;
  }

  /**
   * Appends an event that comes from outside the run's execution (a decision, a received event, a cancellation):
   * it goes at the log's end when written, whatever others appended since this handle last looked — never a
   * conflict (see {@link RunLeases.check}).
   */
  private appendSignal(runId: string, event: NewRunEvent, time?: Date): RunEvent {
    // numbered from the log as stored now, not from what this handle saw last (unless it has buffered events of the run)
    if (!this.pending.some((p) => p.runId === runId)) this.nextSeq.delete(runId);
    const full = this.append(runId, event, time);
    this.pending[this.pending.length - 1].signal = true;
    return full;
  }

  /**
   * Runs `body` as one write transaction: the writes of the store's methods it calls (createRun, flush,
   * updateRun, recordStartKey, …) join it and commit together — one commit for a burst of starts instead of two
   * per start — or, when `body` throws, not at all: events buffered before stay buffered, those `body` appended
   * are dropped. `body` must not wait for anything (it holds the store) and may run again from its start when
   * the store was busy.
   */
  batch<T>(body: () => T): T {
    if (this.batching) return body();
    let result!: T;
    /** The buffered events from before the batch (a refused write may drop some of them: not by position, then). */
    const earlier = new Set(this.pending);
    /** Events `body` appended are its own: a failed or retried attempt takes them back. */
    const takeBack = (): void => {
      for (let i = this.pending.length - 1; i >= 0; i--) {
        const entry = this.pending[i];
        if (earlier.has(entry)) continue;
        this.pending.splice(i, 1);
        this.nextSeq.delete(entry.runId);
      }
    };
    try {
      this.transaction(() => {
        takeBack();
        this.batching = true;
        try {
          result = body();
        } finally {
          this.batching = false;
        }
      });
    } catch (error) {
      takeBack();
      throw error;
    }
    return result;
  }

  /**
   * Writes every buffered event in one transaction. Cheap when nothing is buffered. A run whose events are refused
   * has them dropped; the others are written (see `RunStoreApi.flush`).
   * @param runId the run asking: only its refusal (met now, or kept from an earlier write) is thrown.
   * @throws BatonError `LEASE_LOST`, `EVENTS_CONFLICT`: `runId`'s refusal, or without `runId` the first this flush met.
   */
  flush(runId?: string): void {
    const met: string[] = [];
    if (this.pending.length > 0) this.transaction(() => met.push(...this.writePending()));
    if (runId !== undefined) this.leases.throwRefusal(runId);
    else if (met.length > 0) throw this.leases.refusal(met[0])!;
  }

  /**
   * Writes the buffered events with a signal of run `runId` among them (a decision, an event, a cancellation).
   * @throws BatonError `LEASE_LOST`, `EVENTS_CONFLICT` only when the signal itself was refused — not for another
   *   run's refusal, nor for one kept for `runId`'s execution on this handle (the signal is not that execution's).
   */
  private flushSignal(runId: string): void {
    const met: string[] = [];
    this.transaction(() => met.push(...this.writePending()));
    if (met.includes(runId)) throw this.leases.refusal(runId)!;
  }

  /**
   * Writes the buffered events not yet written by the open transaction, but those of runs this handle may not write
   * (see {@link RunLeases.check}: checked first, for them and `alsoFenced`; their buffered events are dropped).
   * @returns the runs refused by this call.
   */
  private writePending(alsoFenced: string[] = []): string[] {
    const refused = this.leases.check(alsoFenced);
    // hashed here, with their final seqs, in the transaction that stores them (the audit chain: event-chain.ts)
    const hashed = chainEvents(this.pending.slice(this.pendingWritten), (runId, seq) => this.chainHeads.known(runId, seq) ?? storedHash(this.db, runId, seq - 1));
    this.stepRows.insert(hashed); // with their notifications and step rows (sqlite-projection.ts)
    this.chainHeads.wrote(hashed);
    this.pendingWritten = this.pending.length;
    return refused;
  }

  /** The run's events in order (buffered ones included); none for a missing run or one that is not `scope`'s tenant's. */
  /** See {@link RunStoreApi.keptEventsSince}: stored rows only, nothing this handle knows of the run changes. */
  keptEventsSince(runId: string, afterSeq: number): EventBufferedEvent[] {
    const rows = this.session.withBusyRetry(() => this.db.all("SELECT seq, time, data FROM events WHERE run_id = ? AND seq > ? AND type = 'event.buffered' ORDER BY seq", [runId, afterSeq])) as { seq: number; time: string; data: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.data) as object), runId, seq: r.seq, time: r.time }) as EventBufferedEvent);
  }

  getEvents(runId: string, scope: TenantScope = {}): RunEvent[] {
    if (scope.tenant !== undefined && !this.session.withBusyRetry(() => this.db.get('SELECT 1 AS found FROM runs WHERE id = ? AND tenant = ?', [runId, scope.tenant!]))) return [];
    const rows = this.session.withBusyRetry(() => this.db.all('SELECT seq, time, data FROM events WHERE run_id = ? ORDER BY seq', [runId])) as { seq: number; time: string; data: string }[];
    const events = rows.map((r) => ({ ...(JSON.parse(r.data) as object), runId, seq: r.seq, time: r.time }) as RunEvent);
    let buffered = false;
    for (const p of this.pending) {
      if (p.runId !== runId) continue;
      events.push(p.event);
      buffered = true;
    }
    // having read the log, this handle's next event of the run follows it (and its earlier refusal is behind it)
    if (!buffered) {
      this.nextSeq.set(runId, (rows.at(-1)?.seq ?? 0) + 1);
      this.leases.forgetRefusal(runId);
    }
    return events;
  }

  // -------------------------------------------------------------------------------------------------------
  // Decisions, signals, cancellation (from another process or the same one)
  // -------------------------------------------------------------------------------------------------------

  /**
   * Records a decision on a waiting approval. The run is not continued here: call `resumeRun`.
   * @param decision `approved`, `rejected` or one of the approval's options.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`, `TASK_NOT_WAITING` (no such approval waiting —
   *   the message lists the waiting ones), `DECISION_INVALID`.
   */
  recordDecision(runId: string, task: string, decision: { decision: string; by?: string; comment?: string }, scope?: TenantScope): RunEvent {
    const found = this.getRun(runId, scope);
    try {
      // read, decided and written under one lock: of two decisions on one `wait first`, the second sees the first
      return this.recordSignalled(found.id, scope, (run) => decisionEvent(run, task, decision));
    } catch (error) {
      throw explainWithdrawn(error, found.id, task, this.getEvents(found.id));
    }
  }

  /**
   * Appends the signal `decide` makes of the run as stored now (re-read under the store's lock, so two signals never
   * decide from the same state) and writes it in one transaction; when it resolves an arm of a `wait first`, the
   * group's other waits leave `waiting_on` in that transaction (see {@link withdrawnGroup}).
   */
  private recordSignalled(runId: string, scope: TenantScope | undefined, decide: (run: RunRecord) => NewRunEvent): RunEvent {
    let event!: RunEvent;
    this.batch(() => {
      const run = this.getRun(runId, scope);
      assertNotFinished(run);
      const next = decide(run);
      event = this.appendSignal(run.id, next);
      this.flushSignal(run.id);
      const rest = withdrawnGroup(run, next);
      if (rest) this.db.run('UPDATE runs SET waiting_on = ? WHERE id = ?', [JSON.stringify(rest), run.id]);
    });
    return event;
  }

  /**
   * The run a start key (an HTTP `Idempotency-Key`, within `scope`, e.g. the webhook's path, and `tenant`) already
   * started. @returns its id, or undefined when the key is new (for that tenant: keys are unique per tenant).
   */
  findStartKey(scope: string, key: string, tenant = 'default'): string | undefined {
    const [row] = this.session.withBusyRetry(() => this.statements.use('SELECT run_id FROM start_keys WHERE tenant = ? AND scope = ? AND key = ?', (s) => s.all([tenant, scope, key]))) as { run_id: string }[];
    return row?.run_id;
  }

  /** Remembers that the start key `key` (within `scope` and `tenant`) started run `runId`; a key already there is kept. */
  recordStartKey(scope: string, key: string, runId: string, tenant = 'default'): void {
    this.session.withBusyRetry(() => this.statements.use('INSERT OR IGNORE INTO start_keys (tenant, scope, key, run_id) VALUES (?, ?, ?, ?)', (s) => s.run([tenant, scope, key, runId])));
  }

  /**
   * Delivers an event to a run waiting for it (`wait event "name"`), or keeps it for a later wait (see `eventSignal`).
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`, `EVENT_NOT_AWAITED`, `EVENT_DATA_INVALID`, `EVENT_BUFFER_FULL`.
   */
  recordSignal(runId: string, eventName: string, data: JsonValue, scope?: TenantScope, by?: string): RunEvent {
    const found = this.getRun(runId, scope);
    return this.recordSignalled(found.id, scope, (run) => {
      const buffer = eventBufferNeeded(run, eventName) ? { definition: this.getDefinition(run.id), events: this.getEvents(run.id), now: new Date() } : undefined;
      return eventSignal(run, eventName, data, buffer, by);
    });
  }

  /** Moves a waiting or interrupted run to another definition (see `RunStoreApi.migrateRun`, sqlite-migrate.ts). */
  migrateRun(runId: string, migration: RunMigration, scope?: TenantScope): RunEvent {
    return migrateSqliteRun({ ...this.tables, signal: (id, event) => this.appendSignalNow(id, event) }, runId, migration, scope);
  }

  /** Appends an event from outside the run's execution and writes it in the open transaction. */
  private appendSignalNow(runId: string, event: NewRunEvent, time?: Date): RunEvent {
    const full = this.appendSignal(runId, event, time);
    this.writePending();
    return full;
  }

  /**
   * Asks a run to stop. A waiting or interrupted run becomes `cancelled` at once (with a `run.cancelled`
   * event); a running one stops at its next step.
   * @returns the run's status after the request.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  requestCancel(runId: string, by?: string, scope?: TenantScope): RunStatus {
    const run = this.getRun(runId, scope);
    assertNotFinished(run);
    this.appendSignal(run.id, { type: 'cancel.requested', by });
    const running = run.status === 'running';
    const closing = running ? undefined : this.appendSignal(run.id, { type: 'run.cancelled', outputs: run.outputs });
    const met: string[] = [];
    this.transaction(() => {
      met.push(...this.writePending(running ? [] : [run.id]));
      if (met.includes(run.id)) return;
      if (closing) {
        this.db.run("UPDATE runs SET status = 'cancelled', finished_at = ?, waiting_on = '[]' WHERE id = ?", [closing.time, run.id]);
        this.ended(run.id);
      } else this.db.run('UPDATE runs SET cancel_requested = 1 WHERE id = ?', [run.id]);
    });
    if (met.includes(run.id)) throw this.leases.refusal(run.id)!;
    return running ? 'running' : 'cancelled';
  }

  /**
   * Frees the store from a thread of this process that used it and died (see `StoreLock.breakOwnLock`): the
   * lock it held is removed and its half-written commit rolled back; a lock without owner (the thread stopped in
   * a read) once it is `ownerlessAfterMs` old (default {@link DEAD_THREAD_READ_LOCK_MS}). Nothing is done while
   * this store holds the lock itself.
   * @returns whether a lock was removed.
   */
  breakLockOfDeadThread(ownerlessAfterMs = DEAD_THREAD_READ_LOCK_MS): boolean {
    if (this.session.holding || this.path === ':memory:') return false;
    return this.session.lock.breakOwnLock(ownerlessAfterMs);
  }

  /** Whether the store file is locked now (by anyone). */
  isLocked(): boolean {
    return this.path !== ':memory:' && existsSync(this.session.lock.lockDir);
  }

  /** Whether someone asked this run to stop. */
  isCancelRequested(runId: string): boolean {
    const row = this.session.withBusyRetry(() => this.db.get('SELECT cancel_requested FROM runs WHERE id = ?', [runId])) as { cancel_requested: number } | null;
    return row?.cancel_requested === 1;
  }

  // -------------------------------------------------------------------------------------------------------
  // Leases (see RunStoreApi and run-leases.ts): with this machine's clock — every process on one store file shares it
  // -------------------------------------------------------------------------------------------------------

  /** See {@link RunLeases.claim}. @throws BatonError `RUN_NOT_FOUND`. */
  claimLease(runId: string, owner: string, ttlMs: number, from?: string): Lease | undefined {
    return this.leases.claim(runId, owner, ttlMs, from);
  }

  /** The run's lease as stored (expired or not), or undefined when nobody holds it. @throws BatonError `RUN_NOT_FOUND`. */
  leaseOf(runId: string): Lease | undefined {
    return this.leases.leaseOf(runId);
  }

  /** Extends a held lease by `ttlMs` from now. @throws BatonError `LEASE_LOST` when its epoch is no longer the run's. */
  renewLease(lease: Lease, ttlMs: number): Lease {
    return this.leases.renew(lease, ttlMs);
  }

  /** See {@link RunLeases.release}. */
  releaseLease(lease: Lease): void {
    this.leases.release(lease);
    this.stepRows.released(lease.runId);
  }

  /** Flushes, releases the lock and closes the database (twice is safe); all three even when the flush fails (its error thrown after). */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      try {
        this.session.close();
      } finally {
        this.statements.finalizeAll();
        this.db.close();
      }
    }
  }

  // ---- Transactions and locking ----

  /**
   * Runs `body` in a write transaction (BEGIN IMMEDIATE … COMMIT), waiting for other processes' locks. Events
   * that `body` wrote from the buffer leave it only once the commit succeeded; on any failure the
   * transaction is rolled back and they stay buffered.
   */
  private transaction(body: () => void): void {
    if (this.batching) return body();
    this.session.withBusyRetry(() => {
      this.session.hold();
      this.statements.use('BEGIN IMMEDIATE', (s) => s.run());
      this.session.claim();
      try {
        body();
        this.statements.use('COMMIT', (s) => s.run());
      } catch (error) {
        this.pendingWritten = 0;
        this.chainHeads.rollback();
        this.leases.forgetHeld();
        if (this.db.inTransaction) {
          try {
            this.db.exec('ROLLBACK');
          } catch {
            // the connection rolls back by itself when it cannot
          }
        }
        throw error;
      }
      this.leases.committed(this.pending, this.pendingWritten, this.session.heldSince());
      this.pending.splice(0, this.pendingWritten);
      this.pendingWritten = 0;
      this.chainHeads.commit();
    });
    this.session.scheduleRelease();
  }
}
