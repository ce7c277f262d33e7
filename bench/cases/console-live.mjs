// The console's live updates (issue 13, goal ≤ 100 ms): a 1,000-step chain of stub steps streamed to an SSE client
// (`GET /stream?run=<id>`, as the console's run page opens it) — for each `step.finished`, the time it was received
// minus its `event.time` (stamped by the engine before its commit): p50, p99, max.
// Cases (argv[2]):
//   sqlite        `baton serve` (the built bin) on a SQLite store: the run executes on its executor thread and its
//                 events reach the stream through the executor's relay (BroadcastChannel).
//   pg-queue      `baton serve --queue` front door + one `baton worker` on PostgreSQL and Redis: the events reach the
//                 stream through the store's watch (LISTEN/NOTIFY → eventsSince). Run under scripts/services.mjs.
//   sqlite-cli    `baton serve` on a SQLite store, the run continued by another process (`baton approve` in a
//                 terminal): the store's watch polls the file (250 ms) — reported, no goal (docs/console.md).
// The run first waits at an approval, so the stream is open before its steps start. Prints one JSON line.
// Usage: node bench/cases/console-live.mjs <sqlite|pg-queue|sqlite-cli> [steps]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, startBin, stopBin } from './bin-process.mjs';

const mode = process.argv[2] ?? 'sqlite';
const steps = Number(process.argv[3] ?? 1000);
if (!['sqlite', 'pg-queue', 'sqlite-cli'].includes(mode)) {
  console.error('usage: node bench/cases/console-live.mjs <sqlite|pg-queue|sqlite-cli> [steps]');
  process.exit(2);
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-live-'));
const chain = Array.from({ length: steps }, (_, i) => `  step s${i}: A { prompt: "step ${i}" }`).join('\n');
writeFileSync(path.join(dir, 'chain.flow'), `agent A { stub: "ok" }\nflow Chain {\n  trigger webhook "/chain"\n  approval go { prompt: "go?" }\n${chain}\n}\n`);

const env = { ...process.env, NO_COLOR: '1' };
let database;
let admin;
if (mode === 'pg-queue') {
  const pgUrl = process.env.BATON_TEST_PG_URL;
  const redisUrl = process.env.BATON_TEST_REDIS_URL;
  if (!pgUrl || !redisUrl) {
    console.error('bench console-live pg-queue: run it under scripts/services.mjs (BATON_TEST_PG_URL, BATON_TEST_REDIS_URL)');
    process.exit(2);
  }
  const { default: pg } = await import('pg');
  admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  database = `baton_bench_live_${process.pid}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const store = new URL(pgUrl);
  store.pathname = `/${database}`;
  env.BATON_STORE = store.toString();
  env.BATON_QUEUE = redisUrl;
} else {
  env.BATON_STORE = path.join(dir, 'runs.db');
}

const children = new Set();
/** Starts the bin with `args`; resolves with the child and the first stdout line starting with `banner`. */
const start = (args, banner) => startBin({ args, banner, cwd: dir, env, children });
/** Runs the bin to its end; rejects on a non-zero exit. */
function run(args) {
  return new Promise((resolve, reject) => {
    // its progress lines are not read: stdout ignored (a full pipe would stop it)
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`baton ${args.join(' ')} exited with ${code}: ${err}`))));
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

try {
  const serve = await start(['serve', '.', '--insecure', '--port', '0', ...(mode === 'pg-queue' ? ['--queue', env.BATON_QUEUE] : [])], 'baton serve');
  const url = /http:\/\/[\d.:]+/.exec(serve.line)[0];
  if (mode === 'pg-queue') await start(['worker', '--queue', env.BATON_QUEUE], 'baton worker');
  const started = await fetch(`${url}/chain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const { runId } = await started.json();
  // wait until the run waits at its approval
  for (;;) {
    const { run } = await (await fetch(`${url}/runs/${runId}?events=0`)).json();
    if (run.status === 'waiting') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const abort = new AbortController();
  const res = await fetch(`${url}/stream?run=${runId}`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  const latencies = [];
  let ended = false;
  let buffer = '';
  const decoder = new TextDecoder();
  let caughtUp;
  const waited = new Promise((resolve) => (caughtUp = resolve));
  const reading = (async () => {
    for await (const chunk of res.body) {
      const receivedAt = performance.timeOrigin + performance.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!message.startsWith('event: events\n')) continue;
        const data = JSON.parse(message.slice(message.indexOf('\ndata: ') + 7));
        for (const event of data.events) {
          if (event.type === 'step.finished') latencies.push(receivedAt - Date.parse(event.time));
          if (event.type === 'run.waiting') caughtUp();
          if (event.type === 'run.succeeded' || event.type === 'run.failed') ended = true;
        }
      }
      if (ended) break;
    }
  })();
  // the stream has sent what was stored (up to the wait) before the steps start
  await waited;
  const t0 = performance.now();
  if (mode === 'sqlite-cli') {
    // another process continues the run on the same file; the server only watches it
    await run(['approve', runId, 'go', '--store', env.BATON_STORE]);
  } else {
    const approved = await fetch(`${url}/runs/${runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'go' }) });
    if (approved.status !== 202) throw new Error(`approve: ${approved.status} ${await approved.text()}`);
  }
  await reading;
  const totalMs = performance.now() - t0;
  abort.abort();
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      system: 'baton-console-live',
      shape: mode,
      n: steps,
      totalMs,
      perStepUs: (totalMs * 1000) / steps,
      received: latencies.length,
      p50Ms: Number(percentile(sorted, 0.5).toFixed(1)),
      p99Ms: Number(percentile(sorted, 0.99).toFixed(1)),
      maxMs: Number(sorted[sorted.length - 1].toFixed(1)),
    }),
  );
} finally {
  for (const child of children) await stopBin(child);
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
