// The SQLite store's kept broadcast events (see `RunStoreApi.keepBroadcast`, `takeBroadcast`): the `kept_events`
// table (schema 5), one row per broadcast event kept for a later `wait event` of its tenant's runs, taken by at
// most one wait (`taken_by`: the run id and the wait's key) and ignored once `expires_at` has passed.
import type { JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { matchesWhere } from '../engine/event-buffer.js';
import { newRunId } from './run-id.js';
import { keptFullMessage } from './signal-rules.js';
import type { RunRecord, TenantScope } from './store-api.js';

/** What the kept events use of the store handle. */
export interface SqliteKeptEventHost {
  /** Runs `body` as one write transaction, waiting for other connections' locks. */
  transaction(body: () => void): void;
  /** Runs `body` (reads only), waiting while another connection holds the store. */
  retry(body: () => void): void;
  /** Reads rows with a kept prepared statement (inside `transaction` or `retry`). */
  cachedAll(sql: string, values: (string | number)[]): unknown[];
  /** Writes with a kept prepared statement, inside the open transaction. */
  cachedRun(sql: string, values: (string | number | null)[]): void;
  /** A run by id or prefix. @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`. */
  getRun(idOrPrefix: string): RunRecord;
}

/** The SQLite store's kept-event methods, synchronous (the store's async wrapper returns them settled). */
export class SqliteKeptEvents {
  constructor(private readonly host: SqliteKeptEventHost) {}

  /** See {@link RunStoreApi.keepBroadcast}. @throws BatonError `EVENT_BUFFER_FULL`. */
  keep(eventName: string, data: JsonValue, keep: { ms: number; max: number }, scope: TenantScope = {}): { id: string; expires: string } {
    const host = this.host;
    const tenant = scope.tenant ?? 'default';
    const now = new Date();
    const id = newRunId();
    const expires = new Date(now.getTime() + keep.ms).toISOString();
    host.transaction(() => {
      const [open] = host.cachedAll('SELECT COUNT(*) AS n FROM kept_events WHERE tenant = ? AND event = ? AND taken_by IS NULL AND expires_at > ?', [tenant, eventName, now.toISOString()]) as { n: number }[];
      if (open.n >= keep.max) throw new BatonError('EVENT_BUFFER_FULL', keptFullMessage(eventName, open.n, keep.max));
      host.cachedRun('INSERT INTO kept_events (id, tenant, event, data, kept_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [id, tenant, eventName, JSON.stringify(data), now.toISOString(), expires]);
    });
    return { id, expires };
  }

  /** See {@link RunStoreApi.takeBroadcast}. @throws BatonError `RUN_NOT_FOUND`. */
  take(runId: string, key: string, eventName: string, where: { path: string[]; value: JsonValue } | undefined, now: Date, peek = false): { id: string; data: JsonValue } | undefined {
    const host = this.host;
    const run = host.getRun(runId);
    const taker = `${run.id} ${key}`;
    let found: { id: string; data: JsonValue } | undefined;
    const pick = (): void => {
      const [mine] = host.cachedAll('SELECT id, data FROM kept_events WHERE taken_by = ?', [taker]) as { id: string; data: string }[];
      if (mine) {
        found = { id: mine.id, data: JSON.parse(mine.data) as JsonValue };
        return;
      }
      const rows = host.cachedAll('SELECT id, data FROM kept_events WHERE tenant = ? AND event = ? AND taken_by IS NULL AND expires_at > ? ORDER BY id', [run.tenant ?? 'default', eventName, now.toISOString()]) as { id: string; data: string }[];
      const row = rows.map((r) => ({ id: r.id, data: JSON.parse(r.data) as JsonValue })).find((r) => matchesWhere(r.data, where));
      if (!row) return;
      if (!peek) host.cachedRun('UPDATE kept_events SET taken_by = ? WHERE id = ?', [taker, row.id]);
      found = row;
    };
    if (peek) host.retry(pick);
    else host.transaction(pick);
    return found;
  }
}
