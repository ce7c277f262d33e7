// The PostgreSQL store's kept broadcast events (see `RunStoreApi.keepBroadcast`, `takeBroadcast` in @baton/runtime):
// the `kept_events` table (migration 5), one row per broadcast event kept for a later `wait event` of its tenant's
// runs, taken by at most one wait (`taken_by`: the run id and the wait's key, unique) and ignored once
// `expires_at` has passed. The SQLite store's twin is `sqlite-kept-events.ts` in the runtime.
import type { PoolClient } from 'pg';
import type { JsonValue } from '@baton/protocol';
import { BatonError, keptFullMessage, matchesWhere, newRunId, type RunRecord, type TenantScope } from '@baton/runtime';

/** What the kept events use of the store. */
export interface PgKeptEventHost {
  /** Runs `body` in one transaction. */
  transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** One query outside a transaction; `rowCount`: the rows an UPDATE changed. */
  query<R extends object>(sql: string, values: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** A run by id or prefix. @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`. */
  getRun(idOrPrefix: string): Promise<RunRecord>;
}

/** The PostgreSQL store's kept-event methods. */
export class PgKeptEvents {
  constructor(private readonly host: PgKeptEventHost) {}

  /** See {@link RunStoreApi.keepBroadcast}: counted and inserted under a transaction-scoped lock of (tenant, event). @throws BatonError `EVENT_BUFFER_FULL`. */
  async keep(eventName: string, data: JsonValue, keep: { ms: number; max: number }, scope: TenantScope = {}): Promise<{ id: string; expires: string }> {
    const tenant = scope.tenant ?? 'default';
    const id = newRunId();
    const now = new Date();
    const expires = new Date(now.getTime() + keep.ms).toISOString();
    await this.host.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kept:${tenant}:${eventName}`]);
      const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM kept_events WHERE tenant = $1 AND event = $2 AND taken_by IS NULL AND expires_at > $3', [tenant, eventName, now]);
      const open = Number(rows[0].n);
      if (open >= keep.max) throw new BatonError('EVENT_BUFFER_FULL', keptFullMessage(eventName, open, keep.max));
      await client.query('INSERT INTO kept_events (id, tenant, event, data, kept_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [id, tenant, eventName, JSON.stringify(data), now, expires]);
    });
    return { id, expires };
  }

  /** See {@link RunStoreApi.takeBroadcast}: the oldest matching open row, taken by compare-and-set (another taker moves it on to the next). */
  async take(runId: string, key: string, eventName: string, where: { path: string[]; value: JsonValue } | undefined, now: Date, peek = false): Promise<{ id: string; data: JsonValue } | undefined> {
    const host = this.host;
    const run = await host.getRun(runId);
    const taker = `${run.id} ${key}`;
    const mine = await host.query<{ id: string; data: JsonValue }>('SELECT id, data FROM kept_events WHERE taken_by = $1', [taker]);
    if (mine.rows[0]) return { id: mine.rows[0].id, data: mine.rows[0].data };
    const { rows } = await host.query<{ id: string; data: JsonValue }>('SELECT id, data FROM kept_events WHERE tenant = $1 AND event = $2 AND taken_by IS NULL AND expires_at > $3 ORDER BY id', [run.tenant ?? 'default', eventName, now]);
    for (const row of rows) {
      if (!matchesWhere(row.data, where)) continue;
      if (peek) return { id: row.id, data: row.data };
      const taken = await host.query('UPDATE kept_events SET taken_by = $1 WHERE id = $2 AND taken_by IS NULL', [taker, row.id]);
      if (taken.rowCount === 1) return { id: row.id, data: row.data };
    }
    return undefined;
  }
}
