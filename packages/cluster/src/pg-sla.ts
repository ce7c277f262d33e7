// The PostgreSQL store's SLA methods (RunStoreApi.dueSlas, recordSlaBreach, claimSlaBreach, refreshSlaDue) over
// migration 7's `runs.sla_due_at` / `sla_breached_at` and `sla_breaches` (pg-schema-7.ts). A breach is recorded under
// the run's row lock (FOR NO KEY UPDATE, as a decision is: one signal at a time, never inside a fenced flush), its
// row unique per (run, key) — so any number of pollers (reconcilers, front doors) record it once. The SQLite twin is
// sqlite-sla.ts in the runtime; both pass test/store/conformance-sla.ts.
import type { PoolClient } from 'pg';
import type { NewRunEvent, RunEvent } from '@baton/protocol';
import { BatonError, type DueSla, type RunRecord, type SlaBreach, type TenantScope } from '@baton/runtime';
import { retryConflicts } from './pg-connection.js';
import { insertEvents, RUN_COLUMNS, toRecord, type RunRow } from './pg-rows.js';
import type { PgRunStore } from './pg-run-store.js';

/** What the SLA methods use of the store. */
export interface PgSlaHost {
  /** Runs `body` in one transaction. */
  transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** One query outside a transaction. */
  query<R extends object>(sql: string, values: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** Told the last seq a signal wrote to run `runId` (this handle's next event of it goes after). */
  signalled(runId: string, seq: number): void;
  /** The store's location, for error messages. */
  location: string;
}

/** The SLA methods the PostgreSQL store gets (see {@link installPgSla}). */
export interface PgSlaMethods {
  dueSlas(now: Date, limit?: number, scope?: TenantScope): Promise<DueSla[]>;
  recordSlaBreach(runId: string, breach: SlaBreach, now: Date): Promise<RunEvent | undefined>;
  claimSlaBreach(runId: string, key: string, deadline: string, now: Date): Promise<boolean>;
  refreshSlaDue(runId: string, nextDue: SlaBreach['nextDue']): Promise<void>;
}

declare module './pg-run-store.js' {
  // the methods installPgSla sets on every store (RunStoreApi's optional SLA methods)
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface PgRunStore extends PgSlaMethods {}
}

/** Sets the SLA methods on `store` (called by its constructor). */
export function installPgSla(store: PgRunStore, host: PgSlaHost): void {
  /** The run, locked for this transaction. @throws BatonError `RUN_NOT_FOUND`. */
  const lockRun = async (client: PoolClient, runId: string): Promise<RunRecord> => {
    const { rows } = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1 FOR NO KEY UPDATE`, [runId]);
    if (!rows[0]) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}" in ${host.location}`);
    return toRecord(rows[0]);
  };
  const insert = async (client: PoolClient, run: RunRecord, key: string, deadline: string, now: Date): Promise<boolean> => {
    const added = await client.query('INSERT INTO sla_breaches (run_id, key, tenant, flow, deadline, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, key) DO NOTHING', [run.id, key, run.tenant ?? 'default', run.flow, deadline, now]);
    if (added.rowCount === 0) return false;
    await client.query('UPDATE runs SET sla_breached_at = COALESCE(sla_breached_at, $2) WHERE id = $1', [run.id, now]);
    return true;
  };
  const keys = async (client: PoolClient, runId: string): Promise<Set<string>> => new Set((await client.query<{ key: string }>('SELECT key FROM sla_breaches WHERE run_id = $1', [runId])).rows.map((r) => r.key));
  const append = async (client: PoolClient, runId: string, event: NewRunEvent, now: Date): Promise<RunEvent> => {
    const last = await client.query<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE run_id = $1', [runId]);
    const full = { ...event, runId, seq: (last.rows[0]?.seq ?? 0) + 1, time: now.toISOString() } as RunEvent;
    await insertEvents(client, [{ runId, event: full }]);
    return full;
  };

  const methods: PgSlaMethods = {
    async dueSlas(now, limit = 500, scope = {}) {
      const { rows } = await host.query<{ id: string; tenant: string; flow: string; status: DueSla['status']; sla_due_at: Date }>(
        "SELECT id, tenant, flow, status, sla_due_at FROM runs WHERE sla_due_at IS NOT NULL AND sla_due_at <= $1 AND status NOT IN ('succeeded', 'failed', 'cancelled') AND ($3::text IS NULL OR tenant = $3) ORDER BY sla_due_at, id LIMIT $2",
        [now, limit, scope.tenant ?? null],
      );
      return rows.map((r) => ({ runId: r.id, tenant: r.tenant, flow: r.flow, status: r.status, slaDueAt: r.sla_due_at.toISOString() }));
    },

    async recordSlaBreach(runId, breach, now) {
      // a seq an unleased writer took at that moment (it does not lock the row), or a deadlock: tried again
      const stored = await retryConflicts(() =>
        host.transaction(async (client) => {
          const run = await lockRun(client, runId);
          const event = (breach.stillDue?.(run) ?? true) && (await insert(client, run, breach.key, breach.deadline, now)) ? await append(client, run.id, breach.event, now) : undefined;
          await client.query('UPDATE runs SET sla_due_at = $2 WHERE id = $1', [run.id, breach.nextDue(run, await keys(client, run.id))]);
          return event;
        }),
      );
      if (stored) host.signalled(stored.runId, stored.seq);
      return stored;
    },

    async claimSlaBreach(runId, key, deadline, now) {
      return host.transaction(async (client) => insert(client, await lockRun(client, runId), key, deadline, now));
    },

    async refreshSlaDue(runId, nextDue) {
      await host.transaction(async (client) => {
        const run = await lockRun(client, runId);
        await client.query('UPDATE runs SET sla_due_at = $2 WHERE id = $1', [run.id, nextDue(run, await keys(client, run.id))]);
      });
    },
  };
  Object.assign(store, methods);
}
