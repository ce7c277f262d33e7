import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../errors.js';
import type { EmailTarget } from '../config/notifications.js';
import type { SmtpSender } from './smtp-sender.js';

/** What out/notify-smtp.mjs (smtp-sender.ts) exports. */
interface SmtpModule {
  createSmtpSender(target: EmailTarget): SmtpSender;
}

/** The source module's name, in a variable: esbuild leaves this `import()` alone (no nodemailer in the caller's bundle). */
const SOURCE_MODULE = './smtp-sender.ts';

/**
 * Loads nodemailer and returns the maker of SMTP senders: `notify-smtp.mjs` beside the caller's bundle (out/cli.mjs),
 * or — from the sources under tsx — smtp-sender.ts. Only called when an e-mail channel is configured.
 * @throws BatonError `NOTIFY_SMTP_UNAVAILABLE` when neither is there (a build shipped without it, such as the .vsix).
 * @param bundled where the bundled module would be (default: `notify-smtp.mjs` beside this module's bundle).
 */
export async function loadSmtpSender(bundled = new URL('./notify-smtp.mjs', import.meta.url)): Promise<(target: EmailTarget) => SmtpSender> {
  const source = new URL(SOURCE_MODULE, import.meta.url);
  const found = [bundled, source].find((u) => u.protocol === 'file:' && existsSync(fileURLToPath(u)));
  if (!found) throw new BatonError('NOTIFY_SMTP_UNAVAILABLE', `e-mail notifications are configured, but ${fileURLToPath(bundled)} (nodemailer's bundle) is missing`);
  const module = (await import(found.href)) as SmtpModule;
  return module.createSmtpSender;
}
