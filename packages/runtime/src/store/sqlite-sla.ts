// The SQLite store's SLA methods (RunStoreApi.dueSlas, recordSlaBreach, claimSlaBreach, refreshSlaDue) over schema 8's
// `runs.sla_due_at` / `sla_breached_at` and `sla_breaches` (sqlite-schema-8.ts). The PostgreSQL twin is
// cluster/src/pg-sla.ts; both pass test/store/conformance-sla.ts. The rules (what is due, the next deadline) are the
// runtime's: supervisor/sla.ts.
import type { NewRunEvent, RunEvent } from '@baton/protocol';
import type { DueSla, RunRecord, SlaBreach } from './store-api.js';
import { ENDED_STATUSES_SQL } from './sqlite-projection.js';

/** What the SLA methods use of the store handle. */
export interface SqliteSlaHost {
  /** Runs `body` as one write transaction (joining an open batch), waiting for other connections' locks. */
  batch<T>(body: () => T): T;
  /** The run as stored now (inside the transaction). @throws BatonError `RUN_NOT_FOUND`. */
  getRun(runId: string): RunRecord;
  /** Appends an event at the run's log end, as a signal (another executor's flush goes after it), in the open transaction. */
  signal(runId: string, event: NewRunEvent, time: Date): RunEvent;
  /** Reads rows outside a transaction, waiting while another connection holds the store. */
  read(sql: string, values: (string | number)[]): unknown[];
  /** Reads rows inside the open transaction. */
  all(sql: string, values: (string | number)[]): unknown[];
  /** Writes inside the open transaction. @returns the rows changed. */
  run(sql: string, values: (string | number | null)[]): number;
}

/** The most runs {@link SqliteSla.due} returns by default. */
const DUE_LIMIT = 500;

/** The SQLite store's SLA methods, synchronous (the store's async wrapper returns them settled). */
export class SqliteSla {
  constructor(private readonly host: SqliteSlaHost) {}

  /** See {@link RunStoreApi.dueSlas}: the index `runs_sla_due` serves it. */
  due(now: Date, limit = DUE_LIMIT, tenant?: string): DueSla[] {
    const rows = this.host.read(
      `SELECT id, tenant, flow, status, sla_due_at FROM runs WHERE sla_due_at IS NOT NULL AND sla_due_at <= ? AND status NOT IN (${ENDED_STATUSES_SQL})${tenant === undefined ? '' : ' AND tenant = ?'} ORDER BY sla_due_at, id LIMIT ?`,
      tenant === undefined ? [now.toISOString(), limit] : [now.toISOString(), tenant, limit],
    ) as { id: string; tenant: string; flow: string; status: DueSla['status']; sla_due_at: string }[];
    return rows.map((r) => ({ runId: r.id, tenant: r.tenant, flow: r.flow, status: r.status, slaDueAt: r.sla_due_at }));
  }

  /** See {@link RunStoreApi.recordSlaBreach}. */
  record(runId: string, breach: SlaBreach, now: Date): RunEvent | undefined {
    let stored: RunEvent | undefined;
    this.host.batch(() => {
      stored = undefined;
      const run = this.host.getRun(runId);
      if ((breach.stillDue?.(run) ?? true) && this.insert(run, breach.key, breach.deadline, now)) stored = this.host.signal(run.id, breach.event, now);
      this.host.run('UPDATE runs SET sla_due_at = ? WHERE id = ?', [breach.nextDue(run, this.keys(run.id)), run.id]);
    });
    return stored;
  }

  /** See {@link RunStoreApi.claimSlaBreach}. */
  claim(runId: string, key: string, deadline: string, now: Date): boolean {
    let inserted = false;
    this.host.batch(() => {
      inserted = this.insert(this.host.getRun(runId), key, deadline, now);
    });
    return inserted;
  }

  /** See {@link RunStoreApi.refreshSlaDue}. */
  refresh(runId: string, nextDue: SlaBreach['nextDue']): void {
    this.host.batch(() => {
      const run = this.host.getRun(runId);
      this.host.run('UPDATE runs SET sla_due_at = ? WHERE id = ?', [nextDue(run, this.keys(run.id)), run.id]);
    });
  }

  /** Inserts the breach's row (and the run's first-breach time); false when the row was there (recorded before). */
  private insert(run: RunRecord, key: string, deadline: string, now: Date): boolean {
    const at = now.toISOString();
    const added = this.host.run('INSERT INTO sla_breaches (run_id, key, tenant, flow, deadline, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING', [run.id, key, run.tenant ?? 'default', run.flow, deadline, at]);
    if (added === 0) return false;
    this.host.run('UPDATE runs SET sla_breached_at = COALESCE(sla_breached_at, ?) WHERE id = ?', [at, run.id]);
    return true;
  }

  /** The run's breached SLA keys (inside the transaction). */
  private keys(runId: string): Set<string> {
    return new Set((this.host.all('SELECT key FROM sla_breaches WHERE run_id = ?', [runId]) as { key: string }[]).map((r) => r.key));
  }
}
