/**
 * What the notification tests share: a real webhook receiver (node:http on 127.0.0.1) that checks each request's
 * Standard Webhooks signature with a known secret — computed here from the scheme's text, not with the sender's code —
 * and deduplicates on `webhook-id`, answering from a script; a flow with an approval and one that fails; a store with
 * notifications on; a virtual clock.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotifyChannel, NotifySettings } from '../../packages/runtime/src/index.js';

/** One request the receiver got. */
export interface Received {
  id: string;
  timestamp: string;
  body: string;
  /** The signature header verified with the receiver's secret. */
  verified: boolean;
  contentType: string | undefined;
}

/** A scripted answer: a status and headers. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** A webhook receiver: `requests` in arrival order, `deliveries` deduplicated by webhook-id. */
export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Unique deliveries (by webhook-id), in first-arrival order. */
  deliveries: Map<string, Received>;
  /** Answers still scripted; when empty, 200. */
  script: Answer[];
  close(): Promise<void>;
}

/** The Standard Webhooks check: `v1,` + base64 HMAC-SHA256(secret, `${id}.${timestamp}.${body}`), any of the space-separated signatures. */
export function verifySignature(secret: Buffer, id: string, timestamp: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((part) => {
    const [version, value] = part.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Starts a receiver on 127.0.0.1 (`port` 0: any free port) checking signatures with `secret`. */
export async function startReceiver(secret: Buffer, port = 0): Promise<Receiver> {
  const receiver = { requests: [] as Received[], deliveries: new Map<string, Received>(), script: [] as Answer[] } as Receiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const timestamp = String(req.headers['webhook-timestamp'] ?? '');
      const body = Buffer.concat(chunks).toString('utf8');
      const got: Received = { id, timestamp, body, verified: verifySignature(secret, id, timestamp, body, req.headers['webhook-signature'] as string | undefined), contentType: req.headers['content-type'] };
      receiver.requests.push(got);
      const answer = receiver.script.shift() ?? { status: 200 };
      if (answer.status >= 200 && answer.status < 300 && !receiver.deliveries.has(id)) receiver.deliveries.set(id, got);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks/baton`;
  receiver.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return receiver;
}

/** A port nothing listens on now (taken from the system, then let go). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A flow that waits for an approval assigned to `finance`, then pays; and one whose step fails. */
export const FLOWS = `
agent Worker { stub: "ok" }
flow Purchase {
  input amount: number
  approval manager {
    prompt: "Approve the purchase?"
    assignee: "finance"
    timeout: 2d
  }
  step pay: Worker { prompt: "pay \${input.amount}" }
}
flow Broken {
  input card: string
  step charge: Worker { prompt: "charge \${input.card}" }
}`;

/** Settings with `channels`, retry 3 tries from 30 s doubling to 10 min, links under https://baton.example.com. */
export function settingsWith(...channels: NotifyChannel[]): NotifySettings {
  return { consoleUrl: 'https://baton.example.com', channels, retry: { maxAttempts: 3, firstDelayMs: 30_000, maxDelayMs: 600_000 } };
}

/** A virtual clock starting now (the store's event times are real ones). */
export function virtualClock(): { now: () => Date; advance: (ms: number) => void; at: (ms: number) => string } {
  const start = Date.now();
  let offset = 0;
  return { now: () => new Date(start + offset), advance: (ms) => void (offset += ms), at: (ms) => new Date(start + ms).toISOString() };
}

/** Asserts `value` is a JSON object and returns it. */
export function jsonObject(text: string): Record<string, unknown> {
  const value = JSON.parse(text) as unknown;
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `not a JSON object: ${text}`);
  return value as Record<string, unknown>;
}
