import { Counter, Gauge, type Registry } from 'prom-client';
import type { NotificationOutbox } from '@baton/runtime';

/**
 * The notification metrics of `baton serve` (docs/observability.md): the gauge `baton_notifications{state}` — the
 * store's deliveries by state (pending, sent, dead; every tenant's, read at each scrape) — and the counter
 * `baton_notifications_sent_total{channel,outcome}` of this process's tries (outcome sent, retry or dead).
 */
export class NotifyMetrics {
  private readonly tries: Counter<'channel' | 'outcome'>;

  constructor(registry: Registry, outbox: Pick<NotificationOutbox, 'countDeliveries'>) {
    this.tries = new Counter({ name: 'baton_notifications_sent_total', help: 'Tries to deliver a notification from this process, by channel and outcome: sent, retry (tried again later) or dead (given up).', labelNames: ['channel', 'outcome'], registers: [registry] });
    new Gauge({
      name: 'baton_notifications',
      help: 'Notification deliveries in the store by state: pending (waiting for a try), sent (kept 30 days), dead (given up: retry them from the console).',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await outbox.countDeliveries().catch(() => undefined);
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  /** Counts one try's outcome. */
  sent(channel: string, outcome: 'sent' | 'retry' | 'dead'): void {
    this.tries.inc({ channel, outcome });
  }
}
