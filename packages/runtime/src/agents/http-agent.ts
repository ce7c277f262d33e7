import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { EndpointConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { readWireResponse, wireRequest } from './agent-wire.js';

/** The largest answer read from an HTTP agent (bytes); a larger one fails rather than filling memory. */
export const MAX_HTTP_AGENT_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * An `http/<name>` agent: POSTs {@link wireRequest}'s JSON to the endpoint's `url` with its `headers` (and those
 * whose values come from the environment, `headersFromEnv`), and reads `{"output": …, "tokens": n}` back
 * (Node's `http`/`https` client, keep-alive), with the call's idempotency key as `Idempotency-Key` (see `AgentRequest.idempotencyKey`: the same
 * when a run resumed after a crash calls a step again, new for a retry). The step's signal aborts the request.
 * @throws BatonError `CONFIG_MISSING` (a `headersFromEnv` variable is empty), `AGENT_UNREACHABLE` (no
 *   connection), `AGENT_RATE_LIMITED` (429) / `AGENT_UNAVAILABLE` (5xx) / `AGENT_AUTH_FAILED` (401/403) /
 *   `AGENT_REQUEST_REJECTED` (other non-2xx), `AGENT_BAD_RESPONSE` (not JSON — e.g. an HTML page — or too
 *   large), `AGENT_OUTPUT_INVALID`, `STEP_CANCELLED`.
 */
export async function callHttpAgent(name: string, endpoint: EndpointConfig, request: AgentRequest, env: NodeJS.ProcessEnv): Promise<AgentResponse> {
  const who = `http/${name} (${endpoint.url})`;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...endpoint.headers };
  for (const [header, variable] of Object.entries(endpoint.headersFromEnv ?? {})) {
    const value = env[variable];
    if (!value) throw new BatonError('CONFIG_MISSING', `${who} sends the header ${header} from the environment variable ${variable}, which is not set`);
    headers[header] = value;
  }
  // the call's own key wins over a configured header of that name (in any case)
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'idempotency-key') delete headers[name];
  headers['idempotency-key'] = request.idempotencyKey;
  // the call's trace context (W3C Trace Context), when runs are traced: it replaces a configured header of that name
  if (request.traceparent) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'traceparent') delete headers[name];
    headers.traceparent = request.traceparent;
  }
  const body = JSON.stringify(wireRequest(request));
  headers['content-length'] = String(Buffer.byteLength(body));
  let response: HttpAnswer;
  try {
    response = await post(endpoint.url, headers, body, request.signal, MAX_HTTP_AGENT_RESPONSE_BYTES);
  } catch (error) {
    if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
    if (error instanceof BatonError) throw new BatonError(error.code, `${who}: ${error.message}`);
    const { code, message } = error as { code?: string; message?: string };
    if (error instanceof BrokenOff) throw new BatonError('AGENT_UNREACHABLE', `${who}: the answer broke off (${code ?? message})`);
    throw new BatonError('AGENT_UNREACHABLE', `${who}: cannot connect (${code ?? message})`);
  }
  const text = response.text;
  if (response.status < 200 || response.status > 299) {
    const status = response.status;
    const code = status === 401 || status === 403 ? 'AGENT_AUTH_FAILED' : status === 408 ? 'AGENT_REQUEST_TIMEOUT' : status === 429 ? 'AGENT_RATE_LIMITED' : status >= 500 ? 'AGENT_UNAVAILABLE' : 'AGENT_REQUEST_REJECTED';
    // the endpoint's answer, without any secret header value it may echo (never into events or the store)
    let detail = text.trim().replace(/\s+/g, ' ').slice(0, 200);
    for (const variable of Object.values(endpoint.headersFromEnv ?? {})) {
      const secret = env[variable];
      if (secret && secret.length >= 4) detail = detail.split(secret).join('[redacted]');
    }
    const failure = new BatonError(code, `${who} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
    const retryAfter = response.headers['retry-after'];
    if (typeof retryAfter === 'string' && retryAfter) (failure as BatonError & { retryAfter?: string }).retryAfter = retryAfter;
    throw failure;
  }
  const type = response.headers['content-type'] ?? '';
  if (/text\/html/i.test(type)) throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered an HTML page, not JSON; it must answer {"output": …}`);
  return readWireResponse(who, request, text);
}

/** An HTTP answer as {@link post} read it: status, headers (lower-case names), the body as UTF-8. */
interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The connection to the agent broke while its answer was read (as opposed to not connecting at all). */
class BrokenOff extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

/**
 * Connections kept open between calls (keep-alive), one pool per protocol: a run's steps call the same endpoint
 * again and again. Node's agent unrefs an idle connection (it never keeps the process alive) and closes it before
 * the server's `Keep-Alive: timeout` hint runs out.
 */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * POSTs `body` to `url` with Node's `http`/`https` client on a keep-alive connection and reads the whole answer, at
 * most `limit` bytes. (Node 20's `fetch` costs several times the CPU per call: for a run of many short agent calls,
 * it was the executor's largest cost.)
 * @throws BatonError `AGENT_BAD_RESPONSE` (the answer is over `limit` bytes); BrokenOff (the connection broke while
 *   the answer was read); the client's error (no connection: its `code`, e.g. `ECONNREFUSED`); an AbortError when
 *   `signal` aborts.
 */
function post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal, limit: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, { method: 'POST', headers, signal, agent: target.protocol === 'https:' ? agents.https : agents.http }, (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        reject(new BatonError('AGENT_BAD_RESPONSE', `the answer is ${declared} bytes, over the ${limit}-byte limit`));
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limit) {
          // rejected first: destroying the answer reports it broken off, which must not be the reason given
          reject(new BatonError('AGENT_BAD_RESPONSE', `the answer is over the ${limit}-byte limit`));
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new BrokenOff(error.code, error.message)));
      res.on('aborted', () => reject(new BrokenOff(undefined, 'the connection closed')));
    });
    req.on('error', reject);
    req.end(body);
  });
}
