// The console's runs list in a browser on a store of 100,000 runs (issue 13; goal: the runs list opens in ≤ 300 ms).
// The store (bench/cases/list-store.ts: ten flows in tenant "acme", built once and cached in the temp folder keyed by
// the schema version, copied for each session) is served by a real `startServer` (as test/console/console-harness.ts
// starts it: users from a config, sessions by cookie, the built console in out/console); Debian's Chromium
// (playwright-core) signs in through the page's form as an operator, then opens `#/runs` several times, each in a
// fresh browser context carrying the session cookie (cold: nothing cached) and that tab reloaded (warm), and reads
// the page's `baton:runs-painted` mark (a page of rows, or the empty message, in the DOM and painted) from the
// navigation's start. Four shapes: the first page, a deep "Older" page (`before` = the run at 10 % of the ids), flow +
// status, a text in the inputs that matches nothing (the whole bounded scan). Per shape: p50 and max of the cold opens
// and of the warm ones, the GET /runs request's parts from the page's resource timing (server: requestStart →
// responseStart; transfer: responseStart → responseEnd; render: responseEnd → the mark) and the load average.
// Usage: node --import tsx bench/cases/console-list-page.ts [runs=100000] [opens=7]. Prints one JSON line per shape.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SqliteRunStore, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { cachedStore, TENANT } from './list-store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const n = Number(process.argv[2] ?? 100_000);
const opens = Number(process.argv[3] ?? 7);
const consoleDir = path.join(root, 'out', 'console');
if (!existsSync(path.join(consoleDir, 'manifest.json'))) throw new Error('out/console is missing: npm run build');
const executablePath = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
const MARK = 'baton:runs-painted';
const quiet = { out: () => undefined, err: () => undefined, colors: {}, errColors: false } as unknown as Output;

/** One open's figures, ms from the navigation's start. */
interface Open { paintedMs: number; rows: number; serverMs: number; transferMs: number; renderMs: number; bytes: number }

/** Waits for the page's first `baton:runs-painted` mark and the GET /runs request's resource timing. */
async function measure(page: Page): Promise<Open> {
  await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, MARK, { timeout: 60_000 });
  return page.evaluate((mark) => {
    const painted = performance.getEntriesByName(mark)[0] as PerformanceMark;
    const runs = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((r) => new URL(r.name).pathname === '/runs');
    if (!runs) throw new Error('no GET /runs in the resource timing');
    return {
      paintedMs: painted.startTime,
      rows: (painted.detail as { rows: number }).rows,
      serverMs: runs.responseStart - runs.requestStart,
      transferMs: runs.responseEnd - runs.responseStart,
      renderMs: painted.startTime - runs.responseEnd,
      bytes: runs.encodedBodySize,
    };
  }, MARK);
}

/** The page's requests and marks, ms from the navigation's start (`BATON_BENCH_WATERFALL=1` prints one per shape to stderr). */
function waterfall(page: Page): Promise<string> {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const rows = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => `${r.startTime.toFixed(0).padStart(5)} → ${r.responseEnd.toFixed(0).padStart(5)}  ${new URL(r.name).pathname}${new URL(r.name).search}`);
    const marks = performance.getEntriesByType('mark').map((m) => `${m.startTime.toFixed(0).padStart(5)}  mark ${m.name}`);
    return [`    0 → ${nav.responseEnd.toFixed(0).padStart(5)}  document (DOMContentLoaded ${nav.domContentLoadedEventEnd.toFixed(0)})`, ...rows, ...marks].join('\n');
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-list-page-'));
let store: RunStoreApi | undefined;
let server: BatonServer | undefined;
let browser: Browser | undefined;
try {
  const cached = cachedStore(n);
  copyFileSync(cached.file, path.join(dir, 'runs.db'));
  writeFileSync(path.join(dir, 'flows.flow'), 'agent Clerk { stub: { text: "ok" }, output: { text: string } }\nflow Flow0 {\n  trigger webhook "/flow0"\n  input note: string\n  step s1: Clerk { prompt: "ok" }\n}\n');
  store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
  const users: User[] = [{ name: 'olga', tenant: TENANT, roles: ['operator'], groups: [], tokenEnv: 'OLGA_TOKEN', token: 'olga-token' }];
  server = await startServer(await planFor(dir, 'UTC', quiet), {
    store, host: '127.0.0.1', port: 0, users, insecure: false, maxBodyBytes: 1 << 20, schedules: false, timerPollMs: 0,
    consoleDir, sessions: { secret: Buffer.from('a-console-bench-secret-of-32-bytes!') }, log: () => undefined,
  });
  const url = server.url;
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
  // sign in once through the form; every open reuses the session cookie (a fresh context: no HTTP or code cache)
  const signIn = await browser.newContext();
  const first = await signIn.newPage();
  await first.goto(`${url}/#/runs`);
  await first.locator('#token input').fill('olga-token');
  await first.locator('#sign-in').click();
  await first.locator('.topbar .who .user', { hasText: 'olga' }).waitFor();
  const storageState = await signIn.storageState();
  await signIn.close();

  const deep = cached.ids[Math.floor(cached.ids.length * 0.1)];
  const shapes: [string, string, number][] = [
    ['first-page', '', 50],
    ['older-deep', `?before=${deep}`, 50],
    ['flow+status', '?flow=Flow3&status=failed', 50],
    ['text-no-match', `?q=${encodeURIComponent('no such customer anywhere')}`, 0],
  ];
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1];
  const round = (x: number) => Number(x.toFixed(1));
  for (const [shape, query, expectedRows] of shapes) {
    const cold: Open[] = [];
    const warm: Open[] = [];
    const loadBefore = loadavg()[0];
    for (let i = 0; i < opens; i++) {
      const context = await browser.newContext({ storageState, viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}/#/runs${query}`);
      cold.push(await measure(page));
      if (process.env.BATON_BENCH_WATERFALL && i === 0) console.error(shape, await waterfall(page));
      await page.reload();
      warm.push(await measure(page));
      await context.close();
    }
    const rows = new Set([...cold, ...warm].map((o) => o.rows));
    if (rows.size !== 1 || !rows.has(expectedRows)) throw new Error(`${shape}: ${[...rows].join(', ')} rows painted, expected ${expectedRows}`);
    const of = (xs: Open[], k: keyof Open) => xs.map((o) => o[k]);
    console.log(JSON.stringify({
      system: 'baton-console', shape, n: cached.ids.length, opens, rows: expectedRows,
      totalMs: round(pct(of(cold, 'paintedMs'), 0.5)), maxMs: round(Math.max(...of(cold, 'paintedMs'))), perStepUs: 0,
      warmP50Ms: round(pct(of(warm, 'paintedMs'), 0.5)), warmMaxMs: round(Math.max(...of(warm, 'paintedMs'))),
      serverP50Ms: round(pct(of(cold, 'serverMs'), 0.5)), transferP50Ms: round(pct(of(cold, 'transferMs'), 0.5)), renderP50Ms: round(pct(of(cold, 'renderMs'), 0.5)),
      warmServerP50Ms: round(pct(of(warm, 'serverMs'), 0.5)), warmRenderP50Ms: round(pct(of(warm, 'renderMs'), 0.5)),
      answerBytes: cold[0].bytes, paintedMs: of(cold, 'paintedMs').map(Math.round), warmPaintedMs: of(warm, 'paintedMs').map(Math.round),
      loadAverage: `${loadBefore.toFixed(1)}–${loadavg()[0].toFixed(1)}`, ...(cached.builtS !== undefined ? { storeBuiltS: cached.builtS } : {}),
    }));
  }
} finally {
  await browser?.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
}
