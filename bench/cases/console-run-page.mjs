// The console's run page on a large run: `baton serve --insecure` (the bundled CLI, SQLite) serves a generated flow
// of N steps (bench/generate-flow.mjs, a webhook trigger added, stub agents); one run of it is executed, then Debian's
// Chromium (playwright-core) opens `#/runs/<id>` in a fresh context, several times, and reads the page's performance
// marks: `baton:run-timeline-painted` (events fetched and folded, the Gantt drawn) and `baton:run-graph-painted`
// (definition fetched with the server's layout — or laid out with elkjs in the page when the server sent none — and
// drawn), each measured from the navigation's start — cold (a fresh browser context: no cache, no IndexedDB) and warm
// (that tab reloaded: the browser's caches). The server is restarted on the store before the first load, which opens
// the page at once: the first request after a start (the server's background pass not done); the other loads come
// after it. Prints JSON lines. Usage: node bench/cases/console-run-page.mjs [steps=1000] [loads=5]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { generateFlow } from '../generate-flow.mjs';
import { root, startServe, stopBin } from './bin-process.mjs';

const steps = Number(process.argv[2] ?? 1000);
const loads = Number(process.argv[3] ?? 5);
if (!existsSync(path.join(root, 'out', 'console', 'manifest.json'))) throw new Error('out/console is missing: npm run build');
const executablePath = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-run-page-'));
writeFileSync(path.join(dir, 'generated.flow'), generateFlow(steps).replace('flow Generated {', 'flow Generated {\n  trigger webhook "/generated"'));
const serve = () => startServe({ args: ['serve', dir, '--insecure', '--port', '0', '--store', path.join(dir, 'runs.db')], timeoutMs: 120_000, stderr: 'inherit' });
let { child, url } = await serve();

let browser;
try {
  const started = await fetch(`${url}/generated`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (started.status !== 202) throw new Error(`the webhook answered ${started.status}: ${await started.text()}`);
  const { runId } = await started.json();
  // the run executes on the server's executor thread: wait until it ended (a bench may poll)
  let run;
  for (;;) {
    run = (await (await fetch(`${url}/runs/${runId}`)).json()).run;
    if (run.status !== 'running' && run.status !== 'queued') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (run.status !== 'succeeded') throw new Error(`the run ${run.status}`);
  const events = (await (await fetch(`${url}/runs/${runId}`)).json()).events.length;
  // a fresh server on that store: the first load is the first request after its start
  await stopBin(child);
  ({ child, url } = await serve());

  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
  const measure = async (page) => {
    await page.waitForFunction(() => performance.getEntriesByName('baton:run-timeline-painted').length > 0 && (performance.getEntriesByName('baton:run-graph-painted').length > 0 || document.querySelector('.rp-graph-message') !== null), undefined, { timeout: 120_000 });
    const m = await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0];
      const graph = at('baton:run-graph-painted');
      return { timelineMs: at('baton:run-timeline-painted').startTime, graphMs: graph?.startTime, nodes: graph?.detail?.nodes, layoutMs: graph?.detail?.layoutMs, layoutFrom: graph?.detail?.layoutFrom, message: document.querySelector('.rp-graph-message')?.textContent ?? undefined };
    });
    return m;
  };
  // cold: a fresh context each time (nothing cached: the bundles fetched and compiled, elkjs' code not yet optimized);
  // warm: the same tab reloaded (the browser's HTTP and code caches, as for someone who opens runs all day)
  const samples = [];
  const warmSamples = [];
  for (let i = 0; i <= loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/#/runs/${runId}`);
    samples.push(await measure(page));
    await page.reload();
    warmSamples.push(await measure(page));
    await context.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // the first load came right after the server's start; the others after its layouts were made
  const [first] = samples.splice(0, 1);
  warmSamples.shift();
  const timeline = samples.map((s) => s.timelineMs);
  const graphs = samples.map((s) => s.graphMs).filter((x) => x !== undefined);
  const painted = samples.map((s) => Math.max(s.timelineMs, s.graphMs ?? 0));
  const warm = warmSamples.map((s) => Math.max(s.timelineMs, s.graphMs ?? 0));
  const row = {
    system: 'baton-console',
    shape: 'run-page',
    n: steps,
    events,
    loads,
    totalMs: median(painted),
    maxMs: Math.max(...painted),
    firstAfterStartMs: Math.round(Math.max(first.timelineMs, first.graphMs ?? 0)),
    firstAfterStartLayoutFrom: first.layoutFrom ?? null,
    layoutFrom: [...new Set(samples.map((s) => s.layoutFrom ?? 'none'))].join(','),
    perStepUs: (median(painted) * 1000) / steps,
    timelineMedianMs: median(timeline),
    graphMedianMs: graphs.length ? median(graphs) : null,
    layoutMedianMs: graphs.length ? median(samples.map((s) => s.layoutMs).filter((x) => x !== undefined)) : null,
    nodesDrawn: samples[0].nodes ?? 0,
    graphMessage: samples[0].message,
    paintedMs: painted.map((x) => Math.round(x)),
    warmMedianMs: median(warm),
    warmMaxMs: Math.max(...warm),
    warmLayoutMedianMs: graphs.length ? median(warmSamples.map((s) => s.layoutMs).filter((x) => x !== undefined)) : null,
    warmPaintedMs: warm.map((x) => Math.round(x)),
    loadAverage: (await import('node:os')).loadavg()[0].toFixed(1),
  };
  console.log(JSON.stringify(row));
} finally {
  await browser?.close();
  await stopBin(child);
  rmSync(dir, { recursive: true, force: true });
}
