// `notifications` of baton.config.json: the written form (validated by the schema, notify-schema.ts) and the
// settings `baton serve` sends with, their secrets read from the environment (docs/console.md).
import { BatonError } from '../errors.js';
import type { BatonConfig } from './baton-config.js';

/** What a notification is about: an approval waiting for a decision, a run that ended failed, an SLA breached. */
export type NotificationKind = 'approval.waiting' | 'run.failed' | 'sla.breached';

/** Every {@link NotificationKind}. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['approval.waiting', 'run.failed', 'sla.breached'];

/** A webhook's body format: Baton's JSON, Slack's `{text}`, or a Teams Adaptive Card message. */
export type WebhookFormat = 'baton' | 'slack' | 'teams';

/** `notifications.channels.<name>` as written. */
export interface NotifyChannelConfig {
  webhook?: { url?: string; urlEnv?: string; secretEnv?: string; format?: WebhookFormat };
  email?: {
    smtp: { host: string; port: number; secure?: boolean; userEnv?: string; passwordEnv?: string };
    from: string;
    to?: string[];
    toAssignee?: boolean;
  };
  on: NotificationKind[];
  tenants?: string[];
  flows?: string[];
}

/** `notifications` of baton.config.json as written. */
export interface NotificationsConfig {
  consoleUrl?: string;
  channels: Record<string, NotifyChannelConfig>;
  retry?: { maxAttempts?: number; firstDelaySeconds?: number; maxDelaySeconds?: number };
}

/** A webhook channel ready to send: its URL and signing secret read. */
export interface WebhookTarget {
  url: string;
  /** The Standard Webhooks secret's key bytes (a `whsec_` prefix removed and base64-decoded; else the UTF-8 text). */
  secret?: Buffer;
  format: WebhookFormat;
}

/** An e-mail channel ready to send: its SMTP credentials read. */
export interface EmailTarget {
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  from: string;
  to: string[];
  toAssignee: boolean;
}

/** One channel, ready: exactly one of `webhook` and `email`. */
export interface NotifyChannel {
  name: string;
  on: NotificationKind[];
  /** Only these tenants' runs (every tenant's when absent). */
  tenants?: string[];
  /** Only these flows' runs (every flow's when absent). */
  flows?: string[];
  webhook?: WebhookTarget;
  email?: EmailTarget;
}

/** How failed deliveries are tried again (ms). */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** The notification settings `baton serve` runs with. */
export interface NotifySettings {
  /** The links' base (no trailing `/`); undefined: the server's own URL. */
  consoleUrl?: string;
  channels: NotifyChannel[];
  retry: RetryPolicy;
}

/** The retry policy when `notifications.retry` says nothing: 8 tries, 30 s doubling up to 1 h. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, firstDelayMs: 30_000, maxDelayMs: 3_600_000 };

/**
 * The notification settings of `config`, secrets from `env`; undefined when it has no `notifications` (or no
 * channel).
 * @throws BatonError `CONFIG_INVALID` naming the field: a channel with neither or both of `webhook` and `email`, a
 *   webhook with neither or both of `url` and `urlEnv`, a variable named (`urlEnv`, `secretEnv`, `userEnv`,
 *   `passwordEnv`) that is not set, a `urlEnv` whose value is not an http(s) URL, `userEnv` without `passwordEnv` (or
 *   the reverse), `retry.maxDelaySeconds` below `firstDelaySeconds`.
 */
export function notifySettings(config: Pick<BatonConfig, 'notifications'>, env: NodeJS.ProcessEnv = process.env): NotifySettings | undefined {
  const written = config.notifications;
  if (!written || Object.keys(written.channels).length === 0) return undefined;
  const invalid = (message: string): never => {
    throw new BatonError('CONFIG_INVALID', message);
  };
  const secret = (field: string, name: string): string => env[name] || invalid(`${field} names ${name}, which is not set`);
  const channels = Object.entries(written.channels).map(([name, entry]): NotifyChannel => {
    const at = `notifications.channels.${name}`;
    if (!entry.webhook === !entry.email) invalid(`${at} needs one of "webhook" and "email"`);
    const channel: NotifyChannel = { name, on: [...entry.on], ...(entry.tenants ? { tenants: [...entry.tenants] } : {}), ...(entry.flows ? { flows: [...entry.flows] } : {}) };
    if (entry.webhook) {
      const hook = entry.webhook;
      if (!hook.url === !hook.urlEnv) invalid(`${at}.webhook needs one of "url" and "urlEnv"`);
      const url = hook.url ?? secret(`${at}.webhook.urlEnv`, hook.urlEnv!);
      if (!/^https?:\/\/[^/]/.test(url)) invalid(`${at}.webhook.urlEnv: ${hook.urlEnv} must hold an http:// or https:// URL`);
      channel.webhook = { url, format: hook.format ?? 'baton', ...(hook.secretEnv ? { secret: secretKey(secret(`${at}.webhook.secretEnv`, hook.secretEnv)) } : {}) };
    } else {
      const mail = entry.email!;
      if (!mail.smtp.userEnv !== !mail.smtp.passwordEnv) invalid(`${at}.email.smtp needs both "userEnv" and "passwordEnv", or neither`);
      const user = mail.smtp.userEnv ? secret(`${at}.email.smtp.userEnv`, mail.smtp.userEnv) : undefined;
      const password = mail.smtp.passwordEnv ? secret(`${at}.email.smtp.passwordEnv`, mail.smtp.passwordEnv) : undefined;
      if ((mail.to ?? []).length === 0 && !mail.toAssignee) invalid(`${at}.email sends to nobody: give "to" addresses or "toAssignee": true`);
      channel.email = { smtp: { host: mail.smtp.host, port: mail.smtp.port, secure: mail.smtp.secure ?? false, ...(user !== undefined ? { user, password } : {}) }, from: mail.from, to: [...(mail.to ?? [])], toAssignee: mail.toAssignee ?? false };
    }
    return channel;
  });
  const retry = {
    maxAttempts: written.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    firstDelayMs: written.retry?.firstDelaySeconds !== undefined ? written.retry.firstDelaySeconds * 1000 : DEFAULT_RETRY.firstDelayMs,
    maxDelayMs: written.retry?.maxDelaySeconds !== undefined ? written.retry.maxDelaySeconds * 1000 : DEFAULT_RETRY.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.firstDelayMs) invalid('notifications.retry.maxDelaySeconds must not be below firstDelaySeconds');
  return { ...(written.consoleUrl ? { consoleUrl: written.consoleUrl.replace(/\/+$/, '') } : {}), channels, retry };
}

/** A Standard Webhooks secret's key: `whsec_<base64>` decoded, any other text as its UTF-8 bytes. */
export function secretKey(text: string): Buffer {
  return text.startsWith('whsec_') ? Buffer.from(text.slice(6), 'base64') : Buffer.from(text, 'utf8');
}
