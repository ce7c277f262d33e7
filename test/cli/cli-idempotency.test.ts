import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { batonAsync, CLI, tempWorkspace } from './cli-helper.js';

const FLOW = `
agent Crm {
  model: "http/crm"
  output: { tier: string }
}
flow Lookup {
  step first: Crm { prompt: "first" }
  step held: Crm { prompt: "held" retry: 1 backoff 1ms }
}
`;

/** One request the agent endpoint received: the step's prompt and the Idempotency-Key header. */
interface Seen {
  prompt: string;
  key: string | undefined;
}

describe('baton run/resume: an http/ agent gets the same Idempotency-Key after a crash, a new one for a retry', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let server: http.Server;
  let url: string;
  const seen: Seen[] = [];
  /** Decides each request: answer it (status, body) or hold it (undefined: the connection stays open). */
  let decide: (seen: Seen, n: number) => { status: number; body: unknown } | undefined = () => undefined;
  let onRequest: (seen: Seen) => void = () => undefined;

  before(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const request: Seen = { prompt: (JSON.parse(text) as { prompt: string }).prompt, key: req.headers['idempotency-key'] as string | undefined };
        seen.push(request);
        onRequest(request);
        const answer = decide(request, seen.filter((s) => s.prompt === request.prompt).length);
        if (!answer) return; // held: the caller is killed while it waits
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'lookup.flow'), FLOW);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ endpoints: { crm: { url } } }));
    seen.length = 0;
  });
  afterEach(() => ws.cleanup());

  it('SIGKILL while the endpoint holds the step\'s request: the resumed run sends that step the same key; its retry a new one', async () => {
    // 1. the run: `first` answers, `held` is held until the process is killed
    decide = (request) => (request.prompt === 'first' ? { status: 200, body: { output: { tier: 'GOLD' } } } : undefined);
    const child = spawn(process.execPath, [CLI, 'run', 'lookup.flow', '--agents', 'real'], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', BATON_STORE: '' }, stdio: 'ignore' });
    onRequest = (request) => {
      if (request.prompt === 'held') child.kill('SIGKILL');
    };
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    assert.equal(exit, 'SIGKILL', 'killed while the request was held');
    const store = SqliteRunStore.open(path.join(ws.dir, '.baton', 'runs.db'));
    const [run] = await store.listRuns();
    await store.close();
    assert.equal(run.status, 'running', 'left running by the crash');
    assert.deepEqual(seen, [
      { prompt: 'first', key: `${run.id}/first/0` },
      { prompt: 'held', key: `${run.id}/held/1` },
    ]);

    // 2. the resume: `held` fails once (503, retried) and then answers
    onRequest = () => undefined;
    decide = (_request, n) => (n === 2 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: { output: { tier: 'SILVER' } } });
    const resumed = await batonAsync(['resume', run.id, '--agents', 'real'], { cwd: ws.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /succeeded/);
    assert.deepEqual(
      seen.slice(2),
      [
        { prompt: 'held', key: `${run.id}/held/1` },
        { prompt: 'held', key: `${run.id}/held/2` },
      ],
      'the finished step is not called again; the step in flight gets its key again; its retry a new one',
    );
  });
});
