// The PostgreSQL store's notification outbox (RunStoreApi.setNotificationsEnabled … pruneDeliveries): the
// `notifications` rows migration 7's statement trigger writes with each `approval.requested`, `run.failed` and
// `sla.breached` event while `baton_settings.notifications` is on, and their `notification_deliveries`. Claims take
// rows `FOR UPDATE SKIP LOCKED` in one conditional UPDATE, so front doors sharing the store never hold one delivery
// at once. The SQLite twin is sqlite-outbox.ts in the runtime; both pass test/notify/conformance-outbox.ts.
import type { PoolClient } from 'pg';
import type { JsonValue } from '@baton/protocol';
import { BatonError, DELIVERY_SELECT, NOTIFICATION_SELECT, toDeliveryRecord, toNotificationRecord, type DeliveryRow as DeliveryRowOf, type NotificationRow as NotificationRowOf, type DeliveryOutcome, type DeliveryRecord, type NotificationRecord, type TenantScope } from '@baton/runtime';
import type { PgRunStore } from './pg-run-store.js';

/** What the outbox uses of the store. */
export interface PgOutboxHost {
  /** Runs `body` in one transaction. */
  transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** One query outside a transaction; `rowCount`: the rows changed. */
  query<R extends object>(sql: string, values: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

type Status = DeliveryRecord['status'];

type DeliveryRow = DeliveryRowOf<Date>;
type NotificationRow = NotificationRowOf<Date, JsonValue>;

const FREE = "status = 'pending' AND next_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)";

/** The outbox methods the PostgreSQL store gets (see {@link installPgOutbox}). */
export interface PgOutboxMethods {
  setNotificationsEnabled(on: boolean): Promise<void>;
  newNotifications(limit: number): Promise<NotificationRecord[]>;
  expandNotification(id: string, channels: readonly string[], now: Date): Promise<void>;
  claimDeliveries(owner: string, now: Date, limit: number, claimMs: number): Promise<DeliveryRecord[]>;
  markDelivery(id: string, owner: string, outcome: DeliveryOutcome, now: Date): Promise<boolean>;
  listDeliveries(filter: { status?: Status; before?: string; limit?: number }, scope?: TenantScope): Promise<{ deliveries: DeliveryRecord[]; next?: string }>;
  retryDelivery(id: string, now: Date, scope?: TenantScope): Promise<DeliveryRecord>;
  countDeliveries(scope?: TenantScope): Promise<Record<Status, number>>;
  pruneDeliveries(sentBefore: Date, deadBefore: Date): Promise<number>;
}

declare module './pg-run-store.js' {
  // the methods installPgOutbox sets on every store (RunStoreApi's optional outbox methods)
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface PgRunStore extends PgOutboxMethods {}
}

/** Sets the outbox methods on `store` (called by its constructor with its own transaction and query). */
export function installPgOutbox(store: PgRunStore, host: PgOutboxHost): void {
  const methods: PgOutboxMethods = {
    async setNotificationsEnabled(on) {
      await host.query('UPDATE baton_settings SET notifications = $1', [on]);
    },

    async newNotifications(limit) {
      const { rows } = await host.query<NotificationRow>(`${NOTIFICATION_SELECT} WHERE NOT n.expanded ORDER BY n.id LIMIT $1`, [limit]);
      return rows.map(toNotification);
    },

    async expandNotification(id, channels, now) {
      await host.transaction(async (client) => {
        const { rows } = await client.query<{ tenant: string }>('UPDATE notifications SET expanded = true WHERE id = $1 RETURNING tenant', [id]);
        if (!rows[0] || channels.length === 0) return;
        await client.query(
          "INSERT INTO notification_deliveries (id, notification_id, tenant, channel, status, attempts, next_at) SELECT $1 || ':' || c, $1, $2, c, 'pending', 0, $3 FROM unnest($4::text[]) AS c ON CONFLICT (id) DO NOTHING",
          [id, rows[0].tenant, now, [...channels]],
        );
      });
    },

    async claimDeliveries(owner, now, limit, claimMs) {
      const claimed = await host.query<{ id: string }>(
        `UPDATE notification_deliveries SET claimed_by = $2, claimed_until = $3 WHERE id IN (SELECT id FROM notification_deliveries WHERE ${FREE} ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) AND ${FREE} RETURNING id`,
        [now, owner, new Date(now.getTime() + claimMs), limit],
      );
      if (claimed.rows.length === 0) return [];
      const ids = claimed.rows.map((r) => r.id);
      const { rows } = await host.query<DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = ANY($1::text[]) ORDER BY d.next_at, d.id`, [ids]);
      const notes = await host.query<NotificationRow>(`${NOTIFICATION_SELECT} WHERE n.id = ANY($1::text[])`, [[...new Set(rows.map((r) => r.notification_id))]]);
      const byId = new Map(notes.rows.map((n) => [n.id, toNotification(n)]));
      return rows.map((r) => ({ ...toDelivery(r), notification: byId.get(r.notification_id)! }));
    },

    async markDelivery(id, owner, outcome, now) {
      const mine = "WHERE id = $1 AND claimed_by = $2 AND status = 'pending'";
      const release = 'attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL';
      const result =
        outcome.status === 'sent'
          ? await host.query(`UPDATE notification_deliveries SET status = 'sent', sent_at = $3, last_error = NULL, ${release} ${mine}`, [id, owner, now])
          : outcome.status === 'pending'
            ? await host.query(`UPDATE notification_deliveries SET next_at = $3, last_error = $4, ${release} ${mine}`, [id, owner, outcome.nextAt, outcome.error])
            : await host.query(`UPDATE notification_deliveries SET status = 'dead', last_error = $3, ${release} ${mine}`, [id, owner, outcome.error]);
      return result.rowCount === 1;
    },

    async listDeliveries(filter, scope = {}) {
      const where: string[] = [];
      const values: unknown[] = [];
      const and = (condition: (n: number) => string, value: unknown): void => {
        values.push(value);
        where.push(condition(values.length));
      };
      if (scope.tenant !== undefined) and((n) => `d.tenant = $${n}`, scope.tenant);
      if (filter.status) and((n) => `d.status = $${n}`, filter.status);
      if (filter.before !== undefined) and((n) => `d.id < $${n}`, filter.before);
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 1000);
      values.push(limit + 1);
      const { rows } = await host.query<DeliveryRow>(`${DELIVERY_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT $${values.length}`, values);
      const deliveries = rows.slice(0, limit).map(toDelivery);
      return rows.length > limit ? { deliveries, next: deliveries[deliveries.length - 1].id } : { deliveries };
    },

    async retryDelivery(id, now, scope = {}) {
      return host.transaction(async (client) => {
        const { rows } = await client.query<DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = $1${scope.tenant !== undefined ? ' AND d.tenant = $2' : ''} FOR UPDATE OF d`, scope.tenant !== undefined ? [id, scope.tenant] : [id]);
        const row = rows[0];
        if (!row) throw new BatonError('NOTIFICATION_NOT_FOUND', `no notification delivery ${id}`);
        if (row.status === 'sent') throw new BatonError('NOTIFICATION_SENT', `notification delivery ${id} was sent at ${iso(row.sent_at)}: nothing to retry`);
        await client.query("UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_at = $2, claimed_by = NULL, claimed_until = NULL WHERE id = $1", [id, now]);
        return toDelivery({ ...row, status: 'pending', attempts: 0, next_at: now });
      });
    },

    async countDeliveries(scope = {}) {
      const { rows } = scope.tenant === undefined
        ? await host.query<{ status: Status; n: string }>('SELECT status, COUNT(*) AS n FROM notification_deliveries GROUP BY status', [])
        : await host.query<{ status: Status; n: string }>('SELECT status, COUNT(*) AS n FROM notification_deliveries WHERE tenant = $1 GROUP BY status', [scope.tenant]);
      const counts: Record<Status, number> = { pending: 0, sent: 0, dead: 0 };
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },

    async pruneDeliveries(sentBefore, deadBefore) {
      return host.transaction(async (client) => {
        const removed = await client.query("DELETE FROM notification_deliveries WHERE (status = 'sent' AND sent_at < $1) OR (status = 'dead' AND next_at < $2)", [sentBefore, deadBefore]);
        await client.query('DELETE FROM notifications n WHERE expanded AND created_at < $1 AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id)', [sentBefore]);
        return removed.rowCount ?? 0;
      });
    },
  };
  Object.assign(store, methods);
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

const time = (value: Date): string => iso(value)!;

function toNotification(row: NotificationRow): NotificationRecord {
  return toNotificationRecord(row, time, (data) => (data !== null && typeof data === 'object' && !Array.isArray(data) ? data : {}));
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return toDeliveryRecord(row, time);
}
