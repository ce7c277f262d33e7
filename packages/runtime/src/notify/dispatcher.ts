// The notification dispatcher (docs/console.md, "Notifications"): on `baton serve`'s HTTP thread (never on the thread
// that executes runs) and in `baton worker` — no run ever waits for a notification. Each tick: expand new notifications into deliveries
// (one per matching channel), claim the due ones (a lease, so several front doors send each once), send them (4 at
// a time), and mark the outcome: sent; retried after min(max, first·2^(attempts-1)) ±20 % (or the receiver's
// Retry-After); dead after maxAttempts, or at once when the receiver refuses for good (4xx, SMTP 5xx).
import { randomUUID } from 'node:crypto';
import type { EmailTarget, NotifyChannel, NotifySettings, RetryPolicy } from '../config/notifications.js';
import type { DeliveryRecord, NotificationRecord } from '../store/store-api.js';
import type { NotificationOutbox } from './outbox.js';
import { notificationDetails, notificationPayload, notificationTitle, webhookBody } from './payload.js';
import { notificationHtml } from './mail-html.js';
import { sendWebhook, type SendResult } from './webhook-sender.js';
import type { MailMessage, SmtpSender } from './smtp-sender.js';

/** How long a claim lasts (ms): a dispatcher that dies mid-send leaves its deliveries to another after this. */
export const CLAIM_LEASE_MS = 60_000;
/** Deliveries sent at once. */
export const SEND_CONCURRENCY = 4;

/** A delivery as {@link RunStoreApi.claimDeliveries} returns it: with its notification. */
type ClaimedDelivery = DeliveryRecord & { notification: NotificationRecord };

/** Options of {@link NotificationDispatcher}. */
export interface DispatcherOptions {
  outbox: NotificationOutbox;
  settings: NotifySettings;
  /** The console's base URL for links when `settings.consoleUrl` is unset (the server's URL). */
  serverUrl: string;
  /** Links name the run's tenant (`tenant=<id>` in the console route): set when a user works in several tenants. */
  linkTenant?: boolean;
  /** The e-mail addresses of the users an approval's `assignee` names in `tenant` (their name or a group of theirs). */
  assigneeEmails?: (tenant: string, assignee: string) => string[];
  /** Makes the SMTP sender of an e-mail channel (loadSmtpSender in load-notify.ts); required when a channel is an e-mail one. */
  smtp?: (target: EmailTarget) => SmtpSender;
  /** Sends a webhook (default {@link sendWebhook}; tests keep the default and run a real receiver). */
  webhook?: typeof sendWebhook;
  /** The clock (tests: a virtual one). */
  now?: () => Date;
  /** In [0, 1): the jitter's source (default Math.random). */
  random?: () => number;
  /** How often {@link start}'s timer ticks (ms, default 1,000). */
  intervalMs?: number;
  /** One line per dead delivery (and per failed tick). */
  log: (line: string) => void;
  /** Told each try's outcome (the Prometheus counter). */
  onOutcome?: (channel: string, outcome: SendResult['outcome']) => void;
}

/**
 * The retry delay after `attempts` tries (≥ 1): `min(maxDelayMs, firstDelayMs · 2^(attempts−1))`, times a jitter in
 * [0.8, 1.2) from `random` — so deliveries that failed together do not come back together.
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Expands, claims, sends and marks notification deliveries (see the module comment). */
export class NotificationDispatcher {
  /** This dispatcher's claim owner. */
  readonly owner = `notify/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly channels: Map<string, NotifyChannel>;
  private readonly mailers = new Map<string, SmtpSender>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPrune = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.channels = new Map(options.settings.channels.map((c) => [c.name, c]));
    if (options.settings.channels.some((c) => c.email) && !options.smtp) throw new Error('an e-mail channel needs options.smtp');
  }

  /** Ticks every `intervalMs` (unref'd: it never keeps the process alive); a tick still running is not overlapped. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the timer, waits for the tick in flight, closes the SMTP transports. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    for (const mailer of this.mailers.values()) mailer.close();
    this.mailers.clear();
  }

  /** One pass (expand → claim → send → mark); resolves when it is done. A pass already running is joined, not doubled. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.options.log(`notifications: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** The channels a notification goes to: its kind among the channel's `on`, its tenant and flow among theirs, someone to write to. */
  route(notification: NotificationRecord): string[] {
    const names: string[] = [];
    for (const channel of this.channels.values()) {
      if (!channel.on.includes(notification.kind)) continue;
      if (channel.tenants && !channel.tenants.includes(notification.tenant)) continue;
      if (channel.flows && !channel.flows.includes(notification.flow)) continue;
      if (channel.email && this.recipients(channel.email, notification).length === 0) continue;
      names.push(channel.name);
    }
    return names;
  }

  private async pass(): Promise<void> {
    const outbox = this.options.outbox;
    // expanded in batches until none is left, so a burst is not spread over many ticks
    for (;;) {
      const fresh = await outbox.newNotifications(100);
      for (const notification of fresh) await outbox.expandNotification(notification.id, this.route(notification), this.now());
      if (fresh.length < 100) break;
    }
    for (;;) {
      const claimed = (await outbox.claimDeliveries(this.owner, this.now(), SEND_CONCURRENCY * 4, CLAIM_LEASE_MS)).filter((d): d is ClaimedDelivery => d.notification !== undefined);
      if (claimed.length === 0) break;
      await pool(claimed, SEND_CONCURRENCY, (delivery) => this.deliver(delivery));
      if (claimed.length < SEND_CONCURRENCY * 4) break;
    }
    const now = this.now().getTime();
    if (now - this.lastPrune > 3600_000) {
      this.lastPrune = now;
      // sent deliveries are kept 30 days, dead ones 90 (or until retried)
      await outbox.pruneDeliveries(new Date(now - 30 * 86_400_000), new Date(now - 90 * 86_400_000));
    }
  }

  /** Sends one claimed delivery and records the outcome. */
  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const channel = this.channels.get(delivery.channel);
    const result: SendResult = channel ? await this.send(channel, delivery).catch((error: unknown) => ({ outcome: 'retry' as const, error: (error as Error).message })) : { outcome: 'dead', error: `channel ${delivery.channel} is no longer configured` };
    this.options.onOutcome?.(delivery.channel, result.outcome);
    const attempts = delivery.attempts + 1;
    const policy = this.options.settings.retry;
    const now = this.now();
    if (result.outcome === 'sent') {
      await this.options.outbox.markDelivery(delivery.id, this.owner, { status: 'sent' }, now);
      return;
    }
    if (result.outcome === 'dead' || attempts >= policy.maxAttempts) {
      const marked = await this.options.outbox.markDelivery(delivery.id, this.owner, { status: 'dead', error: result.error }, now);
      if (marked) this.options.log(`notification ${delivery.id} (${delivery.notification.kind}, run ${delivery.notification.runId}) is dead after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${result.error}`);
      return;
    }
    const delay = result.outcome === 'retry' && result.retryAfterMs !== undefined ? Math.min(result.retryAfterMs, policy.maxDelayMs) : retryDelayMs(policy, attempts, this.random);
    await this.options.outbox.markDelivery(delivery.id, this.owner, { status: 'pending', nextAt: new Date(now.getTime() + delay).toISOString(), error: result.error }, now);
  }

  private send(channel: NotifyChannel, delivery: ClaimedDelivery): Promise<SendResult> {
    const payload = notificationPayload(delivery.notification, this.options.settings.consoleUrl ?? this.options.serverUrl, this.options.linkTenant);
    if (channel.webhook) return (this.options.webhook ?? sendWebhook)(channel.webhook, delivery.id, webhookBody(payload, channel.webhook.format), this.now());
    const email = channel.email!;
    let mailer = this.mailers.get(channel.name);
    if (!mailer) this.mailers.set(channel.name, (mailer = this.options.smtp!(email)));
    const message: MailMessage = {
      id: delivery.id,
      to: this.recipients(email, delivery.notification),
      subject: notificationTitle(payload),
      text: `${notificationDetails(payload).join('\n')}\n\n${payload.url}\n`,
      html: notificationHtml(payload),
    };
    if (message.to.length === 0) return Promise.resolve({ outcome: 'dead', error: 'nobody to write to (no "to", no user with an e-mail matches the assignee)' });
    return mailer.send(message);
  }

  /** An e-mail channel's addresses for `notification`: its `to`, and with `toAssignee` the assignee's users' e-mails. */
  private recipients(email: EmailTarget, notification: NotificationRecord): string[] {
    const to = new Set(email.to);
    const assignee = notification.event?.assignee;
    if (email.toAssignee && notification.kind === 'approval.waiting' && typeof assignee === 'string') {
      for (const address of this.options.assigneeEmails?.(notification.tenant, assignee) ?? []) to.add(address);
    }
    return [...to];
  }
}

/** Runs `work` over `items`, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
