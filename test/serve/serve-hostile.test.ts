import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import type { BatonServer, ServeOptions } from '../../packages/cli/src/serve/server.js';
import { serveStoreKinds } from './serve-store-kinds.js';
import { startTestServer } from './serve-fixtures.js';
import { openSse } from './sse-client.js';

// The console's HTTP API (issue 13's routes) under hostile requests, on both stores: wrong types, repeated
// parameters, huge / negative / non-numeric numbers, impossible and out-of-range dates, NUL and percent-encoding
// garbage, LIKE wildcards and traversal in ids, deep / huge / truncated / mistyped JSON bodies, a slow-loris request,
// an event stream whose client never reads. Each refusal is a 4xx `{error: {code, message}}` whose message names
// what was wrong; never a 500, never a hang; nothing stored changes.

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  approval sign_off { prompt: "buy?" }
  step thank: Greeter { prompt: "thanks" }
}
`;
const AUTH = { authorization: 'Bearer acme-token' };
const JSON_TYPE = { 'content-type': 'application/json' };
const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** One hostile request and what it must get: status, error code (none for a 200), and text its message must contain. */
interface Case {
  what: string;
  method?: string;
  /** The path and query; `{id}` is the waiting run's id. */
  target: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
  names?: string;
}

const CASES: Case[] = [
  // GET /runs: numbers
  { what: 'limit negative', target: '/runs?limit=-1', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'limit NaN', target: '/runs?limit=NaN', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'limit Infinity', target: '/runs?limit=Infinity', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'limit huge', target: '/runs?limit=99999999999999999999999', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'limit in exponent form', target: '/runs?limit=1e2', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'limit empty', target: '/runs?limit=', status: 400, code: 'BAD_QUERY', names: 'limit' },
  // repeated parameters: which one would count is a guess
  { what: 'status twice', target: '/runs?status=waiting&status=failed', status: 400, code: 'BAD_QUERY', names: 'status' },
  { what: 'limit twice', target: '/runs?limit=1&limit=1000000', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'events twice', target: '/runs/{id}?events=0&events=1', status: 400, code: 'BAD_QUERY', names: 'events' },
  { what: 'after twice', target: '/runs/{id}/events?after=0&after=5', status: 400, code: 'BAD_QUERY', names: 'after' },
  { what: 'stats from twice', target: '/stats?from=2026-12-01&from=2026-01-01', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'stream run twice', target: '/stream?run={id}&run=x', status: 400, code: 'BAD_QUERY', names: 'run' },
  // dates
  { what: 'from: February 30 (not rolled into March)', target: '/runs?from=2026-02-30', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'to: 24:00 (not rolled into the next day)', target: '/runs?to=2026-12-05T24:00', status: 400, code: 'BAD_QUERY', names: 'to' },
  { what: 'from: month 13', target: '/runs?from=2026-13-01', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'from: year 0', target: '/runs?from=0000-01-01', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'to: before 1970', target: '/runs?to=1969-12-31', status: 400, code: 'BAD_QUERY', names: 'to' },
  { what: 'from: not ISO', target: '/runs?from=12%2F05%2F2026', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'from after to', target: '/runs?from=2026-12-05&to=2026-12-04', status: 400, code: 'BAD_QUERY', names: 'from' },
  { what: 'far future window (no run yet)', target: '/runs?from=9999-12-30&to=9999-12-31', status: 200 },
  { what: 'stats: year 0', target: '/stats?from=0000-01-01&to=0000-06-01', status: 400, code: 'BAD_QUERY', names: '0000-0' },
  { what: 'stats: to in year 1 (default from before it)', target: '/stats?to=0001-01-01', status: 400, code: 'BAD_QUERY', names: 'to' },
  { what: 'stats: February 30', target: '/stats?from=2026-02-30', status: 400, code: 'BAD_QUERY', names: 'from' },
  // NUL and encoding garbage (PostgreSQL text cannot hold NUL: it once made these 500)
  { what: 'q of NULs', target: '/runs?q=%00%00%00', status: 400, code: 'BAD_QUERY', names: '"q"' },
  { what: 'flow NUL', target: '/runs?flow=%00', status: 400, code: 'BAD_QUERY', names: '"flow"' },
  { what: 'a NUL in a parameter name', target: '/runs?a%00b=1', status: 400, code: 'BAD_QUERY', names: 'a\\u0000b' },
  { what: 'stats flow NUL', target: '/stats?flow=%00', status: 400, code: 'BAD_QUERY', names: '"flow"' },
  { what: 'stream run NUL', target: '/stream?run=%00', status: 400, code: 'BAD_QUERY', names: '"run"' },
  { what: 'approvals flow NUL', target: '/approvals?flow=x%00', status: 400, code: 'BAD_QUERY', names: '"flow"' },
  { what: 'notifications before NUL', target: '/notifications?before=%00', status: 400, code: 'BAD_QUERY', names: '"before"' },
  { what: 'run id NUL', target: '/runs/%00', status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'run id NUL (events)', target: '/runs/%00/events', status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'run id NUL (definition)', target: '/runs/%00/definition', status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'run id NUL (cancel)', method: 'POST', target: '/runs/%00/cancel', status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'event name NUL', method: 'POST', target: '/runs/{id}/events/%00', body: '{}', headers: JSON_TYPE, status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'notification id NUL', method: 'POST', target: '/notifications/%00/retry', status: 400, code: 'BAD_PATH', names: '%00' },
  { what: 'run id %zz', target: '/runs/%zz', status: 400, code: 'BAD_PATH', names: '%zz' },
  { what: 'run id: a lone surrogate', target: '/runs/%ED%A0%80', status: 400, code: 'BAD_PATH', names: '%ED%A0%80' },
  { what: 'q %zz (taken as text)', target: '/runs?q=%zz%zz', status: 200 },
  { what: 'q of 10,000 characters', target: `/runs?q=${'a'.repeat(10_000)}`, status: 400, code: 'BAD_QUERY', names: 'q must be' },
  { what: 'flow of 10,000 characters (no such flow)', target: `/runs?flow=${'a'.repeat(10_000)}`, status: 200 },
  { what: 'before: not a run id', target: '/runs?before=..%2F..', status: 400, code: 'BAD_QUERY', names: 'before' },
  { what: 'tenant not the caller\'s', target: '/runs?tenant=globex', status: 403, code: 'TENANT_FORBIDDEN', names: 'globex' },
  { what: 'tenant twice', target: '/runs?tenant=acme&tenant=acme', status: 400, code: 'BAD_QUERY', names: 'tenant' },
  // ids of other shapes: LIKE's wildcards are not run id prefixes (they once found, and acted on, any run)
  { what: 'run id %', target: '/runs/%25', status: 404, code: 'RUN_NOT_FOUND', names: '"%"' },
  { what: 'run id _', target: '/runs/_', status: 404, code: 'RUN_NOT_FOUND', names: '"_"' },
  { what: 'run id %% (events)', target: '/runs/%25%25/events', status: 404, code: 'RUN_NOT_FOUND', names: '"%%"' },
  { what: 'run id _ (definition)', target: '/runs/_/definition', status: 404, code: 'RUN_NOT_FOUND', names: '"_"' },
  { what: 'cancel run %', method: 'POST', target: '/runs/%25/cancel', status: 404, code: 'RUN_NOT_FOUND', names: '"%"' },
  { what: 'approve run _', method: 'POST', target: '/runs/_/approve', body: '{"task":"sign_off"}', headers: JSON_TYPE, status: 404, code: 'RUN_NOT_FOUND', names: '"_"' },
  { what: 'stream of run %', target: '/stream?run=%25', status: 404, code: 'RUN_NOT_FOUND', names: '"%"' },
  { what: 'run id: traversal', target: '/runs/..%2F..%2Fetc%2Fpasswd', status: 404, code: 'RUN_NOT_FOUND', names: '../../etc/passwd' },
  { what: 'run id: 5,000 characters', target: `/runs/${'A'.repeat(5000)}`, status: 404, code: 'RUN_NOT_FOUND', names: 'AAAA' },
  { what: 'events after: not a number', target: '/runs/{id}/events?after=1e3', status: 400, code: 'BAD_QUERY', names: 'after' },
  { what: 'events limit over the page', target: '/runs/{id}/events?limit=5001', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'events=maybe', target: '/runs/{id}?events=maybe', status: 400, code: 'BAD_QUERY', names: 'events' },
  { what: 'stream after negative', target: '/stream?list&after=-1', status: 400, code: 'BAD_QUERY', names: 'after' },
  { what: 'notifications limit in exponent form', target: '/notifications?limit=1e2', status: 400, code: 'BAD_QUERY', names: 'limit' },
  { what: 'notifications limit 0x10', target: '/notifications?limit=0x10', status: 400, code: 'BAD_QUERY', names: 'limit' },
  // bodies
  { what: 'POST /runs: 10,000 nested arrays', method: 'POST', target: '/runs', body: deep(10_000), headers: JSON_TYPE, status: 422, code: 'START_INVALID', names: 'flow' },
  { what: 'POST /runs: an input 10,000 arrays deep', method: 'POST', target: '/runs', body: `{"flow":"Purchase","inputs":{"item":${deep(10_000)}}}`, headers: JSON_TYPE, status: 422, code: 'INPUT_INVALID', names: 'item' },
  { what: 'POST /runs: over the body limit', method: 'POST', target: '/runs', body: `{"flow":"Purchase","inputs":{"item":"${'x'.repeat(70_000)}"}}`, headers: JSON_TYPE, status: 413, code: 'BODY_TOO_LARGE', names: 'body' },
  { what: 'POST /runs: text/plain', method: 'POST', target: '/runs', body: '{"flow":"Purchase"}', headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', names: 'Content-Type' },
  { what: 'POST /runs: truncated', method: 'POST', target: '/runs', body: '{"flow":"Purch', headers: JSON_TYPE, status: 400, code: 'BAD_JSON', names: 'JSON' },
  { what: 'POST /runs: __proto__ inputs', method: 'POST', target: '/runs', body: '{"flow":"Purchase","inputs":{"__proto__":{"item":"x"}}}', headers: JSON_TYPE, status: 422, code: 'INPUT_INVALID', names: '__proto__' },
  { what: 'POST /runs: flow __proto__', method: 'POST', target: '/runs', body: '{"flow":"__proto__"}', headers: JSON_TYPE, status: 422, code: 'UNKNOWN_FLOW', names: '__proto__' },
  { what: 'POST /runs: flow a number', method: 'POST', target: '/runs', body: '{"flow":7}', headers: JSON_TYPE, status: 422, code: 'START_INVALID', names: 'flow' },
  { what: 'POST /runs: inputs an array', method: 'POST', target: '/runs', body: '{"flow":"Purchase","inputs":[]}', headers: JSON_TYPE, status: 422, code: 'INPUT_INVALID', names: 'inputs' },
  { what: 'POST /runs: not JSON (latin-1 declared)', method: 'POST', target: '/runs', body: '\u00ff', headers: { 'content-type': 'application/json; charset=latin1' }, status: 400, code: 'BAD_JSON', names: 'JSON' },
  { what: 'event: 10,000 nested arrays to a run not waiting for it', method: 'POST', target: '/runs/{id}/events/paid', body: deep(10_000), headers: JSON_TYPE, status: 409, code: 'EVENT_NOT_AWAITED', names: 'paid' },
  { what: 'approve: task a number', method: 'POST', target: '/runs/{id}/approve', body: '{"task":1}', headers: JSON_TYPE, status: 422, code: 'DECISION_INVALID', names: 'task' },
  { what: 'approve: body null', method: 'POST', target: '/runs/{id}/approve', body: 'null', headers: JSON_TYPE, status: 422, code: 'DECISION_INVALID', names: 'task' },
  { what: 'approve: decision an object', method: 'POST', target: '/runs/{id}/approve', body: '{"task":"sign_off","decision":{}}', headers: JSON_TYPE, status: 422, code: 'DECISION_INVALID', names: 'decision' },
  { what: 'approve: an approval not waiting', method: 'POST', target: '/runs/{id}/approve', body: '{"task":"\\u0000"}', headers: JSON_TYPE, status: 409, code: 'TASK_NOT_WAITING', names: 'sign_off' },
  { what: 'cancel: truncated JSON', method: 'POST', target: '/runs/{id}/cancel', body: '{"x":1', headers: JSON_TYPE, status: 400, code: 'BAD_JSON', names: 'JSON' },
  { what: 'redrive a waiting run', method: 'POST', target: '/runs/{id}/redrive', status: 409, code: 'RUN_NOT_FAILED', names: 'failed' },
  { what: 'session: 10,000 nested arrays', method: 'POST', target: '/session', body: deep(10_000), headers: JSON_TYPE, status: 422, code: 'SIGN_IN_INVALID', names: 'token' },
  { what: 'session: __proto__ token', method: 'POST', target: '/session', body: '{"__proto__":{"token":"acme-token"}}', headers: JSON_TYPE, status: 422, code: 'SIGN_IN_INVALID', names: 'token' },
  { what: 'session: delete without one', method: 'DELETE', target: '/session', status: 401, code: 'UNAUTHORIZED', names: 'signed in' },
  { what: 'session: PUT', method: 'PUT', target: '/session', status: 401, code: 'UNAUTHORIZED', names: 'signed in' },
  { what: 'flows: POST', method: 'POST', target: '/flows', status: 405, code: 'METHOD_NOT_ALLOWED', names: 'GET' },
  { what: 'definition: only= of 10,000 characters (not echoed whole)', target: `/runs/{id}/definition?only=${'x'.repeat(10_000)}`, status: 400, code: 'BAD_QUERY', names: `only must be layout (the only part that can be asked alone), not "${'x'.repeat(40)}"` },
  { what: 'stats: bucket=hour', target: '/stats?bucket=hour', status: 400, code: 'BAD_QUERY', names: 'bucket' },
];

const KINDS = serveStoreKinds('baton_h');

for (const kind of KINDS) {
  describe(`baton serve: hostile requests to the console's API (${kind.name} store)`, function () {
    this.timeout(60_000);
    let dir: string;
    let store: RunStoreApi;
    let server: BatonServer;
    let runId: string;

    const boot = async (extra: Partial<ServeOptions> = {}): Promise<void> => {
      server = await startTestServer(dir, { store, maxBodyBytes: 64 * 1024, requestTimeoutMs: 1000, ...extra });
    };
    /** Everything stored that a request could change: each run and its events. */
    const stored = async (): Promise<string> => {
      const runs = await store.listRuns({ limit: 10_000 });
      return JSON.stringify(await Promise.all(runs.map(async (run) => ({ run, events: await store.getEvents(run.id) }))));
    };
    const request = async (method: string, target: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${server.url}${target}`, { method, headers: { ...AUTH, ...headers }, body, signal: AbortSignal.timeout(10_000) });
      return { status: res.status, text: await res.text() };
    };
    const waitFor = async (id: string, status: string): Promise<void> => {
      while ((await store.getRun(id)).status !== status) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-hostile-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      store = await kind.open(dir);
      await boot();
      const started = await request('POST', '/runs', JSON.stringify({ flow: 'Purchase', inputs: { item: 'pens' } }), JSON_TYPE);
      assert.equal(started.status, 202, started.text);
      runId = (JSON.parse(started.text) as { runId: string }).runId;
      await waitFor(runId, 'waiting');
    });
    after(async () => {
      await server?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const c of CASES) {
      it(`${c.method ?? 'GET'} ${c.what}: ${c.status}${c.code ? ` ${c.code}` : ''}; nothing stored changes`, async () => {
        const before = await stored();
        const { status, text } = await request(c.method ?? 'GET', c.target.replaceAll('{id}', runId), c.body, c.headers);
        assert.equal(status, c.status, text.slice(0, 300));
        if (c.code) {
          const { error } = JSON.parse(text) as { error: { code: string; message: string } };
          assert.equal(error.code, c.code, error.message);
          assert.ok(error.message.includes(c.names!), `the message names ${c.names}: ${error.message.slice(0, 300)}`);
          assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace');
        }
        assert.equal(await stored(), before);
      });
    }

    it('property: any mix of the /runs query parameters gets 200 (a page) or a 4xx naming a parameter — never a 500', async () => {
      const before = await stored();
      const garbage = fc.oneof(
        fc.constantFrom('', '%00', '%zz', '%', '%25', '_', '-1', '0', '1', '1000', '1001', 'NaN', 'Infinity', '1e2', '2026-12-05', '2026-02-30', '0000-01-01', '9999-12-31', '2026-12-05T24:00', 'waiting', 'Purchase', 'acme', 'globex', runId, runId.toLowerCase()),
        fc.string({ maxLength: 30 }),
        fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
        fc.integer().map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      );
      const names = fc.constantFrom('flow', 'status', 'from', 'to', 'q', 'before', 'limit', 'tenant');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(names, garbage), { maxLength: 6 }), async (pairs) => {
          const query = pairs.map(([name, value]) => `${name}=${value}`).join('&');
          const { status, text } = await request('GET', `/runs?${query}`);
          const body = JSON.parse(text) as { runs?: unknown[]; error?: { code: string; message: string } };
          if (status === 200) {
            assert.ok(Array.isArray(body.runs), text.slice(0, 200));
            return;
          }
          assert.ok(status === 400 || status === 403, `${status} for ?${query}: ${text.slice(0, 200)}`);
          assert.ok(pairs.some(([name]) => body.error!.message.includes(name)), `the message names a parameter: ${body.error!.message}`);
        }),
        { numRuns: 300, seed: Number(process.env.BATON_FUZZ_SEED ?? Date.now() % 2 ** 31) },
      );
      assert.equal(await stored(), before);
    });

    it('a slow-loris request (headers trickled, then stalled) gets 408 at the request timeout while others are answered', async () => {
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write('GET /runs HTTP/1.1\r\nHost: x\r\n');
      socket.write('Authorization: Bearer acme-token\r\nX-Slow: ');
      const others = await request('GET', '/runs?limit=1');
      assert.equal(others.status, 200);
      await closed;
      const answer = Buffer.concat(received).toString();
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"code":"REQUEST_TIMEOUT"/);
    });

    it('an event stream whose client never reads is let go (its place freed, its buffer dropped); the server goes on answering', async () => {
      // the last case: the server it boots is closed by `after`
      await server.close();
      await boot({ maxBodyBytes: 16 * 1024 * 1024, requestTimeoutMs: 30_000, live: { maxStreamsPerUser: 1 } });
      // a run whose run.started event is 12 MB (its input): more than the kernel's buffers and the server's 4 MiB
      const big = await request('POST', '/runs', JSON.stringify({ flow: 'Purchase', inputs: { item: 'x'.repeat(12_000_000) } }), JSON_TYPE);
      assert.equal(big.status, 202, big.text);
      const bigId = (JSON.parse(big.text) as { runId: string }).runId;
      await waitFor(bigId, 'waiting');
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.pause();
      let bytes = 0;
      socket.on('data', (d: Buffer) => (bytes += d.length));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`GET /stream?run=${bigId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer acme-token\r\n\r\n`);
      // the user's one stream is taken while the server holds it; it is freed once the server lets the reader go
      for (;;) {
        const other = await openSse(`${server.url}/stream?list`, AUTH);
        other.close();
        if (other.status === 200) break;
        assert.equal(other.status, 429);
        assert.equal((await request('GET', '/runs?limit=1')).status, 200);
      }
      socket.resume();
      await closed;
      assert.ok(bytes < 12_000_000, `the stream was cut, not sent whole: ${bytes} bytes`);
      assert.equal((await request('GET', `/runs/${bigId}?events=0`)).status, 200);
    });
  });
}
