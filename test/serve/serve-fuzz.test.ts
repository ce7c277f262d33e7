import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { baton, CLI } from '../cli/cli-helper.js';

// An HTTP fuzz of a real `baton serve` (the built bin) on 127.0.0.1: generated requests — chunked, oversized,
// malformed (request line, headers, chunks, JSON, content type), unicode (valid and invalid UTF-8, NUL, overlong
// forms), random bytes — sent on raw sockets, plus trickled ones against the request timeout. Every refusal must
// be a 4xx with a JSON error (or a clean close for bytes that are not HTTP), the server must stay up and answer a
// good request afterwards, and the runs stored must be exactly the runs of the accepted (202) answers.
// Seeded: the seed is printed; BATON_FUZZ_SEED=<n> repeats a run; a seed that failed is kept in KEPT_SEEDS.

const SECRET = 'fuzz-secret';
const TOKEN = 'fuzz-token';
const MAX_BODY = 4096;
const FLOWS = `
agent Echo { stub: "ok" }
flow Hook {
  trigger webhook "/hook"
  input name: string
  step e: Echo { prompt: "hi \${input.name}" }
}
flow Paid {
  trigger event "paid"
  input name: string = "x"
  step e: Echo { prompt: "paid \${input.name}" }
}
`;
/** Seeds that once failed, run every time besides the random one (add one with what it found). */
// 2107878588: an event name holding NUL (now 400 BAD_PATH) was expected to be accepted
const KEPT_SEEDS: number[] = [2107878588];

const sign = (body: Buffer) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

/** One HTTP answer read off the wire. */
interface Answer {
  status: number;
  headers: string;
  body: Buffer;
}

/**
 * Sends `parts` on a fresh connection (waiting `gapMs` between them), half-closes it when `end`, and reads until
 * the server closes it. Fails when the server neither answers nor closes within `limitMs`.
 */
function exchange(port: number, parts: Buffer[], options: { end: boolean; gapMs?: number; limitMs?: number }): Promise<{ data: Buffer; reset: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed within ${options.limitMs ?? 10_000} ms; read: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, options.limitMs ?? 10_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), reset });
    });
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        if (!socket.writable) return;
        await new Promise<void>((done) => socket.write(part, () => done()));
      }
      if (options.end && socket.writable) socket.end();
    });
  });
}

/** Every answer in `data` (a connection may carry an answer and then the refusal of the bytes after it). */
function answersIn(data: Buffer): Answer[] {
  const answers: Answer[] = [];
  let rest = data;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    assert.ok(headEnd > 0, `an incomplete answer: ${JSON.stringify(rest.toString('latin1').slice(0, 300))}`);
    const headers = rest.subarray(0, headEnd).toString('latin1');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(headers);
    assert.ok(status, `not an HTTP/1.1 status line: ${JSON.stringify(headers.slice(0, 200))}`);
    const length = /\r\ncontent-length: (\d+)/i.exec(headers);
    assert.ok(length, `an answer without content-length: ${headers}`);
    const body = rest.subarray(headEnd + 4, headEnd + 4 + Number(length[1]));
    assert.equal(body.length, Number(length[1]), 'the whole body arrived');
    answers.push({ status: Number(status[1]), headers, body });
    rest = rest.subarray(headEnd + 4 + Number(length[1]));
  }
  return answers;
}

/** A refusal: 4xx and `{"error": {"code", "message"}}` as JSON. @returns the code. */
function refusal(answer: Answer): string {
  assert.ok(answer.status >= 400 && answer.status < 500, `a refusal is a 4xx, not ${answer.status}: ${answer.body.toString('utf8').slice(0, 200)}`);
  assert.match(answer.headers, /\r\ncontent-type: application\/json/i);
  const json = JSON.parse(answer.body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof json.error?.code, 'string', answer.body.toString('utf8'));
  assert.equal(typeof json.error?.message, 'string');
  return json.error!.code as string;
}

/** A well-formed request: what the generator chose. */
interface RequestCase {
  method: string;
  target: string;
  contentType: string | undefined;
  signature: 'good' | 'bad' | 'none';
  framing: 'length' | 'chunked';
  /** Where the chunked body is cut into chunks (fractions of its length). */
  cuts: number[];
  body: Buffer;
  /** What the body is, for the expected answer. */
  intent: 'accept' | 'not-object' | 'not-json' | 'not-utf8' | 'raw';
}

const INVALID_UTF8: number[][] = [[0xff], [0xfe], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]];

const bodies: fc.Arbitrary<Pick<RequestCase, 'body' | 'intent'>> = fc.oneof(
  // inputs the flow takes: any unicode, escaped control characters and NUL included
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((name) => ({ body: Buffer.from(JSON.stringify({ name })), intent: 'accept' as const })),
  fc.string({ unit: 'binary', maxLength: 40 }).map((name) => ({ body: Buffer.from(JSON.stringify({ name: `${name}\u0000` })), intent: 'accept' as const })),
  // JSON of the wrong shape
  fc.constantFrom('[]', 'null', '1', '"x"', '[{"name":"a"}]').map((text) => ({ body: Buffer.from(text), intent: 'not-object' as const })),
  // not JSON: empty, truncated, a raw NUL or control character inside a string, trailing garbage
  fc.constantFrom('', '{', '{"name":', 'nul', '{"name":"a"}}', '{"name":"a\u0000"}', '{"name":"a\u0007"}', "{'name':'a'}").map((text) => ({ body: Buffer.from(text), intent: 'not-json' as const })),
  // valid JSON with a malformed UTF-8 sequence spliced into the string
  fc.tuple(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom(...INVALID_UTF8)).map(([name, bad]) => ({
    body: Buffer.concat([Buffer.from(`{"name":"${name.replace(/["\\]/g, '')}`), Buffer.from(bad), Buffer.from('"}')]),
    intent: 'not-utf8' as const,
  })),
  // oversized (a valid body over --max-body)
  fc.integer({ min: 1, max: 3 * MAX_BODY }).map((extra) => ({ body: Buffer.from(JSON.stringify({ name: 'x'.repeat(MAX_BODY + extra) })), intent: 'accept' as const })),
  // random bytes
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ body: Buffer.from(bytes), intent: 'raw' as const })),
);

const requests: fc.Arbitrary<RequestCase> = fc
  .record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'),
    target: fc.constantFrom('/hook', '/hook', '/hook', '/hook?x=%00', '/events/paid', '/events/paid', '/nope', '/runs', '/runs/01ZZZZ/approve', '/%E2%82', '/h%C3%A9', '/events/%E2%82', '/events/a%00b'),
    contentType: fc.constantFrom<string | undefined>('application/json', 'application/json', 'application/json; charset=utf-8', 'application/vnd.baton+json', 'text/plain', undefined),
    signature: fc.constantFrom<RequestCase['signature']>('good', 'good', 'good', 'bad', 'none'),
    framing: fc.constantFrom<RequestCase['framing']>('length', 'chunked'),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
  })
  .chain((head) => bodies.map((b) => ({ ...head, ...b })));

/** The bytes of a request case on the wire (always `Connection: close`). */
function wire(c: RequestCase): Buffer {
  const headers = [`${c.method} ${c.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (c.contentType) headers.push(`Content-Type: ${c.contentType}`);
  if (c.signature === 'good') headers.push(`X-Baton-Signature: ${sign(c.body)}`);
  if (c.signature === 'bad') headers.push(`X-Baton-Signature: ${sign(Buffer.concat([c.body, Buffer.from(' ')]))}`);
  if (c.framing === 'length') {
    headers.push(`Content-Length: ${c.body.length}`);
    return Buffer.concat([Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'latin1'), c.body]);
  }
  headers.push('Transfer-Encoding: chunked');
  const points = [...new Set(c.cuts.map((f) => Math.floor(f * c.body.length)))].filter((p) => p > 0 && p < c.body.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const to of [...points, c.body.length]) {
    if (to > from) pieces.push(Buffer.concat([Buffer.from(`${(to - from).toString(16)}\r\n`), c.body.subarray(from, to), Buffer.from('\r\n')]));
    from = to;
  }
  pieces.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat([Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'latin1'), ...pieces]);
}

/**
 * The answers a case may get: the status and error code it must get where the server's order of checks decides
 * it (route, method, size, signature, content type, encoding, JSON, shape), or the accepted/invalid-input pair
 * where the inputs decide.
 */
function expected(c: RequestCase): { status: number; code?: string } | 'accept-or-422' {
  const pathname = c.target.split('?')[0];
  const isHook = pathname === '/hook';
  // any /events/<name> is a route (an event no flow starts is still delivered to waiting runs)
  const isEvent = pathname.startsWith('/events/');
  if (pathname === '/runs' || pathname.startsWith('/runs/')) return { status: 401, code: 'UNAUTHORIZED' };
  if (!isHook && !isEvent) return { status: 404, code: 'NOT_FOUND' };
  if (c.method !== 'POST') return { status: 405, code: 'METHOD_NOT_ALLOWED' };
  // an event name that is not percent-encoded UTF-8, or that holds a NUL
  if (pathname === '/events/%E2%82' || pathname === '/events/a%00b') return { status: 400, code: 'BAD_PATH' };
  if (c.body.length > MAX_BODY) return { status: 413, code: 'BODY_TOO_LARGE' };
  if (c.signature === 'none') return { status: 401, code: 'SIGNATURE_MISSING' };
  if (c.signature === 'bad') return { status: 401, code: 'SIGNATURE_INVALID' };
  if (isEvent && c.body.length === 0) return 'accept-or-422';
  if (c.body.length > 0 && (!c.contentType || !/^application\/(.+\+)?json\b/i.test(c.contentType))) return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(c.body);
  } catch {
    return { status: 400, code: 'BODY_NOT_UTF8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 400, code: 'BAD_JSON' };
  }
  const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  if (isHook && !isObject) return { status: 422, code: 'INPUT_INVALID' };
  return 'accept-or-422';
}

/**
 * Bytes that are not a well-formed HTTP/1.1 request (or are one, by chance: then any 4xx is fine). The GETs ask for
 * `/nope`, not `/`: `/` is the console's page (200), and a header of obs-text bytes (0x80–0xff) is well-formed.
 */
const malformed: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    'GARBAGE\r\n\r\n',
    'POST /hook HTTP/9.9\r\n\r\n',
    'POST  HTTP/1.1\r\n\r\n',
    '\u0000\u0001\u0002\r\n\r\n',
    'GET /nope HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    'GET /nope HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
    'POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    'POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    'POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{"a":\r\nffffffffffffffffff\r\n',
  ).map((text) => Buffer.from(text, 'latin1')),
  // a request line or header carrying raw UTF-8, invalid UTF-8 or control bytes
  fc.tuple(fc.constantFrom(...INVALID_UTF8, [0xc3, 0xa9], [0x00], [0x7f], [0x0b]), fc.boolean()).map(([bytes, inLine]) =>
    inLine
      ? Buffer.concat([Buffer.from('GET /'), Buffer.from(bytes), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])
      : Buffer.concat([Buffer.from('GET /nope HTTP/1.1\r\nHost: x\r\nX-Name: '), Buffer.from(bytes), Buffer.from('\r\n\r\n')]),
  ),
  // headers over node:http's 16 KiB
  fc.integer({ min: 17_000, max: 40_000 }).map((n) => Buffer.from(`GET /nope HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(n)}\r\n\r\n`)),
);

describe('baton serve: an HTTP fuzz (chunked, slow, oversized, malformed, unicode, random bytes)', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess;
  let port: number;
  let exited: string | undefined;
  /** The run ids of every accepted start (202 answers). */
  const accepted = new Set<string>();

  const storedRunIds = async (): Promise<string[]> => {
    const res = await fetch(`http://127.0.0.1:${port}/runs?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { runs: { id: string }[] }).runs.map((r) => r.id).sort();
  };
  /** A good signed webhook is still accepted. */
  const goodRequest = async (): Promise<void> => {
    assert.equal(exited, undefined, `the server exited: ${exited}`);
    const body = Buffer.from(JSON.stringify({ name: 'still up' }));
    const res = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
    assert.equal(res.status, 202);
    accepted.add(((await res.json()) as { runId: string }).runId);
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-fuzz-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    child = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0', '--store', path.join(dir, 'runs.db'), '--max-body', String(MAX_BODY), '--request-timeout', '1s'], {
      env: { ...process.env, NO_COLOR: '1', BATON_WEBHOOK_SECRET: SECRET, BATON_API_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('exit', (code, signal) => (exited = `code ${code} signal ${signal}; stderr: ${stderr}`));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}${stderr}`)), 60_000);
      child.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const m = /baton serve · http:\/\/127\.0\.0\.1:(\d+) ·/.exec(stdout);
        if (m && stdout.includes('runs API:')) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
  });

  after(async () => {
    if (child && exited === undefined) {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a generated request and checks its one answer against {@link expected}; records accepted runs. */
  const checkCase = async (c: RequestCase): Promise<void> => {
    const { data, reset } = await exchange(port, [wire(c)], { end: false });
    assert.equal(reset, false, 'no connection reset');
    const answers = answersIn(data);
    assert.equal(answers.length, 1, `one answer: ${data.toString('latin1').slice(0, 300)}`);
    const [answer] = answers;
    const want = expected(c);
    if (want === 'accept-or-422') {
      if (answer.status === 422) return void refusal(answer);
      assert.equal(answer.status, 202, answer.body.toString('utf8'));
      const json = JSON.parse(answer.body.toString('utf8')) as { runId?: string; started?: string[] };
      for (const id of json.runId ? [json.runId] : (json.started ?? [])) accepted.add(id);
      return;
    }
    assert.deepEqual([answer.status, refusal(answer)], [want.status, want.code], answer.body.toString('utf8'));
  };

  it('kept counterexamples: what the fuzz (or issue 10) found, each checked like a generated request', async () => {
    const base: Omit<RequestCase, 'body' | 'intent'> = { method: 'POST', target: '/hook', contentType: 'application/json', signature: 'good', framing: 'length', cuts: [] };
    const kept: RequestCase[] = [
      // seed 1 against the server before this fuzz: an event name that is not percent-encoded UTF-8 → 500 INTERNAL
      { ...base, target: '/events/%E2%82', body: Buffer.from('{"name":""}'), intent: 'accept' },
      // issue 10 item 17: a signed chunked body over --max-body → a connection reset instead of 413
      { ...base, framing: 'chunked', cuts: [0.1, 0.3, 0.5, 0.7, 0.9], body: Buffer.from(JSON.stringify({ name: 'x'.repeat(3 * MAX_BODY) })), intent: 'accept' },
      // issue 10 item 18: invalid UTF-8 accepted and stored with U+FFFD
      { ...base, body: Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff]), Buffer.from('"}')]), intent: 'not-utf8' },
      { ...base, body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), intent: 'not-utf8' },
    ];
    for (const c of kept) await checkCase(c);
    await goodRequest();
  });

  const seed = Number(process.env.BATON_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

  for (const s of [seed, ...KEPT_SEEDS]) {
    it(`generated requests: each refusal is a 4xx with a JSON error, each acceptance a stored run, and nothing else is stored (seed ${s})`, async () => {
      console.log(`      serve fuzz seed ${s} (repeat with BATON_FUZZ_SEED=${s})`);
      const before = await storedRunIds();
      await fc.assert(
        fc.asyncProperty(requests, checkCase),
        { seed: s, numRuns: 150, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
      );
      await fc.assert(
        fc.asyncProperty(malformed, async (bytes) => {
          const { data } = await exchange(port, [bytes], { end: true });
          // a clean close, or answers that are each a JSON refusal (a chance well-formed request: its 4xx)
          for (const answer of answersIn(data)) refusal(answer);
        }),
        { seed: s, numRuns: 100, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
      );
      await goodRequest();
      const after = await storedRunIds();
      assert.deepEqual(after.filter((id) => !before.includes(id)), [...accepted].filter((id) => !before.includes(id)).sort(), 'the runs stored are the runs accepted');
    });
  }

  it('slow: headers trickled then stalled get 408 (JSON) or a clean close at the request timeout; the server stays up', async () => {
    const head = Buffer.from('POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: app');
    const parts = [...head].map((b) => Buffer.from([b]));
    const { data } = await exchange(port, parts.slice(0, 20), { end: false, gapMs: 5, limitMs: 15_000 });
    for (const answer of answersIn(data)) assert.deepEqual([answer.status, refusal(answer)], [408, 'REQUEST_TIMEOUT']);
    await goodRequest();
  });

  it('slow: a signed body trickled then stalled gets 408 (JSON) or a clean close; nothing is started', async () => {
    const runsBefore = await storedRunIds();
    const body = Buffer.from(JSON.stringify({ name: 'slow' }));
    const head = Buffer.from(`POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Baton-Signature: ${sign(body)}\r\nContent-Length: ${body.length}\r\n\r\n`);
    const parts = [head, ...[...body.subarray(0, 8)].map((b) => Buffer.from([b]))];
    const { data } = await exchange(port, parts, { end: false, gapMs: 20, limitMs: 15_000 });
    for (const answer of answersIn(data)) assert.deepEqual([answer.status, refusal(answer)], [408, 'REQUEST_TIMEOUT']);
    await goodRequest();
    const runsAfter = await storedRunIds();
    assert.deepEqual(runsAfter.filter((id) => !runsBefore.includes(id)), [...accepted].filter((id) => !runsBefore.includes(id)).sort());
  });

  it('slow: a request trickled byte by byte that completes within the timeout is accepted', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'trickled' }));
    const request = Buffer.from(`POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nX-Baton-Signature: ${sign(body)}\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`);
    // about 12 pieces, 20 ms apart: well inside the 1 s request timeout
    const size = Math.ceil(request.length / 12);
    const parts = Array.from({ length: Math.ceil(request.length / size) }, (_, i) => request.subarray(i * size, (i + 1) * size));
    const { data } = await exchange(port, parts, { end: false, gapMs: 20 });
    const [answer] = answersIn(data);
    assert.equal(answer.status, 202, answer?.body.toString());
    accepted.add((JSON.parse(answer.body.toString()) as { runId: string }).runId);
  });

  it('after the fuzz: a graceful stop (exit 0) and every stored run is one that was accepted, none stuck', async () => {
    await goodRequest();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0);
    const list = baton(['runs', 'list', '--store', path.join(dir, 'runs.db'), '--json', '--limit', '100000'], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    const runs = JSON.parse(list.stdout) as { id: string; status: string }[];
    assert.deepEqual(runs.map((r) => r.id).sort(), [...accepted].sort());
    // each finished, or was stopped by the graceful stop (interrupted or still queued: resumed at the next start)
    for (const r of runs) assert.ok(['succeeded', 'interrupted', 'queued'].includes(r.status), `${r.id} is ${r.status}`);
  });
});
