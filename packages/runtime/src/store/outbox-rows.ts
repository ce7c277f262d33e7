// The notification outbox's rows as both stores read them (sqlite-outbox.ts, cluster's pg-outbox.ts): the same
// SELECTs and the same row → record mapping. `T` is how a store's driver hands a time back (SQLite: the ISO 8601 text
// stored; PostgreSQL: a `Date`), converted by the caller's `time`.
import type { JsonValue } from '@baton/protocol';
import type { DeliveryRecord, NotificationRecord } from './store-api.js';

/** A delivery row joined with its notification (`DELIVERY_SELECT`); times of type `T`. */
export interface DeliveryRow<T> {
  id: string;
  notification_id: string;
  channel: string;
  tenant: string;
  run_id: string;
  kind: NotificationRecord['kind'];
  status: DeliveryRecord['status'];
  attempts: number;
  next_at: T;
  last_error: string | null;
  sent_at: T | null;
  created_at: T;
}

/** A notification row with its event's payload (`NOTIFICATION_SELECT`); times of type `T`, payload of type `D`. */
export interface NotificationRow<T, D> {
  id: string;
  tenant: string;
  run_id: string;
  seq: number;
  kind: NotificationRecord['kind'];
  flow: string;
  created_at: T;
  data: D | null;
}

/** Deliveries with their notification's run, kind and time (rows of {@link DeliveryRow}). */
export const DELIVERY_SELECT = 'SELECT d.id, d.notification_id, d.channel, d.tenant, n.run_id, n.kind, d.status, d.attempts, d.next_at, d.last_error, d.sent_at, n.created_at FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id';
/** Notifications with their event's payload (rows of {@link NotificationRow}). */
export const NOTIFICATION_SELECT = 'SELECT n.id, n.tenant, n.run_id, n.seq, n.kind, n.flow, n.created_at, e.data FROM notifications n LEFT JOIN events e ON e.run_id = n.run_id AND e.seq = n.seq';

/** A delivery row as a {@link DeliveryRecord}; `time` turns a stored time into ISO 8601. */
export function toDeliveryRecord<T>(row: DeliveryRow<T>, time: (value: T) => string): DeliveryRecord {
  return { id: row.id, notificationId: row.notification_id, tenant: row.tenant, channel: row.channel, status: row.status, attempts: Number(row.attempts), nextAt: time(row.next_at), lastError: row.last_error, sentAt: row.sent_at === null ? null : time(row.sent_at), runId: row.run_id, kind: row.kind, createdAt: time(row.created_at) };
}

/** A notification row as a {@link NotificationRecord}; `time` as for {@link toDeliveryRecord}, `event` reads the payload. */
export function toNotificationRecord<T, D>(row: NotificationRow<T, D>, time: (value: T) => string, event: (data: D | null) => Record<string, JsonValue>): NotificationRecord {
  return { id: row.id, tenant: row.tenant, runId: row.run_id, seq: Number(row.seq), kind: row.kind, flow: row.flow, createdAt: time(row.created_at), event: event(row.data) };
}
