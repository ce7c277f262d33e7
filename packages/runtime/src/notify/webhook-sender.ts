// Sends one notification to a webhook (node:http/https, 10 s timeout), signed with the Standard Webhooks scheme
// (https://www.standardwebhooks.com, "Signature scheme"): `webhook-id`, `webhook-timestamp` (Unix seconds) and
// `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { WebhookTarget } from '../config/notifications.js';

/**
 * What one try came to: `sent` (2xx); `retry` (no answer, a connection error, 408, 429, 5xx; `retryAfterMs` from a
 * 429's or 503's `Retry-After`); `dead` (any other status: the receiver refuses it and will go on refusing).
 */
export type SendResult = { outcome: 'sent' } | { outcome: 'retry'; error: string; retryAfterMs?: number } | { outcome: 'dead'; error: string };

/** The default time a try may take, connection and answer included (ms). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` with `key`. */
export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * POSTs `body` (JSON) to `target.url` as delivery `id` at `now`, signed when the target has a secret.
 * @returns the outcome (never throws: every failure is a {@link SendResult}).
 */
export function sendWebhook(target: WebhookTarget, id: string, body: string, now: Date, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<SendResult> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'user-agent': 'baton-notify',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
  };
  if (target.secret) headers['webhook-signature'] = webhookSignature(target.secret, id, timestamp, body);
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      resolve({ outcome: 'dead', error: 'the webhook URL is not a URL' });
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'POST', headers, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        // the receiver's answer is read for the message only: the first 512 bytes
        if (size < 512) chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', () => resolve(classify(response.statusCode ?? 0, response.headers['retry-after'], Buffer.concat(chunks).toString('utf8').slice(0, 200), now)));
      response.on('error', (error) => resolve({ outcome: 'retry', error: `the answer broke off: ${error.message}` }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ outcome: 'retry', error: `${error.code ? `${error.code}: ` : ''}${error.message}`.slice(0, 300) }));
    request.end(body);
  });
}

/** A status code's outcome (see {@link SendResult}). */
function classify(status: number, retryAfter: string | undefined, text: string, now: Date): SendResult {
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  const error = `HTTP ${status}${text.trim() ? `: ${text.trim().replace(/\s+/g, ' ')}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    const after = parseRetryAfter(retryAfter, now);
    return { outcome: 'retry', error, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { outcome: 'dead', error };
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
