// `baton serve` under a loopback load: autocannon POSTs webhook bodies for a fixed time (bounded: 10
// connections, 10 s) at a served flow of three stub steps; reports the HTTP start latency (202 = the run is
// stored and started) p50/p99, accepted requests per second, and runs completed per second (from the store,
// once the server drained). Prints JSON lines. Usage: node bench/cases/serve.mjs [seconds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, root, startServe } from './bin-process.mjs';

const require = createRequire(path.join(root, 'bench', 'package.json'));
const autocannon = require('autocannon');
const seconds = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-serve-'));
writeFileSync(
  path.join(dir, 'hook.flow'),
  'agent A { stub: "ok" }\nflow Hook {\n  trigger webhook "/hook"\n  input n: number = 0\n  step a: A\n  step b: A\n  step c: A\n}\n',
);
const store = path.join(dir, 'runs.db');
const { child, url } = await startServe({ args: ['serve', dir, '--insecure', '--port', '0', '--store', store], timeoutMs: 30_000 });
const started = Date.now();
const result = await autocannon({
  url: `${url}/hook`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ n: 1 }),
  connections: 10,
  duration: seconds,
});
// let the server finish the runs it accepted, then stop it gracefully
let list;
for (let i = 0; i < 600; i++) {
  const health = await (await fetch(`${url}/health`)).json();
  if (health.active === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const drainedMs = Date.now() - started;
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
list = JSON.parse(execFileSync(process.execPath, [cli, 'runs', 'list', '--store', store, '--json', '--limit', '1000000'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }));
rmSync(dir, { recursive: true, force: true });
const accepted = result['2xx'];
const succeeded = list.filter((r) => r.status === 'succeeded').length;
console.log(
  JSON.stringify({
    system: 'baton-serve',
    shape: 'webhook',
    n: accepted,
    totalMs: result.latency.p99,
    perStepUs: (result.latency.average * 1000) / 3,
    startLatencyP50Ms: result.latency.p50,
    startLatencyP99Ms: result.latency.p99,
    acceptedPerSecond: Math.round(accepted / seconds),
    completedPerSecond: Math.round(succeeded / (drainedMs / 1000)),
    non2xx: result.non2xx,
    errors: result.errors,
    runsStored: list.length,
    runsSucceeded: succeeded,
  }),
);
