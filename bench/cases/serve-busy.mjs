// `baton serve` accepting webhooks while its runs are busy (issue 10, item 19): a real `baton serve
// --agents real` on a loopback port, a webhook flow of three steps whose agent is a command that sleeps
// (`command/sleepy`: /bin/sh, `sleep 0.2`, then prints {"output": "ok"}); N POSTs (default 400), C in flight
// at once (default 16), over keep-alive connections. Reports the 202's latency (request written → answer
// read) p50/p95/p99/max while the runs execute, the time until the last 202, and — after the server
// drained — how many accepted runs were stored and succeeded; and, measured inside the server
// (serve-probe.mjs), each 202's time from its request's headers to its answer and the event loop's delay.
// Before the measured requests, one request per sender warms the server up (reported apart: warmUpMaxMs).
// BATON_BENCH_PAUSE_MS=n makes each sender pause n ms between requests: starts spread over the runs' execution
// (e.g. 4 senders, 250 ms: ~16 starts/s for 25 s) instead of one burst at the beginning.
// Prints one JSON line (with the machine's load average at the end).
// Usage: node bench/cases/serve-busy.mjs [requests] [in-flight] [sleep seconds] [extra baton serve args…]
// e.g. `node bench/cases/serve-busy.mjs 400 16 0.2 --concurrency 8`. BATON_BENCH_SERVER_ARGS="--cpu-prof
// --cpu-prof-dir=…" passes Node options to the server (to profile it); BATON_BENCH_CLI=path/cli.mjs measures
// another build (e.g. an older one, for a before/after on the same machine load).
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, root, startServe } from './bin-process.mjs';

const [requests = 400, inFlight = 16] = process.argv.slice(2, 4).map(Number);
const sleepSeconds = process.argv[4] ?? '0.2';
const extra = process.argv.slice(5);
/** A pause between one sender's answer and its next request, ms (BATON_BENCH_PAUSE_MS; default 0: a burst). */
const pauseMs = Number(process.env.BATON_BENCH_PAUSE_MS ?? 0);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-serve-busy-'));
writeFileSync(
  path.join(dir, 'hook.flow'),
  'agent Sleepy { model: "command/sleepy" }\nflow Hook {\n  trigger webhook "/hook"\n  input n: number = 0\n  step a: Sleepy\n  step b: Sleepy\n  step c: Sleepy\n}\n',
);
writeFileSync(
  path.join(dir, 'baton.config.json'),
  JSON.stringify({ commands: { sleepy: { command: ['/bin/sh', '-c', `sleep ${sleepSeconds}; echo '{"output": "ok"}'`] } } }),
);
const store = path.join(dir, 'runs.db');
const nodeArgs = (process.env.BATON_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
const probe = path.join(dir, 'probe.json');
const served = await startServe({
  args: ['serve', dir, '--insecure', '--agents', 'real', '--port', '0', '--store', store, ...extra],
  nodeArgs: [...nodeArgs, '--import', path.join(root, 'bench', 'cases', 'serve-probe.mjs')],
  env: { ...process.env, BATON_BENCH_PROBE: probe },
  timeoutMs: 30_000,
});
const { child } = served;
const url = new URL(served.url);

const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
const body = JSON.stringify({ n: 1 });
/** One POST; resolves with [status (or `error <code>`), ms from the request's start to the whole answer read]. */
const post = () =>
  new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ host: url.hostname, port: url.port, path: '/hook', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, performance.now() - t0]));
    });
    req.on('error', (error) => resolve([`error ${error.code ?? error.message}`, performance.now() - t0]));
    req.end(body);
  });

// Warm-up: one request per sender, answered before the measured burst (the first requests of a fresh process
// run its code cold: compiled on first use). Reported apart (warmUpMaxMs); their runs execute during the burst.
const warmUp = await Promise.all(Array.from({ length: inFlight }, () => post()));
const latencies = [];
const statuses = {};
let sent = 0;
const started = performance.now();
let lastAccepted = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (sent < requests) {
      sent++;
      const [status, ms] = await post();
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(ms);
      if (status === 202) lastAccepted = performance.now() - started;
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }),
);
agent.destroy();
// let the server finish the runs it accepted
for (;;) {
  const health = await (await fetch(`${url.origin}/health`)).json();
  if (health.active === 0 && !(health.queued > 0)) break;
  await new Promise((r) => setTimeout(r, 100));
}
const drainedMs = performance.now() - started;
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
const list = JSON.parse(execFileSync(process.execPath, [cli, 'runs', 'list', '--store', store, '--json', '--limit', '1000000'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
const inServer = JSON.parse(readFileSync(probe, 'utf8'));
rmSync(dir, { recursive: true, force: true });
latencies.sort((a, b) => a - b);
const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] * 10) / 10;
console.log(
  JSON.stringify({
    system: 'baton-serve-busy',
    shape: `webhook, 3 command steps sleeping ${sleepSeconds} s`,
    n: requests,
    inFlight,
    args: extra.join(' '),
    statuses,
    acceptLatencyP50Ms: pct(50),
    acceptLatencyP95Ms: pct(95),
    acceptLatencyP99Ms: pct(99),
    acceptLatencyMaxMs: pct(100),
    lastAcceptedAtMs: Math.round(lastAccepted),
    warmUpMaxMs: Math.round(Math.max(...warmUp.map(([, ms]) => ms))),
    pauseMs,
    drainedMs: Math.round(drainedMs),
    runsAccepted: (statuses[202] ?? 0) + warmUp.filter(([status]) => status === 202).length,
    runsStored: list.length,
    runsSucceeded: list.filter((r) => r.status === 'succeeded').length,
    ...inServer,
    loadAverage: os.loadavg()[0],
  }),
);
