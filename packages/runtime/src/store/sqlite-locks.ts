// The SQLite store's named locks (see lock-api.ts): the `locks` table, one row per holder or waiter; the holder is
// the row with `state = 'held'`, the queue the `queued` rows in `id` order (first come, first served).
import type { NewRunEvent } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { LockAcquired, LockInfo, LockParty, LockRequest } from './lock-api.js';

/** The `locks` table (schema 5). */
export const LOCKS_TABLE = `CREATE TABLE IF NOT EXISTS locks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant TEXT NOT NULL,
      name TEXT NOT NULL,
      run_id TEXT NOT NULL,
      key TEXT NOT NULL,
      node TEXT NOT NULL,
      state TEXT NOT NULL,
      since TEXT NOT NULL,
      UNIQUE (tenant, name, run_id, key)
    );
    CREATE INDEX IF NOT EXISTS locks_run ON locks (run_id);`;

/** What the lock table uses of the store handle. */
export interface SqliteLockHost {
  /** Runs `body` as one write transaction, waiting for other connections' locks. */
  transaction(body: () => void): void;
  /** Reads rows inside the open transaction. */
  all(sql: string, values: (string | number)[]): unknown[];
  /** Reads rows, waiting while another connection holds the store. */
  read(sql: string, values: (string | number)[]): unknown[];
  /** Writes inside the open transaction. */
  run(sql: string, values: (string | number | null)[]): number;
  /** Appends an event from outside the run's execution to its log and writes it, inside the open transaction. */
  signal(runId: string, event: NewRunEvent): void;
  /** The store file (in error messages). */
  readonly path: string;
}

interface LockRow {
  id: number;
  tenant: string;
  name: string;
  run_id: string;
  key: string;
  node: string;
  state: 'held' | 'queued';
  since: string;
}

const party = (row: LockRow): LockParty => ({ runId: row.run_id, key: row.key, node: row.node, since: row.since });

/** The SQLite store's {@link LockStoreApi} methods, synchronous (the store's async wrapper returns them settled). */
export class SqliteLocks {
  constructor(private readonly host: SqliteLockHost) {}

  /** See `LockStoreApi.acquireLock`. @throws BatonError `RUN_NOT_FOUND`. */
  acquire(request: LockRequest): LockAcquired {
    const host = this.host;
    let answer!: LockAcquired;
    host.transaction(() => {
      const [run] = host.all('SELECT tenant FROM runs WHERE id = ?', [request.runId]) as { tenant: string }[];
      if (!run) throw new BatonError('RUN_NOT_FOUND', `no run with id "${request.runId}" in ${host.path}`);
      const rows = host.all('SELECT * FROM locks WHERE tenant = ? AND name = ? ORDER BY id', [run.tenant, request.name]) as LockRow[];
      const own = rows.find((r) => r.run_id === request.runId && r.key === request.key);
      const holder = rows.find((r) => r.state === 'held');
      if (own) {
        answer = own.state === 'held' ? { state: 'held', now: false } : { state: 'queued', now: false, holder: holder && party(holder), ahead: rows.filter((r) => r.state === 'queued' && r.id < own.id).length };
        return;
      }
      const state = holder ? 'queued' : 'held';
      host.run('INSERT INTO locks (tenant, name, run_id, key, node, state, since) VALUES (?, ?, ?, ?, ?, ?, ?)', [run.tenant, request.name, request.runId, request.key, request.node, state, new Date().toISOString()]);
      answer = holder ? { state: 'queued', now: false, holder: party(holder), ahead: rows.filter((r) => r.state === 'queued').length } : { state: 'held', now: true };
    });
    return answer;
  }

  /** See `LockStoreApi.releaseLock`. */
  release(request: Omit<LockRequest, 'node'>): { grantedTo?: { runId: string; key: string } } {
    let grantedTo: { runId: string; key: string } | undefined;
    this.host.transaction(() => {
      const rows = this.host.all('SELECT * FROM locks WHERE run_id = ? AND key = ? AND name = ?', [request.runId, request.key, request.name]) as LockRow[];
      for (const row of rows) grantedTo = this.drop(row) ?? grantedTo;
    });
    return grantedTo ? { grantedTo } : {};
  }

  /**
   * See `LockStoreApi.releaseRunLocks`; inside the store's open transaction when `inTransaction` (the store's
   * update of a run to a final status).
   */
  releaseRun(runId: string, inTransaction = false): void {
    const body = (): void => {
      for (const row of this.host.all('SELECT * FROM locks WHERE run_id = ? ORDER BY id', [runId]) as LockRow[]) this.drop(row);
    };
    if (inTransaction) body();
    else this.host.transaction(body);
  }

  /** See `LockStoreApi.listLocks`. */
  list(filter: { tenant?: string } = {}): LockInfo[] {
    const rows = (filter.tenant !== undefined
      ? this.host.read('SELECT * FROM locks WHERE tenant = ? ORDER BY tenant, name, id', [filter.tenant])
      : this.host.read('SELECT * FROM locks ORDER BY tenant, name, id', [])) as LockRow[];
    return groupLocks(rows.map((r) => ({ tenant: r.tenant, name: r.name, state: r.state, party: party(r) })));
  }

  /** Deletes a row inside the open transaction; a held one goes to the oldest waiter. @returns that waiter. */
  private drop(row: LockRow): { runId: string; key: string } | undefined {
    this.host.run('DELETE FROM locks WHERE id = ?', [row.id]);
    if (row.state !== 'held') return undefined;
    const [next] = this.host.all("SELECT * FROM locks WHERE tenant = ? AND name = ? AND state = 'queued' ORDER BY id LIMIT 1", [row.tenant, row.name]) as LockRow[];
    if (!next) return undefined;
    const since = new Date().toISOString();
    this.host.run("UPDATE locks SET state = 'held', since = ? WHERE id = ?", [since, next.id]);
    this.host.signal(next.run_id, { type: 'lock.acquired', key: next.key, node: next.node, name: next.name, from: row.run_id });
    return { runId: next.run_id, key: next.key };
  }
}

/**
 * Rows of one or more locks, ordered by tenant, name and arrival, as {@link LockInfo}s (shared with the
 * PostgreSQL store). A lock whose rows have no holder (never stored so) is left out.
 */
export function groupLocks(rows: { tenant: string; name: string; state: string; party: LockParty }[]): LockInfo[] {
  const locks: LockInfo[] = [];
  const byName = new Map<string, { tenant: string; name: string; holder?: LockParty; queue: LockParty[] }>();
  for (const row of rows) {
    const id = `${row.tenant}\u0000${row.name}`;
    let lock = byName.get(id);
    if (!lock) byName.set(id, (lock = { tenant: row.tenant, name: row.name, queue: [] }));
    if (row.state === 'held') lock.holder = row.party;
    else lock.queue.push(row.party);
  }
  for (const lock of byName.values()) if (lock.holder) locks.push({ tenant: lock.tenant, name: lock.name, holder: lock.holder, queue: lock.queue });
  return locks;
}
