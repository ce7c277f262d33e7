import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { startServer, type BatonServer, type ServeOptions } from '../../packages/cli/src/serve/server.js';
import type { ServePlan } from '../../packages/cli/src/serve/server.js';

const EMPTY_PLAN = { webhooks: new Map(), schedules: [], events: new Map() } as unknown as ServePlan;

describe('baton serve: the console shell and its files (GET /, GET /console/<file>)', function () {
  this.timeout(20_000);
  let dir: string;
  let built: string;
  let store: RunStoreApi;
  let server: BatonServer | undefined;

  const boot = async (extra: Partial<ServeOptions> = {}) => {
    server = await startServer(EMPTY_PLAN, { store, host: '127.0.0.1', port: 0, apiToken: 't0ken', insecure: false, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, consoleDir: built, log: () => undefined, ...extra });
    return server;
  };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-console-route-'));
    built = path.join(dir, 'console');
    mkdirSync(built);
    writeFileSync(path.join(built, 'manifest.json'), JSON.stringify({ entry: 'app-AAAA.js', css: 'app-BBBB.css', files: ['app-AAAA.js', 'app-BBBB.css', 'runs-CCCC.js'] }));
    writeFileSync(path.join(built, 'app-AAAA.js'), 'export const app = 1;');
    writeFileSync(path.join(built, 'app-BBBB.css'), 'body{color:red}');
    writeFileSync(path.join(built, 'runs-CCCC.js'), 'export {};');
    writeFileSync(path.join(built, 'secret.txt'), 'not listed');
    writeFileSync(path.join(dir, 'outside.js'), 'not the console');
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET / answers the shell with a fresh 128-bit nonce per response, the strict CSP and the safety headers, and no data', async () => {
    await boot();
    const first = await fetch(`${server!.url}/`);
    const second = await fetch(`${server!.url}/`);
    assert.equal(first.status, 200);
    const html = await first.text();
    const nonceOf = (csp: string | null) => /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? '')?.[1];
    const nonce = nonceOf(first.headers.get('content-security-policy'));
    assert.ok(nonce && Buffer.from(nonce, 'base64').length === 16, `a 128-bit nonce: ${nonce}`);
    assert.notEqual(nonceOf(second.headers.get('content-security-policy')), nonce, 'each response has its own nonce');
    assert.equal(
      first.headers.get('content-security-policy'),
      `default-src 'none'; script-src 'nonce-${nonce}' 'strict-dynamic'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(first.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.match(first.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(html.includes(`<script type="module" nonce="${nonce}" src="/console/app-AAAA.js"></script>`), html);
    assert.ok(html.includes('<link rel="stylesheet" href="/console/app-BBBB.css">'));
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline one');
    assert.ok(!html.includes('insecure-bar'), 'no red bar on a secure server');
    assert.ok(html.includes('data-insecure="false"'));
  });

  it('GET /console/<file> answers only the manifest\'s files, immutable; anything else is 404, never a file beside them', async () => {
    await boot();
    const js = await fetch(`${server!.url}/console/app-AAAA.js`);
    assert.equal(js.status, 200);
    assert.equal(await js.text(), 'export const app = 1;');
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    assert.match((await fetch(`${server!.url}/console/app-BBBB.css`)).headers.get('content-type') ?? '', /^text\/css/);
    for (const probe of ['/console/secret.txt', '/console/manifest.json', '/console/..%2Foutside.js', '/console/%2E%2E/outside.js', '/console/', '/console/app-AAAA.js/']) {
      const res = await fetch(`${server!.url}${probe}`);
      assert.equal(res.status, 404, probe);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND', probe);
    }
    const post = await fetch(`${server!.url}/`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('without the build, GET / is 404 CONSOLE_NOT_BUILT saying how to build it; the API still answers', async () => {
    await boot({ consoleDir: path.join(dir, 'nothing-here') });
    const res = await fetch(`${server!.url}/`);
    assert.equal(res.status, 404);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'CONSOLE_NOT_BUILT');
    assert.match(error.message, /npm run build/);
    assert.equal((await fetch(`${server!.url}/console/app-AAAA.js`)).status, 404);
    assert.equal((await fetch(`${server!.url}/health`)).status, 200);
  });

  it('the shell preloads the manifest\'s preload modules with its nonce (files the manifest does not list are left out)', async () => {
    writeFileSync(path.join(built, 'manifest.json'), JSON.stringify({ entry: 'app-AAAA.js', css: 'app-BBBB.css', preload: ['runs-CCCC.js', 'gone-EEEE.js'], files: ['app-AAAA.js', 'app-BBBB.css', 'runs-CCCC.js'] }));
    await boot();
    const answer = await fetch(`${server!.url}/`);
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(answer.headers.get('content-security-policy') ?? '')?.[1];
    const html = await answer.text();
    assert.deepEqual(html.match(/<link rel="modulepreload"[^>]*>/g), [`<link rel="modulepreload" nonce="${nonce}" href="/console/runs-CCCC.js">`]);
    assert.ok(html.indexOf('modulepreload') < html.indexOf('<script'), 'the preloads come before the entry script');
  });

  it('--insecure: the shell carries the red "everyone is admin" bar and tells the page there is no sign-in', async () => {
    await boot({ insecure: true });
    const html = await (await fetch(`${server!.url}/`)).text();
    assert.match(html, /<div class="insecure-bar" role="alert">insecure: everyone is admin/);
    assert.ok(html.includes('data-insecure="true"'));
  });

  it('a rebuild is served at once: the manifest is read per request', async () => {
    await boot();
    writeFileSync(path.join(built, 'app-DDDD.js'), 'export {};');
    writeFileSync(path.join(built, 'manifest.json'), JSON.stringify({ entry: 'app-DDDD.js', files: ['app-DDDD.js'] }));
    const html = await (await fetch(`${server!.url}/`)).text();
    assert.ok(html.includes('src="/console/app-DDDD.js"'));
    assert.ok(!html.includes('stylesheet'));
    assert.equal((await fetch(`${server!.url}/console/app-AAAA.js`)).status, 404, 'the old build is no longer served');
  });
});
