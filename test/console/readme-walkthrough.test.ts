/**
 * The README's "Console in 5 minutes", done as a person would: its shell commands run as written (the `export` line's
 * variables, then `npx baton serve examples/console` as the built CLI, in a folder holding a copy of examples/console;
 * `npm ci` is what built this tree, so it is not run again; `--port 0` is added so that tests never collide on 8787),
 * then its numbered steps in Chromium — sign in with the token it names, start Purchase from its form, approve it from
 * the inbox, and find the graph, timeline, step, tokens and trace id on the run's page.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { ROOT } from './console-harness.js';

const CLI = path.join(ROOT, 'out', 'cli.mjs');

/** The README's section "Console in 5 minutes": its text and its first ```sh block's lines. */
function walkthrough(): { text: string; commands: string[] } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Console in 5 minutes\n');
  assert.ok(start >= 0, 'the README has the section');
  const text = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const block = /```sh\n([\s\S]*?)```/.exec(text);
  assert.ok(block, 'the section has its commands');
  return { text, commands: block[1].split('\n').map((l) => l.trim()).filter(Boolean) };
}

describe('README: Console in 5 minutes, in a real browser', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-readme-'))));
  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve, sign in, start Purchase from its form, approve it from the inbox, read its graph, timeline, step and trace', async () => {
    const { text, commands } = walkthrough();
    assert.deepEqual(commands.map((c) => c.split(' ')[0]), ['npm', 'export', 'npx'], 'npm ci, the variables, the server');
    assert.equal(commands[0], 'npm ci');
    const env: Record<string, string> = {};
    for (const pair of commands[1].replace(/^export /, '').split(/\s+/)) {
      const [name, value] = pair.split('=');
      env[name] = value;
    }
    const serve = commands[2].split(/\s+/);
    assert.deepEqual(serve.slice(0, 3), ['npx', 'baton', 'serve']);
    cpSync(path.join(ROOT, 'examples', 'console'), path.join(dir, 'examples', 'console'), { recursive: true });

    child = spawn(process.execPath, [CLI, ...serve.slice(2), '--port', '0'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}${stderr}`)), 60_000);
      child!.on('exit', (code) => reject(new Error(`baton serve exited ${code}: ${stderr}`)));
      child!.stdout!.on('data', () => {
        const m = /baton serve · (http:\/\/[^ ]+) ·/.exec(stdout);
        if (m && stdout.includes('  metrics:')) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    assert.match(stdout, /users: ann \(operator, approver\)/, 'the user of examples/console/baton.config.json');
    assert.match(text, /http:\/\/127\.0\.0\.1:8787/, "the README names serve's default port");

    browser = await chromium.launch({
      executablePath: process.env.BATON_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    // 1. Sign in with the token the README gives (the value of ANN_TOKEN)
    const token = /give the token `([^`]+)`/.exec(text)?.[1];
    assert.equal(token, env.ANN_TOKEN);
    await page.goto(`${url}/`);
    await page.locator('#token input').fill(token!);
    await page.locator('#sign-in').click();
    await page.locator('.topbar .who .user', { hasText: 'ann' }).waitFor();
    await page.locator('baton-runs-page h1', { hasText: 'Runs' }).waitFor();

    // 2. Start → Purchase: laptop, 1200, Start run → the run's page, waiting at the approval manager
    await page.locator('.topbar nav a', { hasText: 'Start' }).click();
    await page.locator('baton-start-page a', { hasText: 'Purchase' }).click();
    await page.locator('vscode-textfield[data-input="item"] input').fill('laptop');
    await page.locator('vscode-textfield[data-input="amount"] input').fill('1200');
    await page.locator('#start').click();
    await page.waitForURL(/#\/runs\/[0-9A-Z]{26}$/);
    const runId = /#\/runs\/([0-9A-Z]{26})$/.exec(page.url())![1];
    await page.locator('.rp-header .status[data-status="waiting"]').waitFor();
    await page.locator('.rp-graph g.node[data-id="Purchase/manager"].run-waiting').waitFor();

    // 3. Inbox: a comment, Approve
    await page.locator('.topbar nav a', { hasText: 'Inbox' }).click();
    const row = page.locator(`tr[data-run="${runId}"][data-task="manager"]`);
    await row.waitFor();
    await row.locator('vscode-textfield.comment input').fill('within budget, go ahead');
    await row.locator('vscode-button.approve').click();
    await page.locator('.decided-notice', { hasText: 'approved by ann' }).waitFor();

    // 4. The run: green down to order; timeline, step, tokens, trace id
    await page.goto(`${url}/#/runs/${runId}`);
    await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
    await page.locator('.rp-graph g.node[data-id="Purchase/order"].run-succeeded').waitFor();
    await page.locator('.rp-tab[data-tab="timeline"]').click();
    await page.locator('.tl-bar[data-key="order"]').waitFor();
    await page.locator('.rp-graph g.node[data-id="Purchase/check"]').click();
    await page.locator('.rp-step .step-detail[data-step="check"]').waitFor();
    await page.locator('.rp-tokens').waitFor();
    await page.locator('.rp-trace').waitFor();
    assert.match(await page.locator('.rp-trace').innerText(), /^[0-9a-f]{32}$/);
    assert.deepEqual(errors, []);

    child.kill('SIGTERM');
    assert.equal(await new Promise<number | null>((resolve) => child!.on('close', resolve)), 0);
    // the decision is stored as ann's, with the comment
    const store = SqliteRunStore.open(path.join(dir, '.baton', 'runs.db'));
    try {
      const decided = (await store.getEvents(runId)).find((e) => e.type === 'approval.decided');
      assert.deepEqual(decided && [decided.type === 'approval.decided' && decided.by, decided.type === 'approval.decided' && decided.comment, decided.type === 'approval.decided' && decided.decision], ['ann', 'within budget, go ahead', 'approved']);
    } finally {
      await store.close();
    }
  });
});
