// The outbox methods of a run store, as `baton serve`'s dispatcher and routes use them (docs/console.md).
import type { RunStoreApi } from '../store/store-api.js';

/** The outbox methods of a run store (both stores have them: sqlite-outbox.ts, pg-outbox.ts). */
export type NotificationOutbox = Required<Pick<RunStoreApi, 'setNotificationsEnabled' | 'newNotifications' | 'expandNotification' | 'claimDeliveries' | 'markDelivery' | 'listDeliveries' | 'retryDelivery' | 'countDeliveries' | 'pruneDeliveries'>>;

/** The store's outbox methods, or undefined when it lacks one (a store of another implementation). */
export function outboxOf(store: RunStoreApi): NotificationOutbox | undefined {
  const s = store as Partial<NotificationOutbox>;
  return s.setNotificationsEnabled && s.newNotifications && s.expandNotification && s.claimDeliveries && s.markDelivery && s.listDeliveries && s.retryDelivery && s.countDeliveries && s.pruneDeliveries ? (store as NotificationOutbox) : undefined;
}
