import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { EventBufferedEvent, JsonValue, NewRunEvent, RunEvent, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { BatonError, ChainHeads, chainEvents, type ChainRow, type HashedEvent, decisionEvent, eventBufferNeeded, eventSignal, explainWithdrawn, newRunId, runIdPrefixPattern, type Lease, type LockAcquired, type LockInfo, type LockRequest, type NewRun, type RunChanges, type RunFilter, type RunMigration, type RunRecord, type RunStoreApi, type RunUpdate, type RunWatchOptions, type SourceFile, type TenantScope } from '@baton/runtime';
import { ClosingPool, parseStoreUrl, poolQuery, poolTransaction, retryConflicts, SocketClosingClient, UNIQUE_VIOLATION, withPoolClient, type PgRunStoreOptions, type PgTarget } from './pg-connection.js';
import { MIGRATIONS, migrate, notifyChannel } from './pg-migrations.js';
import { PgRunLeases, type BufferedEvent } from './pg-run-leases.js';
import { DEFINITION_REF, eventData, FLUSH_SQL, insertEvents, insertRun, listRunsQuery, RUN_COLUMNS, toRecord, updateDoc, updateStatement, type RunRow, type UpdateDoc } from './pg-rows.js';
import { PgRunWatch } from './pg-run-watch.js';
import { installPgOutbox } from './pg-outbox.js';
import { installPgSla } from './pg-sla.js';
import { PgLocks } from './pg-locks.js';
import { PgKeptEvents } from './pg-kept-events.js';
import { PgConsoleReads } from './pg-list.js';
import { migratePgRun } from './pg-migrate-run.js';
import { cancelPlan, signalInTransaction, withGroup, type SignalPlan } from './pg-signals.js';
import { firstOfEachRun, readChainPage, storedHashes } from './pg-chain.js';
import { writePgSources } from './pg-sources.js';

/** How long a cancellation flag read by a write stays an answer to {@link PgRunStore.isCancelRequested}'s `maxAgeMs`. */
interface CancelSeen {
  cancelled: boolean;
  /** When it was read (ms since the epoch, this machine's clock). */
  at: number;
}

/**
 * The PostgreSQL run store (issue 11): the {@link RunStoreApi} contract on a shared database, for `baton serve`
 * front doors and `baton worker`s on several machines. Same semantics and error codes as the embedded SQLite store
 * (`packages/runtime/src/store/run-store.ts`); both pass `test/store/conformance.ts`.
 *
 * - Schema: versioned migrations ({@link MIGRATIONS}) applied on open, each in a transaction under an advisory lock,
 *   so that concurrent openers wait for one another; a database migrated by a newer Baton is refused
 *   (`STORE_TOO_NEW`). Tables `runs` (with tenant, lease owner, lease expiry, epoch), `events` (PRIMARY KEY (run_id,
 *   seq)), `definitions` (content-addressed: SHA-256 of the JSON), `start_keys` (PRIMARY KEY (scope, key)).
 * - Group commit: {@link append} buffers (synchronously: the handle knows each run's next seq, see
 *   {@link RunStoreApi.append}), {@link flush} writes all buffered events in one statement. Flushes of a handle are
 *   serialized; appends during a flush wait for the next one.
 * - Leases with the database's clock (`now()`); each claim adds one to the epoch. While this handle holds a run's
 *   lease, every write of that run's events or state checks the epoch in the same transaction (`LEASE_LOST`).
 * - A seq conflict never renumbers silently: buffered events go after stored ones only when those are signals
 *   ({@link SIGNAL_EVENT_TYPES}); otherwise `EVENTS_CONFLICT`.
 * - Decisions, signals and cancellations are written atomically under the run's row lock (`FOR UPDATE`), validated
 *   against the locked row, at the log's end.
 * - JSON values are `json` columns (kept as written — key order, `\u0000`, which `jsonb` refuses); times are
 *   `timestamptz`, read back as ISO 8601 (ms).
 *
 * Errors (BatonError codes): `STORE_UNREACHABLE` (wrong URL, server down, refused login: one line naming host:port,
 * never the password), `STORE_TOO_NEW`, `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`, `RUN_FINISHED`, `TASK_NOT_WAITING`,
 * `DECISION_INVALID`, `EVENT_NOT_AWAITED`, `LEASE_LOST`, `EVENTS_CONFLICT`, `RUN_NOT_LOADED`, `STORE_UNREADABLE`.
 */
export class PgRunStore implements RunStoreApi {
  private readonly pending: BufferedEvent[] = [];
  /** The chain's last hash per run, as far as this handle knows it committed (see `ChainHeads`). */
  private readonly chainHeads = new ChainHeads();
  /** The next seq of each run this handle knows the log's end of. */
  private readonly nextSeq = new Map<string, number>();
  /** The leases this handle claimed, and the refusals of runs it may not write (see {@link PgRunLeases}). */
  private readonly leases: PgRunLeases;
  /** Definition hashes known to be stored (their bodies need not be sent again), and `sources:<hash>` for their sources. */
  private readonly knownDefinitions = new Set<string>();
  /**
   * Run state updates ({@link updateRun}) not yet committed, per run, in call order. Whichever transaction first
   * writes a run's buffered events applies them too — a flush queued before the update included — so a run's
   * closing event (`run.succeeded`, `run.waiting`…) is never committed without the state it closes with.
   */
  private readonly updates = new Map<string, UpdateDoc[]>();
  /** The cancellation flag of each run this handle holds the lease of, as its last write or query read it. */
  private readonly cancelSeen = new Map<string, CancelSeen>();
  /** The tail of this handle's writes of buffered events (flushes run one at a time). */
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The watches started on this handle ({@link watchRuns}): stopped by {@link close}. */
  private readonly watches = new Set<PgRunWatch>();
  private readonly locks = new PgLocks({ location: () => this.location, transaction: (body) => this.transaction(body), query: (sql, values) => this.query(sql, values) });
  private readonly keptEvents = new PgKeptEvents({ transaction: (body) => this.transaction(body), query: (sql, values) => this.query(sql, values), getRun: (id) => this.getRun(id) });

  private constructor(
    private readonly pool: pg.Pool,
    private readonly target: PgTarget,
    /** The pool's connection settings (a watch opens a connection of its own with them). */
    private readonly clientConfig: pg.ClientConfig,
  ) {
    this.leases = new PgRunLeases({
      location: target.location,
      pending: this.pending,
      nextSeq: this.nextSeq,
      query: (sql, values) => this.query(sql, values),
      flush: (runId) => this.flush(runId),
    });
    installPgOutbox(this, { transaction: (body) => this.transaction(body), query: (sql, values) => this.query(sql, values) });
    installPgSla(this, { transaction: (body) => this.transaction(body), query: (sql, values) => this.query(sql, values), location: target.location, signalled: (runId, seq) => void (this.pending.some((p) => p.runId === runId) || this.nextSeq.set(runId, seq + 1)) });
  }

  /** Where the store is: the URL without its password. */
  get location(): string {
    return this.target.location;
  }

  /**
   * Connects to the database at `url` (`postgres://user@host:port/database`) and applies the migrations it lacks.
   * @throws BatonError `STORE_UNREACHABLE` (bad URL, server down, login refused, no such database), `STORE_TOO_NEW`.
   */
  static async open(url: string, options: PgRunStoreOptions = {}): Promise<PgRunStore> {
    const target = parseStoreUrl(url, options.password, options.env);
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new BatonError('STORE_UNREACHABLE', `the store schema "${options.schema}" is not a plain PostgreSQL name (a-z, 0-9, _)`);
    }
    const settings = [...(options.schema ? [`-c search_path=${options.schema}`] : []), ...(options.synchronousCommit === 'off' ? ['-c synchronous_commit=off'] : [])];
    const given = target.config.options ? [target.config.options] : [];
    const clientConfig: pg.ClientConfig = {
      ...target.config,
      ...(settings.length ? { options: [...given, ...settings].join(' ') } : {}),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: target.config.application_name ?? 'baton',
    };
    const pool = new ClosingPool({ ...clientConfig, max: options.poolSize ?? 10, Client: SocketClosingClient });
    // an idle connection the server closed (restart, timeout) is reported here; the next query reconnects
    pool.on('error', () => undefined);
    const store = new PgRunStore(pool, target, clientConfig);
    try {
      await withPoolClient(pool, target, (client) => migrate(client, options.schema, target.location));
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  // -------------------------------------------------------------------------------------------------------
  // Runs
  // -------------------------------------------------------------------------------------------------------

  async createRun(init: NewRun, startKey?: { scope: string; key: string }): Promise<{ id: string; duplicate: boolean }> {
    const id = newRunId();
    const body = JSON.stringify(init.definition);
    const hash = createHash('sha256').update(body).digest('hex');
    // sources this handle stored for the definition are not sent again (`sources:<hash>` in knownDefinitions)
    const sources = this.knownDefinitions.has(`sources:${hash}`) ? undefined : init.sources;
    const created = await this.transaction(async (client) => {
      // the key's row is the lock: a second front door with the same key waits for this commit, then finds it
      if (!(await insertRun(client, id, { ...init, sources }, { hash, body, known: this.knownDefinitions.has(hash) }, startKey))) throw new DuplicateStart();
      return true;
    }).catch(async (error: unknown) => {
      if (!(error instanceof DuplicateStart) || !startKey) throw error;
      return false;
    });
    this.knownDefinitions.add(hash);
    if (created && sources?.length) this.knownDefinitions.add(`sources:${hash}`);
    if (!created) {
      const { rows } = await this.query<{ run_id: string }>('SELECT run_id FROM start_keys WHERE tenant = $1 AND scope = $2 AND key = $3', [init.tenant ?? 'default', startKey!.scope, startKey!.key]);
      if (!rows[0]) throw new BatonError('STORE_UNREADABLE', `the start key "${startKey!.key}" was claimed and is gone from ${this.location}`);
      return { id: rows[0].run_id, duplicate: true };
    }
    this.nextSeq.set(id, init.started ? 2 : 1);
    return { id, duplicate: false };
  }

  async updateRun(id: string, fields: RunUpdate): Promise<void> {
    const update = updateDoc(fields);
    if (Object.keys(update).length === 0) return;
    // attached now, before any write queued ahead of this one takes the run's buffered events (the engine appends a
    // closing event and calls this in one turn): that write applies it with them; else this one does
    this.updates.set(id, [...(this.updates.get(id) ?? []), update]);
    try {
      await this.serially(() => this.write([id]));
      const refusal = this.leases.refusal(id);
      if (refusal) throw refusal;
      // the backstop: a run that ends gives up its locks (a process dying in between: the next acquire drops them)
      if (fields.status === 'succeeded' || fields.status === 'failed' || fields.status === 'cancelled') await this.locks.releaseRun(id);
    } catch (error) {
      // refused or failed: the caller is told, and no later write applies it
      this.forgetUpdate(id, update);
      throw error;
    }
  }

  async findRun(idOrPrefix: string, scope: TenantScope = {}): Promise<RunRecord | undefined> {
    const pattern = runIdPrefixPattern(idOrPrefix);
    const byTenant = scope.tenant !== undefined;
    // ULIDs are upper case; SQLite's LIKE ignores ASCII case, so a lower-case prefix finds them there too
    const { rows } = await this.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE (id = $1 OR id LIKE $2 ESCAPE '\\' OR id LIKE $3 ESCAPE '\\')${byTenant ? ' AND tenant = $4' : ''} ORDER BY id LIMIT 3`, [
      idOrPrefix,
      pattern,
      pattern.toUpperCase(),
      ...(byTenant ? [scope.tenant] : []),
    ]);
    const exact = rows.find((r) => r.id === idOrPrefix);
    if (exact) return toRecord(exact);
    if (rows.length > 1) throw new BatonError('RUN_ID_AMBIGUOUS', `run id prefix "${idOrPrefix}" matches several runs; give more characters`);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async getRun(idOrPrefix: string, scope?: TenantScope): Promise<RunRecord> {
    const run = await this.findRun(idOrPrefix, scope);
    if (!run) throw new BatonError('RUN_NOT_FOUND', `no run with id "${idOrPrefix}" in ${this.location}`);
    return run;
  }

  async getDefinition(id: string): Promise<WorkflowDefinition> {
    const { rows } = await this.query<{ definition: string; body: WorkflowDefinition | null }>(
      'SELECT r.definition, d.body FROM runs r LEFT JOIN definitions d ON d.hash = substr(r.definition, $2) WHERE r.id = $1',
      [id, DEFINITION_REF.length + 1],
    );
    if (!rows[0]) throw new BatonError('RUN_NOT_FOUND', `no run with id "${id}"`);
    if (!rows[0].body) throw new BatonError('STORE_UNREADABLE', `the definition of run ${id} is missing from the store`);
    return rows[0].body;
  }

  /** See {@link RunStoreApi.putDefinition}: the definition and its texts, once per content, in one transaction. */
  async putDefinition(definition: WorkflowDefinition, sources?: readonly SourceFile[]): Promise<string> {
    const body = JSON.stringify(definition);
    const hash = createHash('sha256').update(body).digest('hex');
    await this.transaction(async (client) => {
      await client.query('INSERT INTO definitions (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [hash, body]);
      await writePgSources(client, hash, sources);
    });
    this.knownDefinitions.add(hash);
    return hash;
  }

  /** See {@link RunStoreApi.getDefinitionByHash}. */
  async getDefinitionByHash(hash: string): Promise<WorkflowDefinition> {
    const key = hash.startsWith(DEFINITION_REF) ? hash.slice(DEFINITION_REF.length) : hash;
    const { rows } = await this.query<{ body: WorkflowDefinition }>('SELECT body FROM definitions WHERE hash = $1', [key]);
    if (!rows[0]) throw new BatonError('DEFINITION_NOT_FOUND', `no definition ${DEFINITION_REF}${key} in ${this.location}`);
    return rows[0].body;
  }

  /** See {@link RunStoreApi.getSourcesByHash}. */
  async getSourcesByHash(hash: string): Promise<SourceFile[]> {
    const key = hash.startsWith(DEFINITION_REF) ? hash.slice(DEFINITION_REF.length) : hash;
    const { rows } = await this.query<SourceFile>('SELECT ds.file, s.text FROM definition_sources ds JOIN sources s ON s.hash = ds.source WHERE ds.definition = $1 ORDER BY ds.file COLLATE "C"', [key]);
    return rows.map((r) => ({ file: r.file, text: r.text }));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const { sql, values } = listRunsQuery(filter);
    const { rows } = await this.query<RunRow>(sql, values);
    return rows.map(toRecord);
  }

  // -------------------------------------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------------------------------------

  append(runId: string, event: NewRunEvent, time = new Date()): RunEvent {
    const seq = this.nextSeq.get(runId);
    if (seq === undefined) {
      throw new BatonError('RUN_NOT_LOADED', `cannot append to run ${runId}: this store handle has not read its events (getEvents) nor claimed it`);
    }
    this.nextSeq.set(runId, seq + 1);
    const full = { ...event, runId, seq, time: time.toISOString() } as RunEvent;
    this.pending.push({ runId, event: full });
    return full;
  }

  /**
   * Writes the buffered events (see `RunStoreApi.flush`): one statement when nothing is refused, else the careful
   * path ({@link writeBuffered}), which drops the refused runs' events and writes the others'.
   * @throws BatonError `LEASE_LOST`, `EVENTS_CONFLICT`: `runId`'s refusal (met now or kept), or without `runId` the
   *   first this flush met.
   */
  async flush(runId?: string): Promise<void> {
    const met: string[] = [];
    if (this.pending.length > 0) await this.serially(() => this.write([], met));
    const refusal = runId === undefined ? (met.length ? this.leases.refusal(met[0]) : undefined) : this.leases.refusal(runId);
    if (refusal) throw refusal;
  }

  /**
   * Writes the buffered events, the state updates of their runs and of `alsoFenced`, fenced: in one statement
   * ({@link FLUSH_SQL}) when nothing stands in the way, else in {@link writeBuffered}'s transaction, which tells a
   * lost lease from signals stored meanwhile and writes the runs not refused. The runs refused are pushed on `met`
   * (their refusals kept: {@link PgRunLeases.refusal}). Call inside {@link serially}.
   */
  private async write(alsoFenced: string[], met: string[] = []): Promise<void> {
    const count = this.pending.length;
    const batch = this.pending.slice(0, count);
    const runs = [...new Set([...batch.map((p) => p.runId), ...alsoFenced])];
    const updates = runs.flatMap((runId) => (this.updates.get(runId) ?? []).map((update) => ({ runId, update })));
    if (count === 0 && updates.length === 0) return;
    // a run refused before goes the careful way (its events are dropped again, the others' written)
    if (runs.some((runId) => this.leases.refusal(runId))) {
      met.push(...(await this.writeBuffered(alsoFenced, async () => undefined)).refused);
      return;
    }
    const fenced = runs.filter((runId) => this.leases.epochOf(runId) !== undefined);
    // one document per run: its updates in call order, a later one's columns over an earlier one's
    const docs = new Map<string, UpdateDoc & { id: string }>();
    for (const { runId, update } of updates) docs.set(runId, { ...(docs.get(runId) ?? { id: runId }), ...update });
    // the chain's links, from the heads this handle knows committed (or reads now): else the careful path reads them
    const hashed = await this.hashWithKnownHeads(batch);
    if (!hashed) {
      met.push(...(await this.writeBuffered(alsoFenced, async () => undefined)).refused);
      return;
    }
    let result: { fenced: number; inserted: number; cancelled: string[] } | undefined;
    try {
      const { rows } = await this.query<{ fenced: number; inserted: number; cancelled: string[] }>({ name: 'baton.write', text: FLUSH_SQL }, [
        batch.map((p) => p.runId),
        batch.map((p) => p.event.seq),
        batch.map((p) => p.event.type),
        batch.map((p) => p.event.time),
        batch.map((p) => eventData(p.event)),
        fenced,
        fenced.map((runId) => this.leases.epochOf(runId)!),
        JSON.stringify([...docs.values()]),
        hashed.map((p) => p.prev),
        hashed.map((p) => p.hash),
      ]);
      result = rows[0];
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    if (result && result.fenced === fenced.length && result.inserted === count) {
      this.chainHeads.wrote(hashed);
      this.chainHeads.commit();
      this.pending.splice(0, count);
      for (const { runId, update } of updates) this.forgetUpdate(runId, update);
      const at = Date.now();
      for (const runId of fenced) this.cancelSeen.set(runId, { cancelled: result.cancelled.includes(runId), at });
      return;
    }
    // a lease lost, or seqs taken meanwhile: the careful path tells which, and places after signals
    met.push(...(await this.writeBuffered(alsoFenced, async () => undefined)).refused);
  }

  /** See {@link RunStoreApi.keptEventsSince}: stored rows only, nothing this handle knows of the run changes. */
  async keptEventsSince(runId: string, afterSeq: number): Promise<EventBufferedEvent[]> {
    const { rows } = await this.query<{ seq: number; time: Date; data: object }>("SELECT seq, time, data FROM events WHERE run_id = $1 AND seq > $2 AND type = 'event.buffered' ORDER BY seq", [runId, afterSeq]);
    return rows.map((r) => ({ ...r.data, runId, seq: r.seq, time: r.time.toISOString() }) as EventBufferedEvent);
  }

  async getEvents(runId: string, scope: TenantScope = {}): Promise<RunEvent[]> {
    if (scope.tenant !== undefined && (await this.query('SELECT 1 FROM runs WHERE id = $1 AND tenant = $2', [runId, scope.tenant])).rowCount === 0) return [];
    const { rows } = await this.query<{ seq: number; time: Date; data: object; hash: string | null }>('SELECT seq, time, data, hash FROM events WHERE run_id = $1 ORDER BY seq', [runId]);
    const events = rows.map((r) => ({ ...r.data, runId, seq: r.seq, time: r.time.toISOString() }) as RunEvent);
    const last = events.length ? events[events.length - 1].seq : 0;
    if (rows.length) this.chainHeads.saw(runId, last, rows[rows.length - 1].hash);
    const buffered = this.pending.filter((p) => p.runId === runId);
    // a buffered event whose commit has just been read is not reported twice
    for (const p of buffered) if (p.event.seq > last) events.push(p.event);
    // having read the log, this handle's next event of the run follows it (and its earlier refusal is behind it)
    if (buffered.length === 0) {
      this.nextSeq.set(runId, last + 1);
      this.leases.forgetRefusal(runId);
    }
    return events;
  }

  // -------------------------------------------------------------------------------------------------------
  // Decisions, signals, cancellation
  // -------------------------------------------------------------------------------------------------------

  async recordDecision(runId: string, task: string, decision: { decision: string; by?: string; comment?: string }, scope?: TenantScope): Promise<RunEvent> {
    try {
      const [event] = await this.signal(runId, scope, (run) => withGroup(run, decisionEvent(run, task, decision)));
      return event;
    } catch (error) {
      if (!(error instanceof BatonError) || error.code !== 'TASK_NOT_WAITING') throw error;
      const run = await this.getRun(runId, scope);
      throw explainWithdrawn(error, run.id, task, await this.getEvents(run.id));
    }
  }

  async recordSignal(runId: string, eventName: string, data: JsonValue, scope?: TenantScope, by?: string): Promise<RunEvent> {
    const found = await this.getRun(runId, scope);
    const buffer = eventBufferNeeded(found, eventName) ? { definition: await this.getDefinition(found.id), events: await this.getEvents(found.id), now: new Date() } : undefined;
    const [event] = await this.signal(runId, scope, (run) => withGroup(run, eventSignal(run, eventName, data, buffer, by)));
    return event;
  }

  async requestCancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus> {
    let status: RunStatus = 'running';
    const [event] = await this.signal(runId, scope, (run) => {
      status = run.status === 'running' ? 'running' : 'cancelled';
      return cancelPlan(run, by);
    });
    this.cancelSeen.delete(event.runId); // its next check reads the flag
    if ((status as RunStatus) === 'cancelled') await this.locks.releaseRun(event.runId);
    return status;
  }

  /**
   * Whether run `runId` was asked to stop. With `maxAgeMs`, a flag this handle read at most that long ago — every
   * write of a run it holds the lease of reads it (see {@link FLUSH_SQL}) — is the answer, without a query.
   */
  async isCancelRequested(runId: string, options: { maxAgeMs?: number } = {}): Promise<boolean> {
    const seen = this.cancelSeen.get(runId);
    if (seen && options.maxAgeMs !== undefined && Date.now() - seen.at <= options.maxAgeMs) return seen.cancelled;
    const { rows } = await this.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM runs WHERE id = $1', [runId]);
    const cancelled = rows[0]?.cancel_requested === true;
    if (this.leases.epochOf(runId) !== undefined) this.cancelSeen.set(runId, { cancelled, at: Date.now() });
    return cancelled;
  }

  /**
   * Appends `decide`'s events to run `runId` (of `scope`'s tenant) atomically at the log's end: this handle's buffered events are written
   * first (same transaction), the run's row is locked (FOR NO KEY UPDATE: one signal at a time, and never inside a
   * fenced flush), `decide` validates against the locked row, then the events and `sql` (params: id, the last
   * event's time) are written. A seq taken at that moment by an unleased writer (which does not lock the row), or a
   * deadlock, makes it try again (up to 5 times).
   */
  private async signal(
    runId: string,
    scope: TenantScope = {},
    decide: (run: RunRecord) => SignalPlan,
  ): Promise<RunEvent[]> {
    const found = await this.getRun(runId, scope);
    return this.serially(() =>
      retryConflicts(async () => (await this.writeBuffered([], async (client) => {
        return signalInTransaction(client, found, runId, this.location, decide);
        // another run's buffered events refused in the same transaction do not fail the signal (see `PgRunLeases.refusal`)
      })).value).then((events) => {
        // this handle's next event of the run goes after the signal (unless it buffered some meanwhile: a flush places them)
        if (!this.pending.some((p) => p.runId === found.id)) this.nextSeq.set(found.id, events[events.length - 1].seq + 1);
        return events;
      }),
    );
  }

  /** See {@link RunStoreApi.migrateRun} (pg-migrate-run.ts). */
  async migrateRun(runId: string, migration: RunMigration, scope?: TenantScope): Promise<RunEvent> {
    const found = await this.getRun(runId, scope);
    const event = await this.serially(() => this.transaction((client) => migratePgRun(client, found, migration)));
    if (!this.pending.some((p) => p.runId === found.id)) this.nextSeq.set(found.id, event.seq + 1);
    return event;
  }

  // kept broadcast events: pg-kept-events.ts
  readonly keepBroadcast = (eventName: string, data: JsonValue, keep: { ms: number; max: number }, scope?: TenantScope): Promise<{ id: string; expires: string }> => this.keptEvents.keep(eventName, data, keep, scope);
  readonly takeBroadcast = (runId: string, key: string, eventName: string, where: { path: string[]; value: JsonValue } | undefined, now: Date, peek?: boolean): Promise<{ id: string; data: JsonValue } | undefined> =>
    this.keptEvents.take(runId, key, eventName, where, now, peek);

  // the console's reads: pg-list.ts
  private readonly console = new PgConsoleReads((sql, values) => this.query(sql, values));
  readonly listRunsPage = this.console.listRunsPage;
  readonly countRuns = this.console.countRuns;
  readonly eventsSince = this.console.eventsSince;
  readonly getDefinitionSources = this.console.getDefinitionSources;
  readonly runStats = this.console.runStats;

  // named locks across runs: pg-locks.ts
  readonly acquireLock = (request: LockRequest): Promise<LockAcquired> => this.locks.acquire(request);
  readonly releaseLock = (request: Omit<LockRequest, 'node'>): Promise<{ grantedTo?: { runId: string; key: string } }> => this.locks.release(request);
  readonly releaseRunLocks = (runId: string): Promise<void> => this.locks.releaseRun(runId);
  readonly listLocks = (filter?: { tenant?: string }): Promise<LockInfo[]> => this.locks.list(filter);

  // -------------------------------------------------------------------------------------------------------
  // Leases
  // -------------------------------------------------------------------------------------------------------

  /** See {@link PgRunLeases.claim}. @throws BatonError `RUN_NOT_FOUND`. */
  claimLease(runId: string, owner: string, ttlMs: number, from?: string): Promise<Lease | undefined> {
    return this.leases.claim(runId, owner, ttlMs, from);
  }

  /** The run's lease as stored (expired or not), or undefined when nobody holds it. @throws BatonError `RUN_NOT_FOUND`. */
  leaseOf(runId: string): Promise<Lease | undefined> {
    return this.leases.leaseOf(runId);
  }

  /** See {@link PgRunLeases.renew}. @throws BatonError `LEASE_LOST`. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.leases.renew(lease, ttlMs);
  }

  /** See {@link PgRunLeases.release}; the run's cancellation flag as seen is forgotten with its fence. */
  async releaseLease(lease: Lease): Promise<void> {
    if (await this.leases.release(lease)) this.cancelSeen.delete(lease.runId);
  }

  /** `LISTEN` on the store's channel, on a connection of its own (see {@link PgRunWatch}). */
  async watchRuns(listener: (changes: RunChanges) => void, options: RunWatchOptions = {}): Promise<() => Promise<void>> {
    const { rows } = await this.query<{ schema: string }>('SELECT current_schema() AS schema');
    const watch = new PgRunWatch(this.clientConfig, this.target, notifyChannel(rows[0].schema), listener, options);
    await watch.start();
    this.watches.add(watch);
    return () => {
      this.watches.delete(watch);
      return watch.stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      for (const watch of this.watches) await watch.stop();
      this.watches.clear();
      await this.pool.end();
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Writing buffered events
  // -------------------------------------------------------------------------------------------------------

  /**
   * The buffered events hashed for the fast path: each run's first one links to the head this handle knows committed
   * at the seq before (an event never changes once committed), or to the one read now. Undefined when a head is not
   * stored (yet): the careful path then reads it in its transaction.
   */
  private async hashWithKnownHeads(batch: readonly BufferedEvent[]): Promise<HashedEvent[] | undefined> {
    const unknown = firstOfEachRun(batch).filter((f) => f.seq > 1 && this.chainHeads.known(f.runId, f.seq) === undefined);
    const read = await storedHashes((sql, values) => this.query(sql, values), unknown.map((f) => ({ runId: f.runId, seq: f.seq - 1 })));
    if (read.size < unknown.length) return undefined;
    return chainEvents(batch, (runId, seq) => this.chainHeads.known(runId, seq) ?? read.get(`${runId}:${seq - 1}`) ?? null);
  }

  /** See {@link RunStoreApi.readChain} (pg-chain.ts). */
  readChain(after: { runId: string; seq: number } | undefined, limit: number, runIds?: readonly string[]): Promise<ChainRow[]> {
    return readChainPage((sql, values) => this.query(sql, values), after, limit, runIds);
  }

  /** Runs `body` after every earlier write of buffered events of this handle (one at a time). */
  private serially<T>(body: () => Promise<T>): Promise<T> {
    const run = this.writing.then(body, body);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /**
   * One transaction: checks the fences of the buffered runs and of `alsoFenced` (locking their rows) and where the
   * buffered events go — after signals stored meanwhile, else `EVENTS_CONFLICT` — then writes the events and state
   * updates of every run not refused, then `then`. A refused run (`LEASE_LOST`, `EVENTS_CONFLICT`, or refused before:
   * see {@link PgRunLeases.check}) has its buffered events and state updates dropped and its refusal kept; the others are
   * written all the same. Buffered events leave the buffer only once it committed. Call inside {@link serially}.
   * @returns `then`'s value and the runs refused by this write.
   */
  private async writeBuffered<T>(alsoFenced: string[], then: (client: PoolClient) => Promise<T>): Promise<{ value: T; refused: string[] }> {
    const count = this.pending.length;
    const batch = this.pending.slice(0, count);
    const runs = [...new Set([...batch.map((p) => p.runId), ...alsoFenced])].sort();
    // the state updates of the runs written, as attached so far (see `updates`)
    const updates = runs.flatMap((runId) => (this.updates.get(runId) ?? []).map((update) => ({ runId, update })));
    let refused = new Map<string, BatonError>();
    let shifts = new Map<string, number>();
    let written: HashedEvent[] = [];
    const value = await this.transaction(async (client) => {
      ({ refused, shifts } = await this.leases.check(client, batch, runs));
      written = await insertEvents(
        client,
        batch.filter((p) => !refused.has(p.runId)).map((p) => ({ runId: p.runId, event: { ...p.event, seq: p.event.seq + (shifts.get(p.runId) ?? 0) } as RunEvent })),
      );
      for (const { runId, update } of updates) {
        if (refused.has(runId)) continue;
        const { sql, values } = updateStatement(runId, update);
        await client.query(sql, values);
      }
      return then(client);
    });
    // committed: move the buffered events (those written and those appended since) after the signals
    this.chainHeads.wrote(written);
    this.chainHeads.commit();
    this.leases.moveAfterSignals(shifts);
    this.pending.splice(0, count);
    for (const { runId, update } of updates) if (!refused.has(runId)) this.forgetUpdate(runId, update);
    for (const [runId, refusal] of refused) {
      this.leases.refuse(runId, refusal, batch.find((p) => p.runId === runId)?.event.seq);
      this.dropUpdates(runId);
    }
    return { value, refused: [...refused.keys()] };
  }

  /** Removes one state update of `runId` from {@link updates} (applied, or refused). */
  private forgetUpdate(runId: string, update: UpdateDoc): void {
    const left = (this.updates.get(runId) ?? []).filter((u) => u !== update);
    if (left.length) this.updates.set(runId, left);
    else this.updates.delete(runId);
  }

  /** Forgets the state updates of a run this handle may not write (its updateRun calls reject with the same error). */
  private dropUpdates(runId: string): void {
    this.updates.delete(runId);
  }

  // -------------------------------------------------------------------------------------------------------
  // Connections (pg-connection.ts)
  // -------------------------------------------------------------------------------------------------------

  /** A query on any pooled connection; `{ name, text }` is prepared once per connection (planned once). */
  private readonly query = <R extends QueryResultRow = QueryResultRow>(sql: string | { name: string; text: string }, values?: unknown[]): Promise<pg.QueryResult<R>> => poolQuery<R>(this.pool, this.target, sql, values);

  /** Runs `body` in a transaction (READ COMMITTED) on a pooled connection; rolled back when it throws. */
  private readonly transaction = <T>(body: (client: PoolClient) => Promise<T>): Promise<T> => poolTransaction(this.pool, this.target, body);
}

/** Thrown inside a start's transaction when its key was already claimed (rolls the run back). */
class DuplicateStart extends Error {}

export { MIGRATIONS };
