import type { EventBufferedEvent, JsonValue, NewRunEvent, RunEvent, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { RunStore, type RunStoreOptions } from './run-store.js';
import type { LockAcquired, LockInfo, LockRequest } from './lock-api.js';
import type { DeliveryOutcome, DeliveryRecord, DueSla, NotificationRecord, SlaBreach, Lease, ListOptions, NewRun, RunChanges, RunCounts, RunFilter, RunMigration, RunPage, RunRecord, RunStats, RunStatsQuery, RunStoreApi, RunUpdate, RunWatchOptions, SourceFile, TenantScope } from './store-api.js';
import { watchSqliteRuns } from './sqlite-watch.js';
import type { ChainRow } from './event-chain.js';
import { readChainPage } from './sqlite-audit.js';
import { countRunsQuery, readRunsPage, sqliteDialect } from './run-list.js';
import { RUN_COLUMNS, toRecord, type RunRow } from './sqlite-schema.js';
import { readSqliteSources, readSqliteSourcesByHash } from './sqlite-sources.js';
import { sqliteRunStats } from './sqlite-stats.js';

/** The runs list's SQL in SQLite's words (run-list.ts). */
const DIALECT = sqliteDialect(RUN_COLUMNS);

/**
 * The embedded SQLite store behind the asynchronous contract ({@link RunStoreApi}): each method does its
 * work synchronously on the wrapped {@link RunStore} (node-sqlite3-wasm has no asynchronous API) and returns a
 * settled promise. `database` is the wrapped store, for the callers that still use it directly.
 */
export class SqliteRunStore implements RunStoreApi {
  /** The stops of the watches started on this handle: {@link close} stops them. */
  private readonly watches = new Set<() => Promise<void>>();

  constructor(readonly database: RunStore) {}

  /**
   * Opens (creating it if needed) the store file at `file`, or an in-memory store for `:memory:`.
   * @throws BatonError `STORE_NOT_A_DATABASE`, `STORE_TOO_NEW`, `STORE_UNREADABLE`, `STORE_BUSY`.
   */
  static open(file: string, options: RunStoreOptions = {}): SqliteRunStore {
    return new SqliteRunStore(RunStore.open(file, options));
  }

  get location(): string {
    return this.database.path;
  }

  async createRun(init: NewRun, startKey?: { scope: string; key: string }): Promise<{ id: string; duplicate: boolean }> {
    const db = this.database;
    // one transaction: the key is checked and recorded under the write lock, with the run it starts
    return db.batch(() => {
      if (startKey) {
        const previous = db.findStartKey(startKey.scope, startKey.key, init.tenant);
        if (previous) return { id: previous, duplicate: true };
      }
      const { started, ...run } = init;
      const id = db.createRun(run);
      if (startKey) db.recordStartKey(startKey.scope, startKey.key, id, init.tenant);
      if (started) {
        db.append(id, started, new Date(init.startedAt));
        db.flush(id);
      }
      return { id, duplicate: false };
    });
  }

  /** See {@link RunStoreApi.readChain}. */
  async readChain(after: { runId: string; seq: number } | undefined, limit: number, runIds?: readonly string[]): Promise<ChainRow[]> {
    return readChainPage((sql, values) => this.database.readNow(sql, values, true)!, after, limit, runIds);
  }

  async updateRun(id: string, fields: RunUpdate): Promise<void> {
    this.database.updateRun(id, fields);
  }

  async findRun(idOrPrefix: string, scope?: TenantScope): Promise<RunRecord | undefined> {
    return this.database.findRun(idOrPrefix, scope);
  }

  async getRun(idOrPrefix: string, scope?: TenantScope): Promise<RunRecord> {
    return this.database.getRun(idOrPrefix, scope);
  }

  async getDefinition(id: string): Promise<WorkflowDefinition> {
    return this.database.getDefinition(id);
  }

  /** See {@link RunStoreApi.putDefinition}. */
  async putDefinition(definition: WorkflowDefinition, sources?: readonly SourceFile[]): Promise<string> {
    return this.database.putDefinition(definition, sources);
  }

  /** See {@link RunStoreApi.getDefinitionByHash}. */
  async getDefinitionByHash(hash: string): Promise<WorkflowDefinition> {
    const key = hash.replace(/^sha256:/, '');
    const [row] = this.read('SELECT body FROM definitions WHERE hash = ?', [key]) as { body: string }[];
    if (!row) throw new BatonError('DEFINITION_NOT_FOUND', `no definition sha256:${key} in the run store`);
    return JSON.parse(row.body) as WorkflowDefinition;
  }

  /** See {@link RunStoreApi.getSourcesByHash} (sqlite-sources.ts). */
  async getSourcesByHash(hash: string): Promise<SourceFile[]> {
    return readSqliteSourcesByHash((sql, values) => this.read(sql, values), hash);
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.database.listRuns(filter);
  }

  /** See {@link RunStoreApi.listRunsPage} (run-list.ts). */
  async listRunsPage(filter: RunFilter, options?: ListOptions): Promise<RunPage> {
    return readRunsPage(filter, DIALECT, (sql, values) => this.read(sql, values) as RunRow[], toRecord, options);
  }

  /** See {@link RunStoreApi.countRuns}. */
  async countRuns(filter: Omit<RunFilter, 'status' | 'limit' | 'before' | 'text'>): Promise<RunCounts> {
    const { sql, values } = countRunsQuery(filter, DIALECT);
    return Object.fromEntries((this.read(sql, values) as { status: string; n: number }[]).map((r) => [r.status, r.n]));
  }

  /** See {@link RunStoreApi.eventsSince}: stored rows only, nothing this handle knows of the run changes. */
  async eventsSince(runId: string, afterSeq: number, limit: number, scope: TenantScope = {}): Promise<RunEvent[]> {
    const byTenant = scope.tenant !== undefined;
    const rows = this.read(
      `SELECT e.seq, e.time, e.data FROM events e${byTenant ? ' JOIN runs r ON r.id = e.run_id AND r.tenant = ?' : ''} WHERE e.run_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
      [...(byTenant ? [scope.tenant!] : []), runId, afterSeq, limit],
    ) as { seq: number; time: string; data: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.data) as object), runId, seq: r.seq, time: r.time }) as RunEvent);
  }

  /** See {@link RunStoreApi.getDefinitionSources} (sqlite-sources.ts). */
  async getDefinitionSources(runId: string, scope?: TenantScope): Promise<{ definition: string; sources: SourceFile[] }> {
    return readSqliteSources((sql, values) => this.read(sql, values), runId, scope);
  }

  /** See {@link RunStoreApi.runStats} (sqlite-stats.ts). */
  async runStats(query: RunStatsQuery): Promise<RunStats> {
    return sqliteRunStats((sql, values) => this.read(sql, values), query);
  }

  /** A read that waits for the lock. */
  private read(sql: string, values: unknown[]): unknown[] {
    return this.database.readNow(sql, values as (string | number)[], true)!;
  }

  append(runId: string, event: NewRunEvent, time?: Date): RunEvent {
    return this.database.append(runId, event, time);
  }

  async flush(runId?: string): Promise<void> {
    this.database.flush(runId);
  }

  async getEvents(runId: string, scope?: TenantScope): Promise<RunEvent[]> {
    return this.database.getEvents(runId, scope);
  }

  async recordDecision(runId: string, task: string, decision: { decision: string; by?: string; comment?: string }, scope?: TenantScope): Promise<RunEvent> {
    return this.database.recordDecision(runId, task, decision, scope);
  }

  async keepBroadcast(eventName: string, data: JsonValue, keep: { ms: number; max: number }, scope?: TenantScope): Promise<{ id: string; expires: string }> {
    return this.database.keptEvents.keep(eventName, data, keep, scope);
  }

  async takeBroadcast(runId: string, key: string, eventName: string, where: { path: string[]; value: JsonValue } | undefined, now: Date, peek?: boolean): Promise<{ id: string; data: JsonValue } | undefined> {
    return this.database.keptEvents.take(runId, key, eventName, where, now, peek);
  }

  async keptEventsSince(runId: string, afterSeq: number): Promise<EventBufferedEvent[]> {
    return this.database.keptEventsSince(runId, afterSeq);
  }

  async recordSignal(runId: string, eventName: string, data: JsonValue, scope?: TenantScope, by?: string): Promise<RunEvent> {
    return this.database.recordSignal(runId, eventName, data, scope, by);
  }

  async migrateRun(runId: string, migration: RunMigration, scope?: TenantScope): Promise<RunEvent> {
    return this.database.migrateRun(runId, migration, scope);
  }

  async requestCancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus> {
    return this.database.requestCancel(runId, by, scope);
  }

  async isCancelRequested(runId: string): Promise<boolean> {
    return this.database.isCancelRequested(runId);
  }

  async claimLease(runId: string, owner: string, ttlMs: number, from?: string): Promise<Lease | undefined> {
    return this.database.claimLease(runId, owner, ttlMs, from);
  }

  async leaseOf(runId: string): Promise<Lease | undefined> {
    return this.database.leaseOf(runId);
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.database.renewLease(lease, ttlMs);
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.database.releaseLease(lease);
  }

  /** Polls the file (see sqlite-watch.ts); reports the changed runs' records with their ids. */
  async watchRuns(listener: (changes: RunChanges, runs?: readonly RunRecord[]) => void, options?: RunWatchOptions): Promise<() => Promise<void>> {
    const stop = await watchSqliteRuns(this.database, listener, options);
    this.watches.add(stop);
    return () => {
      this.watches.delete(stop);
      return stop();
    };
  }

  async acquireLock(request: LockRequest): Promise<LockAcquired> {
    return this.database.locks.acquire(request);
  }

  async releaseLock(request: Omit<LockRequest, 'node'>): Promise<{ grantedTo?: { runId: string; key: string } }> {
    return this.database.locks.release(request);
  }

  async releaseRunLocks(runId: string): Promise<void> {
    this.database.locks.releaseRun(runId);
  }

  async listLocks(filter?: { tenant?: string }): Promise<LockInfo[]> {
    return this.database.locks.list(filter);
  }

  // SLAs (sqlite-sla.ts)
  async dueSlas(now: Date, limit?: number, scope?: TenantScope): Promise<DueSla[]> {
    return this.database.sla.due(now, limit, scope?.tenant);
  }

  async recordSlaBreach(runId: string, breach: SlaBreach, now: Date): Promise<RunEvent | undefined> {
    return this.database.sla.record(runId, breach, now);
  }

  async claimSlaBreach(runId: string, key: string, deadline: string, now: Date): Promise<boolean> {
    return this.database.sla.claim(runId, key, deadline, now);
  }

  async refreshSlaDue(runId: string, nextDue: SlaBreach['nextDue']): Promise<void> {
    this.database.sla.refresh(runId, nextDue);
  }

  // the notification outbox (sqlite-outbox.ts)
  async setNotificationsEnabled(on: boolean): Promise<void> {
    this.database.outbox.setEnabled(on);
  }

  async newNotifications(limit: number): Promise<NotificationRecord[]> {
    return this.database.outbox.newNotifications(limit);
  }

  async expandNotification(id: string, channels: readonly string[], now: Date): Promise<void> {
    this.database.outbox.expandNotification(id, channels, now);
  }

  async claimDeliveries(owner: string, now: Date, limit: number, claimMs: number): Promise<DeliveryRecord[]> {
    return this.database.outbox.claimDeliveries(owner, now, limit, claimMs);
  }

  async markDelivery(id: string, owner: string, outcome: DeliveryOutcome, now: Date): Promise<boolean> {
    return this.database.outbox.markDelivery(id, owner, outcome, now);
  }

  async listDeliveries(filter: { status?: DeliveryRecord['status']; before?: string; limit?: number }, scope?: TenantScope): Promise<{ deliveries: DeliveryRecord[]; next?: string }> {
    return this.database.outbox.listDeliveries(filter, scope);
  }

  async retryDelivery(id: string, now: Date, scope?: TenantScope): Promise<DeliveryRecord> {
    return this.database.outbox.retryDelivery(id, now, scope);
  }

  async countDeliveries(scope?: TenantScope): Promise<Record<DeliveryRecord['status'], number>> {
    return this.database.outbox.countDeliveries(scope);
  }

  async pruneDeliveries(sentBefore: Date, deadBefore: Date): Promise<number> {
    return this.database.outbox.pruneDeliveries(sentBefore, deadBefore);
  }

  async close(): Promise<void> {
    for (const stop of this.watches) await stop();
    this.watches.clear();
    this.database.close();
  }
}
