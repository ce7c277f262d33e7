// E-mail notifications over SMTP with nodemailer: its own bundle (out/notify-smtp.mjs), loaded by load-notify.ts only
// when an e-mail channel is configured, so the CLI bundle and the .vsix do not carry nodemailer.
import nodemailer from 'nodemailer';
import type { EmailTarget } from '../config/notifications.js';
import type { SendResult } from './webhook-sender.js';

/** One message to send. */
export interface MailMessage {
  to: string[];
  subject: string;
  /** The plain-text part. */
  text: string;
  /** The HTML part (multipart/alternative with the text one), when given. */
  html?: string;
  /** The delivery id, sent as the Message-ID's local part (receivers' duplicate filters see one message per delivery). */
  id: string;
}

/** Sends the messages of one e-mail channel over one pooled SMTP transport. */
export interface SmtpSender {
  /** Sends `message`; never throws (see {@link SendResult}). */
  send(message: MailMessage): Promise<SendResult>;
  close(): void;
}

/** How long connecting, the greeting and each command may take (ms). */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * A sender for `target` (nodemailer's SMTP transport: STARTTLS when offered unless `secure`; auth when a user is set).
 * Outcomes: accepted → `sent`; a 5xx reply (550 mailbox unavailable, 554 …) → `dead`; a 4xx reply (451, 421 …), a
 * connection error or a timeout → `retry` (RFC 5321 §4.2.1: 4yz is a transient failure, 5yz a permanent one).
 */
export function createSmtpSender(target: EmailTarget): SmtpSender {
  const transport = nodemailer.createTransport({
    host: target.smtp.host,
    port: target.smtp.port,
    secure: target.smtp.secure,
    ...(target.smtp.user !== undefined ? { auth: { user: target.smtp.user, pass: target.smtp.password ?? '' } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    async send(message) {
      const domain = /@([^>\s]+)>?\s*$/.exec(target.from)?.[1] ?? 'baton.invalid';
      try {
        await transport.sendMail({ from: target.from, to: message.to, subject: message.subject, text: message.text, ...(message.html !== undefined ? { html: message.html } : {}), messageId: `<${message.id.replace(/[^A-Za-z0-9.:_-]/g, '_')}@${domain}>` });
        return { outcome: 'sent' };
      } catch (error) {
        const failure = error as Error & { responseCode?: number; response?: string; code?: string };
        const error_ = `${failure.responseCode ? `SMTP ${failure.responseCode}: ` : failure.code ? `${failure.code}: ` : ''}${(failure.response ?? failure.message).replace(/\s+/g, ' ')}`.slice(0, 300);
        if (failure.responseCode !== undefined && failure.responseCode >= 500) return { outcome: 'dead', error: error_ };
        return { outcome: 'retry', error: error_ };
      }
    },
    close: () => transport.close(),
  };
}
