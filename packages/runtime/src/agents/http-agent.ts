import type { EndpointConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { readWireResponse, wireRequest } from './agent-wire.js';

/** The largest answer read from an HTTP agent (bytes); a larger one fails rather than filling memory. */
export const MAX_HTTP_AGENT_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * An `http/<name>` agent: POSTs {@link wireRequest}'s JSON to the endpoint's `url` with its `headers` (and those
 * whose values come from the environment, `headersFromEnv`), and reads `{"output": …, "tokens": n}` back
 * (Node's `fetch`), with the call's idempotency key as `Idempotency-Key` (see `AgentRequest.idempotencyKey`: the same
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
  let response: Response;
  try {
    response = await fetch(endpoint.url, { method: 'POST', headers, body: JSON.stringify(wireRequest(request)), signal: request.signal });
  } catch (error) {
    if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BatonError('AGENT_UNREACHABLE', `${who}: cannot connect (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  let text: string;
  try {
    text = await readLimited(response, MAX_HTTP_AGENT_RESPONSE_BYTES);
  } catch (error) {
    if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
    throw error instanceof BatonError ? new BatonError(error.code, `${who}: ${error.message}`) : new BatonError('AGENT_UNREACHABLE', `${who}: the answer broke off (${(error as Error).message})`);
  }
  if (!response.ok) {
    const status = response.status;
    const code = status === 401 || status === 403 ? 'AGENT_AUTH_FAILED' : status === 408 ? 'AGENT_REQUEST_TIMEOUT' : status === 429 ? 'AGENT_RATE_LIMITED' : status >= 500 ? 'AGENT_UNAVAILABLE' : 'AGENT_REQUEST_REJECTED';
    // the endpoint's answer, without any secret header value it may echo (never into events or the store)
    let detail = text.trim().replace(/\s+/g, ' ').slice(0, 200);
    for (const variable of Object.values(endpoint.headersFromEnv ?? {})) {
      const secret = env[variable];
      if (secret && secret.length >= 4) detail = detail.split(secret).join('[redacted]');
    }
    const failure = new BatonError(code, `${who} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) (failure as BatonError & { retryAfter?: string }).retryAfter = retryAfter;
    throw failure;
  }
  const type = response.headers.get('content-type') ?? '';
  if (/text\/html/i.test(type)) throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered an HTML page, not JSON; it must answer {"output": …}`);
  return readWireResponse(who, request, text);
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BatonError('AGENT_BAD_RESPONSE', `the answer is ${declared} bytes, over the ${limit}-byte limit`);
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new BatonError('AGENT_BAD_RESPONSE', `the answer is over the ${limit}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
