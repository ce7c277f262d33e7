/**
 * What the in-process `baton serve` suites share: two tenants (ACME, GLOBEX: an API token and a webhook secret each),
 * a silent output, the webhook signature, and `startTestServer` — `startServer` on a folder's flows with the settings
 * a test wants unless it says otherwise (loopback, any free port, ACME and GLOBEX, signatures and tokens required,
 * 4,096-byte bodies, no schedules, no timer poll, no log).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer, type ServeOptions, type ServeTenant } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';

/** Tenant `acme`: API token `acme-token`, webhook secret `acme-secret`. */
export const ACME = { id: 'acme', apiToken: 'acme-token', webhookSecret: 'acme-secret' } satisfies ServeTenant;
/** Tenant `globex`: API token `globex-token`, webhook secret `globex-secret`. */
export const GLOBEX = { id: 'globex', apiToken: 'globex-token', webhookSecret: 'globex-secret' } satisfies ServeTenant;

/** An output that prints nothing (for `planFor`). */
export const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;

/** The `X-Baton-Signature` of `body` with `secret`: `sha256=<hex HMAC-SHA256>`. */
export const sign = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** `startServer` on the flows of `dir` (UTC) with the suites' defaults (above); `options` overrides any of them. */
export async function startTestServer(dir: string, options: Partial<ServeOptions> & Pick<ServeOptions, 'store'>): Promise<BatonServer> {
  return startServer(await planFor(dir, 'UTC', quiet), { host: '127.0.0.1', port: 0, tenants: [ACME, GLOBEX], insecure: false, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, log: () => undefined, ...options });
}

/** An API answer: its status and JSON body (an `error` of `{code, message}` when refused). */
export interface ApiAnswer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/**
 * Requests to the server at `url()` (read per call: each test starts its own server): `start` posts a signed webhook
 * and returns the run id (asserting 202), `as` calls the API with a bearer token, `answer` reads status and body,
 * `code` the status and the error code.
 */
export function serveClient(url: () => string) {
  const start = async (tenant: { webhookSecret: string }, route: string, body: unknown = {}): Promise<string> => {
    const text = JSON.stringify(body);
    const res = await fetch(`${url()}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(tenant.webhookSecret, text) }, body: text });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };
  const as = (token: string, route: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url()}${route}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const answer = async (res: Response): Promise<ApiAnswer> => ({ status: res.status, body: (await res.json()) as ApiAnswer['body'] });
  const code = async (res: Response) => {
    const { status, body } = await answer(res);
    return [status, body.error?.code];
  };
  return { start, as, answer, code };
}
