// The PostgreSQL store's named locks (see `LockStoreApi` in @baton/runtime): the `locks` table (migration 4), one row
// per holder or waiter; the holder is the row with `state = 'held'`, the queue the `queued` rows in `id` order. Every
// call is one transaction that first takes a transaction-scoped advisory lock on (tenant, name), so two processes
// deciding about one lock queue behind each other instead of both inserting a holder.
import type { PoolClient } from 'pg';
import type { NewRunEvent, RunEvent } from '@baton/protocol';
import { BatonError, groupLocks, type LockAcquired, type LockInfo, type LockParty, type LockRequest } from '@baton/runtime';
import { retryConflicts } from './pg-connection.js';
import { insertEvents } from './pg-rows.js';

/** What the lock table uses of the store. */
export interface PgLockHost {
  /** Where the store is (in error messages). */
  location(): string;
  /** Runs `body` in one transaction. */
  transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** One query outside a transaction. */
  query<R extends object>(sql: string, values: unknown[]): Promise<{ rows: R[] }>;
}

interface LockRow {
  id: string;
  tenant: string;
  name: string;
  run_id: string;
  key: string;
  node: string;
  state: 'held' | 'queued';
  since: Date;
}

const party = (row: LockRow): LockParty => ({ runId: row.run_id, key: row.key, node: row.node, since: row.since.toISOString() });

/**
 * The PostgreSQL store's {@link LockStoreApi} methods. A call whose transaction meets a seq taken at that moment
 * (the hand-over's `lock.acquired` and a flush of the waiting run, SQLSTATE 23505) or a deadlock (40P01) is tried
 * again, up to 5 times.
 */
export class PgLocks {
  private readonly host: PgLockHost;

  constructor(host: PgLockHost) {
    this.host = { ...host, location: () => host.location(), transaction: (body) => retryConflicts(() => host.transaction(body)) };
  }

  /**
   * See `LockStoreApi.acquireLock`. Rows of runs that have ended (a store update to a final status that did not
   * release them: the process died between the two) are dropped first, handing the lock on.
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  acquire(request: LockRequest): Promise<LockAcquired> {
    return this.host.transaction(async (client) => {
      const run = await client.query<{ tenant: string }>('SELECT tenant FROM runs WHERE id = $1', [request.runId]);
      if (!run.rows[0]) throw new BatonError('RUN_NOT_FOUND', `no run with id "${request.runId}" in ${this.host.location()}`);
      const tenant = run.rows[0].tenant;
      await lockName(client, tenant, request.name);
      const stale = await client.query<LockRow>(
        "SELECT l.* FROM locks l JOIN runs r ON r.id = l.run_id WHERE l.tenant = $1 AND l.name = $2 AND r.status IN ('succeeded', 'failed', 'cancelled') ORDER BY l.id",
        [tenant, request.name],
      );
      for (const row of stale.rows) await drop(client, row);
      const { rows } = await client.query<LockRow>('SELECT * FROM locks WHERE tenant = $1 AND name = $2 ORDER BY id', [tenant, request.name]);
      const own = rows.find((r) => r.run_id === request.runId && r.key === request.key);
      const holder = rows.find((r) => r.state === 'held');
      if (own) {
        return own.state === 'held'
          ? { state: 'held', now: false }
          : { state: 'queued', now: false, holder: holder && party(holder), ahead: rows.filter((r) => r.state === 'queued' && BigInt(r.id) < BigInt(own.id)).length };
      }
      await client.query('INSERT INTO locks (tenant, name, run_id, key, node, state) VALUES ($1, $2, $3, $4, $5, $6)', [tenant, request.name, request.runId, request.key, request.node, holder ? 'queued' : 'held']);
      return holder ? { state: 'queued', now: false, holder: party(holder), ahead: rows.filter((r) => r.state === 'queued').length } : { state: 'held', now: true };
    });
  }

  /** See `LockStoreApi.releaseLock`. */
  release(request: Omit<LockRequest, 'node'>): Promise<{ grantedTo?: { runId: string; key: string } }> {
    return this.host.transaction(async (client) => {
      const run = await client.query<{ tenant: string }>('SELECT tenant FROM runs WHERE id = $1', [request.runId]);
      if (!run.rows[0]) return {};
      await lockName(client, run.rows[0].tenant, request.name);
      const { rows } = await client.query<LockRow>('SELECT * FROM locks WHERE run_id = $1 AND key = $2 AND name = $3', [request.runId, request.key, request.name]);
      let grantedTo: { runId: string; key: string } | undefined;
      for (const row of rows) grantedTo = (await drop(client, row)) ?? grantedTo;
      return grantedTo ? { grantedTo } : {};
    });
  }

  /** See `LockStoreApi.releaseRunLocks`. */
  releaseRun(runId: string): Promise<void> {
    return this.host.transaction(async (client) => {
      const names = await client.query<{ tenant: string; name: string }>('SELECT DISTINCT tenant, name FROM locks WHERE run_id = $1 ORDER BY tenant, name', [runId]);
      for (const n of names.rows) await lockName(client, n.tenant, n.name);
      const { rows } = await client.query<LockRow>('SELECT * FROM locks WHERE run_id = $1 ORDER BY id', [runId]);
      for (const row of rows) await drop(client, row);
    });
  }

  /** See `LockStoreApi.listLocks`. */
  async list(filter: { tenant?: string } = {}): Promise<LockInfo[]> {
    const { rows } = filter.tenant !== undefined
      ? await this.host.query<LockRow>('SELECT * FROM locks WHERE tenant = $1 ORDER BY tenant, name, id', [filter.tenant])
      : await this.host.query<LockRow>('SELECT * FROM locks ORDER BY tenant, name, id', []);
    return groupLocks(rows.map((r) => ({ tenant: r.tenant, name: r.name, state: r.state, party: party(r) })));
  }
}

/** The transaction-scoped advisory lock on one named lock: its decisions are made one at a time. */
async function lockName(client: PoolClient, tenant: string, name: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('baton.lock:' || $1 || ':' || $2))", [tenant, name]);
}

/**
 * Deletes a row; a held one goes to the oldest waiter, and `lock.acquired` is appended at the end of that waiter's
 * log under its run row's lock (as the store's signals are). @returns that waiter.
 */
async function drop(client: PoolClient, row: LockRow): Promise<{ runId: string; key: string } | undefined> {
  await client.query('DELETE FROM locks WHERE id = $1', [row.id]);
  if (row.state !== 'held') return undefined;
  const next = await client.query<LockRow>("SELECT * FROM locks WHERE tenant = $1 AND name = $2 AND state = 'queued' ORDER BY id LIMIT 1", [row.tenant, row.name]);
  const waiter = next.rows[0];
  if (!waiter) return undefined;
  await client.query("UPDATE locks SET state = 'held', since = now() WHERE id = $1", [waiter.id]);
  await client.query('SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE', [waiter.run_id]);
  const last = await client.query<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE run_id = $1', [waiter.run_id]);
  const event: NewRunEvent = { type: 'lock.acquired', key: waiter.key, node: waiter.node, name: waiter.name, from: row.run_id };
  await insertEvents(client, [{ runId: waiter.run_id, event: { ...event, runId: waiter.run_id, seq: (last.rows[0]?.seq ?? 0) + 1, time: new Date().toISOString() } as RunEvent }]);
  return { runId: waiter.run_id, key: waiter.key };
}
