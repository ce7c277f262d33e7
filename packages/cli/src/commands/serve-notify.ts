// `baton serve`'s notifications (docs/console.md): the settings of the baton.config.json nearest the served folder,
// secrets from the environment, and the dispatcher that sends them from the store's outbox on this (the HTTP) thread.
import path from 'node:path';
import { mayTake } from '@baton/protocol';
import { BatonError, emptyConfig, findConfig, loadConfig, loadNotificationDispatcher, loadSmtpSender, notifySettings, outboxOf, userTenants, type NotifySettings, type RunStoreApi, type User } from '@baton/runtime';
import { CliError, UsageError } from '../errors.js';
import { displayPath } from '../output/terminal.js';
import { NotifyMetrics } from '../serve/notify-metrics.js';
import type { ServeMetrics } from '../serve/metrics.js';

/**
 * The notification settings of the `baton.config.json` nearest `folder`, secrets from `env`; undefined without
 * `notifications`.
 * @throws UsageError (exit 2) naming the file and the field: an invalid configuration, a variable named and unset.
 */
export function serveNotifications(folder: string, env: NodeJS.ProcessEnv): NotifySettings | undefined {
  let file: string | undefined;
  try {
    file = findConfig(path.resolve(folder));
    return notifySettings(file ? loadConfig(file) : emptyConfig(), env);
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message.startsWith(file ?? '\0') ? error.message : `${file ? displayPath(file) : 'baton.config.json'}: ${error.message}`);
    throw error;
  }
}

/** A running dispatcher (see {@link startNotifier}). */
export interface Notifier {
  /** One line for the banner: the channels and what they are for. */
  banner: string;
  stop(): Promise<void>;
}

/**
 * Turns the store's outbox trigger on when `settings` has channels, off without (a store served without notifications
 * never fills its outbox). Called before any run executes, so that no event of this server's runs is missed.
 * @throws CliError (exit 2) when notifications are configured and the store has no outbox.
 */
export async function prepareOutbox(settings: NotifySettings | undefined, store: RunStoreApi): Promise<void> {
  const outbox = outboxOf(store);
  if (!outbox && settings) throw new CliError(`notifications are configured, but the store ${store.location} has no outbox`, 2);
  await outbox?.setNotificationsEnabled(settings !== undefined);
}

/**
 * With channels in `settings`, starts a {@link NotificationDispatcher} ticking every second on this thread, its outcomes
 * counted on `metrics` when given (`baton_notifications{state}`, `baton_notifications_sent_total{channel,outcome}`).
 * `baton serve` and `baton worker` both run one: the outbox's claims send each delivery once whoever runs them.
 * The dispatcher is loaded now (out/notify.mjs), and nodemailer (out/notify-smtp.mjs) for an e-mail channel.
 * @throws CliError (exit 2) when a bundle is missing.
 */
export async function startNotifier(settings: NotifySettings | undefined, options: { store: RunStoreApi; serverUrl: string; users: readonly User[]; metrics?: ServeMetrics; log: (line: string) => void }): Promise<Notifier | undefined> {
  const outbox = outboxOf(options.store);
  if (!settings || !outbox) return undefined;
  let smtp;
  let NotificationDispatcher;
  try {
    NotificationDispatcher = await loadNotificationDispatcher();
    smtp = settings.channels.some((c) => c.email) ? await loadSmtpSender() : undefined;
  } catch (error) {
    if (error instanceof BatonError) throw new CliError(error.message, 2);
    throw error;
  }
  const counted = options.metrics ? new NotifyMetrics(options.metrics.registry, outbox) : undefined;
  const users = options.users.filter((u) => u.email);
  const dispatcher = new NotificationDispatcher({
    outbox,
    settings,
    serverUrl: options.serverUrl,
    smtp,
    log: options.log,
    onOutcome: (channel, outcome) => counted?.sent(channel, outcome),
    // a user of several tenants opens a link in the run's tenant (the console's `tenant=`)
    linkTenant: options.users.some((u) => userTenants(u).length > 1),
    // an approval's assignee names users of the run's tenant by their name or a group of theirs (as for deciding it)
    assigneeEmails: (tenant, assignee) => users.filter((u) => userTenants(u).includes(tenant) && mayTake(u, assignee)).map((u) => u.email!),
  });
  dispatcher.start();
  const describe = (c: NotifySettings['channels'][number]): string => `${c.name} (${c.webhook ? `webhook${c.webhook.format !== 'baton' ? ` ${c.webhook.format}` : ''}` : 'e-mail'}: ${c.on.join(', ')})`;
  return { banner: `notifications: ${settings.channels.map(describe).join(', ')} · links to ${settings.consoleUrl ?? options.serverUrl}`, stop: () => dispatcher.stop() };
}
