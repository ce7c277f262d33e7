// Loads the notification code only when notifications are configured: the dispatcher (out/notify.mjs) and nodemailer
// (out/notify-smtp.mjs, only for an e-mail channel) are bundles of their own beside the CLI's, so `baton run`, the
// editor and the .vsix carry neither (the out/telemetry.mjs pattern; esbuild.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../errors.js';
import type { EmailTarget } from '../config/notifications.js';
import type { NotificationDispatcher } from './dispatcher.js';
import type { SmtpSender } from './smtp-sender.js';

/** The source modules' names, in variables: esbuild leaves these `import()`s alone (nothing of them in the caller's bundle). */
const DISPATCHER_SOURCE = './notify-module.ts';
const SMTP_SOURCE = './smtp-sender.ts';

/** `bundled` beside the caller's bundle (out/), or — from the sources under tsx — `source` beside this file. */
async function load<T>(bundled: URL, source: string, what: string): Promise<T> {
  const found = [bundled, new URL(source, import.meta.url)].find((u) => u.protocol === 'file:' && existsSync(fileURLToPath(u)));
  if (!found) throw new BatonError('NOTIFY_UNAVAILABLE', `notifications are configured, but ${fileURLToPath(bundled)} (${what}) is missing`);
  return (await import(found.href)) as T;
}

/**
 * The dispatcher's class (out/notify.mjs). @throws BatonError `NOTIFY_UNAVAILABLE` when the bundle is missing.
 * @param bundled where the bundle would be (default: `notify.mjs` beside this module's bundle).
 */
export async function loadNotificationDispatcher(bundled = new URL('./notify.mjs', import.meta.url)): Promise<typeof NotificationDispatcher> {
  return (await load<{ NotificationDispatcher: typeof NotificationDispatcher }>(bundled, DISPATCHER_SOURCE, 'the notification dispatcher')).NotificationDispatcher;
}

/**
 * The maker of SMTP senders (nodemailer, out/notify-smtp.mjs): only for an e-mail channel.
 * @throws BatonError `NOTIFY_UNAVAILABLE` when the bundle is missing.
 * @param bundled where the bundle would be (default: `notify-smtp.mjs` beside this module's bundle).
 */
export async function loadSmtpSender(bundled = new URL('./notify-smtp.mjs', import.meta.url)): Promise<(target: EmailTarget) => SmtpSender> {
  return (await load<{ createSmtpSender(target: EmailTarget): SmtpSender }>(bundled, SMTP_SOURCE, "nodemailer's bundle")).createSmtpSender;
}
