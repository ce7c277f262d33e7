import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentDef } from '@baton/protocol';
import { callHttpAgent, MAX_HTTP_AGENT_RESPONSE_BYTES } from '../../packages/runtime/src/agents/http-agent.js';
import type { AgentRequest } from '../../packages/runtime/src/agents/agent.js';
import { BatonError } from '../../packages/runtime/src/errors.js';

/** A local endpoint answering with `handler`; counts the connections it accepted. */
async function endpoint(handler: http.RequestListener): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/agent`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const AGENT = { name: 'Worker', model: 'http/worker' } as unknown as AgentDef;

function request(signal = new AbortController().signal): AgentRequest {
  return { agent: AGENT, stepKey: 's', prompt: 'go', callIndex: 0, runId: 'R1', idempotencyKey: 'R1/s/0', signal };
}

async function failure(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BatonError, `not a BatonError: ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

describe('runtime: the http/ agent transport (keep-alive Node http client)', () => {
  const open: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
  });
  const serve = async (handler: http.RequestListener) => {
    const e = await endpoint(handler);
    open.push(e);
    return e;
  };

  it('POSTs the wire request with the idempotency key and reads the output; the calls of a run share one connection', async () => {
    const seen: { key: string | undefined; body: { prompt?: string } }[] = [];
    const e = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ output: `done ${seen.length}`, tokens: 3 }));
      });
    });
    const first = await callHttpAgent('worker', { url: e.url }, request(), {});
    const second = await callHttpAgent('worker', { url: e.url }, request(), {});
    assert.equal(first.output, 'done 1');
    assert.equal(second.output, 'done 2');
    assert.deepEqual(seen.map((s) => [s.key, s.body.prompt]), [['R1/s/0', 'go'], ['R1/s/0', 'go']]);
    assert.equal(e.connections(), 1, 'the second call reused the first call’s connection');
  });

  it('no connection: AGENT_UNREACHABLE naming the endpoint and the cause', async () => {
    const e = await endpoint(() => undefined);
    const url = e.url;
    await e.close();
    const error = await failure(callHttpAgent('worker', { url }, request(), {}));
    assert.equal(error.code, 'AGENT_UNREACHABLE');
    assert.match(error.message, /http\/worker \(http:\/\/127\.0\.0\.1:\d+\/agent\): cannot connect \(ECONNREFUSED\)/);
  });

  it('an answer over the size limit fails AGENT_BAD_RESPONSE — declared or streamed — and is not read into memory', async () => {
    const declared = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_HTTP_AGENT_RESPONSE_BYTES + 1) });
      res.write('{"output":"');
    });
    const a = await failure(callHttpAgent('worker', { url: declared.url }, request(), {}));
    assert.equal(a.code, 'AGENT_BAD_RESPONSE');
    assert.match(a.message, /over the 10485760-byte limit/);
    const streamed = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      let sent = 0;
      const more = (): void => {
        while (sent < 12 && res.write(chunk)) sent++;
        if (sent < 12) res.once('drain', more);
      };
      more();
    });
    const b = await failure(callHttpAgent('worker', { url: streamed.url }, request(), {}));
    assert.equal(b.code, 'AGENT_BAD_RESPONSE');
    assert.match(b.message, /over the 10485760-byte limit/);
  });

  it('an answer that breaks off: AGENT_UNREACHABLE "the answer broke off"', async () => {
    const e = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"output":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await failure(callHttpAgent('worker', { url: e.url }, request(), {}));
    assert.equal(error.code, 'AGENT_UNREACHABLE');
    assert.match(error.message, /the answer broke off/);
  });

  it('the step’s signal aborts the call in flight: STEP_CANCELLED', async () => {
    const e = await serve(() => undefined); // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(callHttpAgent('worker', { url: e.url }, request(controller.signal), {}));
    assert.equal(error.code, 'STEP_CANCELLED');
  });

  it('a 429 keeps its Retry-After; a 503 is AGENT_UNAVAILABLE; a secret header value echoed back is redacted', async () => {
    const limited = await serve((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
    const a = await failure(callHttpAgent('worker', { url: limited.url }, request(), {}));
    assert.equal(a.code, 'AGENT_RATE_LIMITED');
    assert.equal((a as BatonError & { retryAfter?: string }).retryAfter, '7');
    const down = await serve((req, res) => res.writeHead(503).end(`bad token ${req.headers.authorization}`));
    const b = await failure(callHttpAgent('worker', { url: down.url, headersFromEnv: { authorization: 'WORKER_TOKEN' } }, request(), { WORKER_TOKEN: 'tok-SECRET-123' }));
    assert.equal(b.code, 'AGENT_UNAVAILABLE');
    assert.match(b.message, /answered HTTP 503: bad token \[redacted\]/);
    assert.doesNotMatch(b.message, /SECRET/);
  });
});
