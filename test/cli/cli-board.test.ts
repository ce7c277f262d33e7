import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { batonAsync, batonLive, CLI, cliBundleText, ROOT, tempWorkspace, type LiveBaton } from './cli-helper.js';
import { databasePerTest } from '../cluster/test-services.js';

// `baton serve --queue … --board` through the built bin (out/cli.mjs loading out/board.mjs and the page's files from
// out/bull-board-ui/), on the real PostgreSQL and Redis of scripts/services.mjs, and the board's page in Chromium.

const FLOWS = `agent W { stub: "ok" }
flow Gate {
  trigger webhook "/gate"
  step first: W
  approval go { prompt: "go?" }
}
`;

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const SECRET = 'hook-secret';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface BoardQueues {
  queues: { name: string; counts: Record<string, number>; jobs: { name: string; data: { runId?: string; reason?: string } }[] }[];
}

describe('baton serve --board: the queue board (Bull Board) behind the API token', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let env: Record<string, string>;
  const children: LiveBaton[] = [];

  /** Starts `baton serve --queue --board` on a free port with `extra` environment; its URL and the child. */
  async function serve(extra: Record<string, string>, args: string[] = []): Promise<{ url: string; serve: LiveBaton }> {
    const child = batonLive(['serve', '.', '--port', '0', '--board', ...args], { cwd: ws.dir, env: { ...env, ...extra } });
    children.push(child);
    const banner = await child.waitForLine((l) => l.startsWith('baton serve'));
    assert.match(banner, /front door: runs go to queue redis:\/\/127\.0\.0\.1:\d+\/\d+/);
    return { url: /http:\/\/[\d.:]+/.exec(banner)![0], serve: child };
  }

  const database = databasePerTest('baton_board', { queue: true });
  beforeEach(() => {
    env = { BATON_STORE: database.storeUrl, BATON_QUEUE: database.queueUrl, BATON_WEBHOOK_SECRET: SECRET };
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'board.flow'), FLOWS);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    ws.cleanup();
  });

  it('answers 401 with a Basic challenge without or with wrong credentials, 200 with the token as Bearer or as a Basic password, and lists a webhook\'s job on baton-runs-default', async () => {
    const { url, serve: child } = await serve({ BATON_API_TOKEN: TOKEN });
    assert.equal(await child.waitForLine((l) => l.includes('queue board:')), `  queue board: ${url}/board/ (an API token: Bearer, or as the password the browser asks for; its tenant's queue)`);
    const page = `${url}/board/`;
    for (const [what, headers] of [
      ['no credentials', {}],
      ['a wrong Bearer token', { authorization: `Bearer ${TOKEN}x` }],
      ['a wrong Basic password', { authorization: basic('ops', 'nope') }],
      ['a Basic user name that is the token', { authorization: basic(TOKEN, '') }],
    ] as [string, Record<string, string>][]) {
      const refused = await fetch(page, { headers });
      assert.equal(refused.status, 401, what);
      assert.equal(refused.headers.get('www-authenticate'), 'Basic realm="baton board"', what);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
    for (const authorization of [basic('anyone', TOKEN), `Bearer ${TOKEN}`, basic('', TOKEN)]) {
      const answered = await fetch(page, { headers: { authorization } });
      assert.equal(answered.status, 200, authorization);
      const text = await answered.text();
      assert.match(text, /<title>Baton queues<\/title>/);
      assert.match(text, /<base href="\/board\/"/);
    }
    // the page's static files come from out/bull-board-ui/ (a stylesheet the page names)
    const html = await (await fetch(page, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const css = /href="(static\/css\/[^"]+\.css)"/.exec(html)![1];
    const style = await fetch(`${url}/board/${css}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(style.status, 200);
    assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await fetch(`${url}/board/${css}`)).status, 401, 'static files are behind the token too');

    // a webhook's run: the front door enqueues its activation, the board's API lists it (no worker takes it)
    const body = '{}';
    const started = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, body });
    assert.equal(started.status, 202, await started.clone().text());
    const { runId } = (await started.json()) as { runId: string };
    const api = await fetch(`${url}/board/api/queues?activeQueue=baton-runs-default&status=waiting&page=1`, { headers: { authorization: basic('ops', TOKEN) } });
    assert.equal(api.status, 200);
    const { queues } = (await api.json()) as BoardQueues;
    assert.deepEqual(queues.map((q) => q.name), ['baton-runs-default']);
    assert.equal(queues[0].counts.waiting, 1);
    assert.deepEqual(queues[0].jobs.map((j) => [j.name, j.data.runId, j.data.reason]), [['run', runId, 'start']]);
    assert.equal((await fetch(`${url}/board/api/queues`)).status, 401, 'the API is behind the token too');

    child.child.kill('SIGTERM');
    assert.equal(await child.exited, 0);
    assert.ok(!child.lines.join('\n').includes(TOKEN) && !child.stderr().includes(TOKEN), 'the token is never printed');
  });

  it('is refused (403) without BATON_API_TOKEN, and open with --insecure', async () => {
    const { url } = await serve({ BATON_API_TOKEN: '' });
    const refused = await fetch(`${url}/board/`, { headers: { authorization: basic('ops', 'anything') } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'BOARD_DISABLED');
    const open = await serve({ BATON_API_TOKEN: '' }, ['--insecure']);
    assert.equal((await fetch(`${open.url}/board/api/queues`)).status, 200);
  });

  it('with tenants (baton.config.json): a tenant\'s token shows its own queue only; --insecure shows every tenant\'s', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ tenants: { acme: { apiTokenEnv: 'ACME_TOKEN', webhookSecretEnv: 'ACME_SECRET' } } }));
    const acmeToken = `acme-${TOKEN}`;
    const { url } = await serve({ BATON_API_TOKEN: TOKEN, ACME_TOKEN: acmeToken, ACME_SECRET: 'acme-secret' });
    const queuesOf = async (authorization: string): Promise<string[]> => {
      const answer = await fetch(`${url}/board/api/queues`, { headers: { authorization } });
      assert.equal(answer.status, 200);
      return ((await answer.json()) as BoardQueues).queues.map((q) => q.name);
    };
    // acme's webhook run: its activation is on acme's queue, which only acme's token shows
    const body = '{}';
    const started = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', 'acme-secret').update(body).digest('hex')}` }, body });
    assert.equal(started.status, 202, await started.clone().text());
    assert.deepEqual(await queuesOf(basic('ops', acmeToken)), ['baton-runs-acme']);
    assert.deepEqual(await queuesOf(`Bearer ${TOKEN}`), ['baton-runs-default']);
    const other = await fetch(`${url}/board/api/queues?activeQueue=baton-runs-acme&status=waiting`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(((await other.json()) as BoardQueues).queues.map((q) => q.name), ['baton-runs-default'], 'another tenant\'s queue is not there to ask for');
    const acmeJob = await fetch(`${url}/board/api/queues?activeQueue=baton-runs-acme&status=waiting`, { headers: { authorization: `Bearer ${acmeToken}` } });
    assert.equal(((await acmeJob.json()) as BoardQueues).queues[0].jobs[0].data.runId, ((await started.json()) as { runId: string }).runId);
    const open = await serve({ BATON_API_TOKEN: '', ACME_TOKEN: acmeToken, ACME_SECRET: 'acme-secret' }, ['--insecure']);
    const all = await fetch(`${open.url}/board/api/queues`);
    assert.deepEqual(((await all.json()) as BoardQueues).queues.map((q) => q.name).sort(), ['baton-runs-acme', 'baton-runs-default']);
  });

  it('--board without --queue (or BATON_QUEUE) is one line and exit 2', async () => {
    const r = await batonAsync(['serve', '.', '--port', '0', '--board', '--insecure'], { cwd: ws.dir, env: { BATON_QUEUE: '' } });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), 'baton: --board shows the queues of a cluster: give --queue redis://host:6379 (or set BATON_QUEUE) too');
  });

  it('renders in Chromium with the token given at the browser\'s Basic prompt: the queue baton-runs-default with its job', async () => {
    const executable = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
    assert.ok(existsSync(executable), `Chromium is not installed (${executable}): run npm run deps:system`);
    const { url } = await serve({ BATON_API_TOKEN: TOKEN });
    const body = '{}';
    const started = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, body });
    assert.equal(started.status, 202);
    const { runId } = (await started.json()) as { runId: string };
    const browser = await chromium.launch({
      executablePath: executable,
      headless: true,
      // the page asks for web fonts from the internet: no host but this machine resolves here
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    });
    try {
      // a wrong password given at the prompt is refused
      const wrong = await browser.newContext({ httpCredentials: { username: 'ops', password: `${TOKEN}x` } });
      assert.equal((await (await wrong.newPage()).goto(`${url}/board/`))?.status(), 401);
      await wrong.close();

      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TOKEN }, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const answer = await page.goto(`${url}/board/`);
      assert.equal(answer?.status(), 200);
      await page.getByText('baton-runs-default').first().waitFor({ timeout: 30_000 });
      assert.equal(await page.title(), 'Baton queues');
      const shots = path.join(ROOT, 'out', 'test-screenshots');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'board.png') });
      // the queue's page: its waiting job carries the run's id
      await page.getByText('baton-runs-default').first().click();
      await page.getByText('Waiting').first().click();
      await page.getByText(runId).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(shots, 'board-queue.png') });
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await browser.close();
    }
  });
});

describe('the queue board\'s bundle', () => {
  it('is out/board.mjs with the UI\'s files in out/bull-board-ui/; out/cli.mjs and out/serve-executor.mjs carry none of it', () => {
    // markers: Bull Board's BullMQ adapter and the board module's own error code
    const markers = ['non-BullMQ queue', 'BOARD_UI_MISSING'];
    for (const name of ['cli.mjs', 'serve-executor.mjs', 'cluster.mjs']) {
      const text = name === 'cli.mjs' ? cliBundleText() : readFileSync(path.join(path.dirname(CLI), name), 'utf8');
      assert.deepEqual(markers.filter((m) => text.includes(m)), [], `Bull Board is bundled into ${name}`);
    }
    for (const chunk of readdirSync(path.join(ROOT, 'out', 'chunks')).filter((f) => f.endsWith('.mjs'))) {
      assert.deepEqual(markers.filter((m) => readFileSync(path.join(ROOT, 'out', 'chunks', chunk), 'utf8').includes(m)), [], `Bull Board is in the shared chunk ${chunk}`);
    }
    assert.deepEqual(markers.filter((m) => readFileSync(path.join(ROOT, 'out', 'board.mjs'), 'utf8').includes(m)), markers);
    assert.ok(existsSync(path.join(ROOT, 'out', 'bull-board-ui', 'dist', 'index.ejs')));
  });
});
