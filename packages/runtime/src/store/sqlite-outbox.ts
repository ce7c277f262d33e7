// The SQLite store's notification outbox (RunStoreApi.setNotificationsEnabled … pruneDeliveries): the `notifications`
// rows the schema-8 trigger writes with each `approval.requested`, `run.failed` and `sla.breached` event while
// `meta.notifications` is 'on', and their `notification_deliveries`, one per channel (sqlite-schema-8.ts). The
// PostgreSQL twin is cluster/src/pg-outbox.ts; both pass test/notify/conformance-outbox.ts.
import type { JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { DeliveryOutcome, DeliveryRecord, NotificationRecord, TenantScope } from './store-api.js';
import { DELIVERY_SELECT, NOTIFICATION_SELECT, toDeliveryRecord, toNotificationRecord, type DeliveryRow as DeliveryRowOf, type NotificationRow as NotificationRowOf } from './outbox-rows.js';

/** What the outbox uses of the store handle. */
export interface SqliteOutboxHost {
  /** Runs `body` as one write transaction, waiting for other connections' locks. */
  transaction(body: () => void): void;
  /** Reads rows outside a transaction, waiting while another connection holds the store. */
  read(sql: string, values: (string | number)[]): unknown[];
  /** Reads rows inside the open transaction. */
  all(sql: string, values: (string | number)[]): unknown[];
  /** Writes inside the open transaction. @returns the rows changed. */
  run(sql: string, values: (string | number | null)[]): number;
}

type Status = DeliveryRecord['status'];

type DeliveryRow = DeliveryRowOf<string>;
type NotificationRow = NotificationRowOf<string, string>;

/** The SQLite store's outbox methods, synchronous (the store's async wrapper returns them settled). */
export class SqliteOutbox {
  constructor(private readonly host: SqliteOutboxHost) {}

  /** See {@link RunStoreApi.setNotificationsEnabled}. */
  setEnabled(on: boolean): void {
    this.host.transaction(() => void this.host.run("INSERT INTO meta (key, value) VALUES ('notifications', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [on ? 'on' : 'off']));
  }

  /** See {@link RunStoreApi.newNotifications}: the partial index `notifications_new` serves the idle look. */
  newNotifications(limit: number): NotificationRecord[] {
    return (this.host.read(`${NOTIFICATION_SELECT} WHERE n.expanded = 0 ORDER BY n.id LIMIT ?`, [limit]) as NotificationRow[]).map(toNotification);
  }

  /** See {@link RunStoreApi.expandNotification}. */
  expandNotification(id: string, channels: readonly string[], now: Date): void {
    const host = this.host;
    host.transaction(() => {
      const [row] = host.all('SELECT tenant FROM notifications WHERE id = ?', [id]) as { tenant: string }[];
      if (!row) return;
      for (const channel of channels) {
        host.run("INSERT INTO notification_deliveries (id, notification_id, tenant, channel, status, attempts, next_at) VALUES (?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (id) DO NOTHING", [`${id}:${channel}`, id, row.tenant, channel, now.toISOString()]);
      }
      host.run('UPDATE notifications SET expanded = 1 WHERE id = ?', [id]);
    });
  }

  /** See {@link RunStoreApi.claimDeliveries}: selected and updated under the write lock, each by a conditional UPDATE. */
  claimDeliveries(owner: string, now: Date, limit: number, claimMs: number): DeliveryRecord[] {
    const host = this.host;
    const at = now.toISOString();
    const free = "status = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)";
    // the idle look, without the write lock
    if ((host.read(`SELECT 1 FROM notification_deliveries WHERE ${free} LIMIT 1`, [at, at]) as unknown[]).length === 0) return [];
    const claimed: string[] = [];
    const until = new Date(now.getTime() + claimMs).toISOString();
    host.transaction(() => {
      claimed.length = 0;
      for (const { id } of host.all(`SELECT id FROM notification_deliveries WHERE ${free} ORDER BY next_at, id LIMIT ?`, [at, at, limit]) as { id: string }[]) {
        if (host.run(`UPDATE notification_deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ? AND ${free}`, [owner, until, id, at, at]) === 1) claimed.push(id);
      }
    });
    if (claimed.length === 0) return [];
    const marks = claimed.map(() => '?').join(', ');
    const deliveries = host.read(`${DELIVERY_SELECT} WHERE d.id IN (${marks}) ORDER BY d.next_at, d.id`, claimed) as DeliveryRow[];
    const ids = [...new Set(deliveries.map((d) => d.notification_id))];
    const notes = new Map((host.read(`${NOTIFICATION_SELECT} WHERE n.id IN (${ids.map(() => '?').join(', ')})`, ids) as NotificationRow[]).map((n) => [n.id, toNotification(n)]));
    return deliveries.map((d) => ({ ...toDelivery(d), notification: notes.get(d.notification_id)! }));
  }

  /** See {@link RunStoreApi.markDelivery}. */
  markDelivery(id: string, owner: string, outcome: DeliveryOutcome, now: Date): boolean {
    let changed = 0;
    const mine = "WHERE id = ? AND claimed_by = ? AND status = 'pending'";
    const release = 'attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL';
    this.host.transaction(() => {
      if (outcome.status === 'sent') changed = this.host.run(`UPDATE notification_deliveries SET status = 'sent', sent_at = ?, last_error = NULL, ${release} ${mine}`, [now.toISOString(), id, owner]);
      else if (outcome.status === 'pending') changed = this.host.run(`UPDATE notification_deliveries SET next_at = ?, last_error = ?, ${release} ${mine}`, [outcome.nextAt, outcome.error, id, owner]);
      else changed = this.host.run(`UPDATE notification_deliveries SET status = 'dead', last_error = ?, ${release} ${mine}`, [outcome.error, id, owner]);
    });
    return changed === 1;
  }

  /** See {@link RunStoreApi.listDeliveries}: keyset on id, newest first (ids start with the run's ULID). */
  listDeliveries(filter: { status?: Status; before?: string; limit?: number }, scope: TenantScope = {}): { deliveries: DeliveryRecord[]; next?: string } {
    const where: string[] = [];
    const values: (string | number)[] = [];
    const and = (condition: string, value: string): void => {
      where.push(condition);
      values.push(value);
    };
    if (scope.tenant !== undefined) and('d.tenant = ?', scope.tenant);
    if (filter.status) and('d.status = ?', filter.status);
    if (filter.before !== undefined) and('d.id < ?', filter.before);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 1000);
    const rows = this.host.read(`${DELIVERY_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT ?`, [...values, limit + 1]) as DeliveryRow[];
    const deliveries = rows.slice(0, limit).map(toDelivery);
    return rows.length > limit ? { deliveries, next: deliveries[deliveries.length - 1].id } : { deliveries };
  }

  /** See {@link RunStoreApi.retryDelivery}. @throws BatonError `NOTIFICATION_NOT_FOUND`, `NOTIFICATION_SENT`. */
  retryDelivery(id: string, now: Date, scope: TenantScope = {}): DeliveryRecord {
    const host = this.host;
    let found: DeliveryRow | undefined;
    host.transaction(() => {
      const [row] = host.all(`${DELIVERY_SELECT} WHERE d.id = ?${scope.tenant !== undefined ? ' AND d.tenant = ?' : ''}`, scope.tenant !== undefined ? [id, scope.tenant] : [id]) as DeliveryRow[];
      if (!row) throw new BatonError('NOTIFICATION_NOT_FOUND', `no notification delivery ${id}`);
      if (row.status === 'sent') throw new BatonError('NOTIFICATION_SENT', `notification delivery ${id} was sent at ${row.sent_at}: nothing to retry`);
      host.run("UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ?", [now.toISOString(), id]);
      found = { ...row, status: 'pending', attempts: 0, next_at: now.toISOString() };
    });
    return toDelivery(found!);
  }

  /** See {@link RunStoreApi.countDeliveries}. */
  countDeliveries(scope: TenantScope = {}): Record<Status, number> {
    const rows = (scope.tenant === undefined
      ? this.host.read('SELECT status, COUNT(*) AS n FROM notification_deliveries GROUP BY status', [])
      : this.host.read('SELECT status, COUNT(*) AS n FROM notification_deliveries WHERE tenant = ? GROUP BY status', [scope.tenant])) as { status: Status; n: number }[];
    const counts: Record<Status, number> = { pending: 0, sent: 0, dead: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /** See {@link RunStoreApi.pruneDeliveries}; expanded notifications left with no delivery go too. */
  pruneDeliveries(sentBefore: Date, deadBefore: Date): number {
    let removed = 0;
    this.host.transaction(() => {
      removed = this.host.run("DELETE FROM notification_deliveries WHERE (status = 'sent' AND sent_at < ?) OR (status = 'dead' AND next_at < ?)", [sentBefore.toISOString(), deadBefore.toISOString()]);
      this.host.run('DELETE FROM notifications WHERE expanded = 1 AND created_at < ? AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notifications.id)', [sentBefore.toISOString()]);
    });
    return removed;
  }
}

const same = (value: string): string => value;

function toNotification(row: NotificationRow): NotificationRecord {
  return toNotificationRecord(row, same, parseEvent);
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return toDeliveryRecord(row, same);
}

/** A stored event payload; anything not a JSON object (an event gone, tampered text) reads as `{}`. */
export function parseEvent(text: string | null): Record<string, JsonValue> {
  if (text === null) return {};
  try {
    const value = JSON.parse(text) as JsonValue;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
