// A cluster on one machine (issue 11): `baton worker` processes (the built bin) on PostgreSQL and Redis, runs started
// through the webhooks of a `baton serve --queue` front door. Needs the services: run it under scripts/services.mjs
// (`npm run bench` does: `node scripts/services.mjs -- node bench/cases/cluster.mjs`), which exports
// BATON_TEST_PG_URL, PGPASSWORD and BATON_TEST_REDIS_URL.
//
// (a) Throughput scaling: N runs (default 2,000) of a 10-step flow whose agent is an HTTP endpoint here answering
//     after 20 ms (`http/slow`, --agents real: I/O bound), on 1, 2 and 4 workers (`--concurrency C`, default 8, runs
//     at once per worker). For each size: a fresh database and Redis database; the workers start and wait; the
//     queue is paused (BullMQ) while the front door accepts the N runs; then the queue is resumed and the time until
//     every run has succeeded is measured (PostgreSQL polled every 100 ms). runs/s = N / that time.
// (b) The front door: while it accepts those N webhooks (16 in flight, keep-alive), starts/s and the 202's latency
//     p50/p99 (request written → answer read), as serve-busy.mjs measures today's in-process `baton serve`.
// (c) Where the CPU goes: per run, the CPU time (ms) of the workers, the front door, PostgreSQL (postmaster and every
//     backend) and Redis over the measured window, their total, what the machine's cores could do if runs were only
//     CPU (`cpuBoundRunsPerSecond` = cores × 1000 / total), and how busy the machine was (`machineBusyPct`, /proc/stat:
//     near 100 the run was CPU-bound, and more workers cannot add throughput on this machine).
// Prints one JSON line per size (shape `workers-<n>`) and one for the front door (shape `front-door`), each with the
// machine's load average.
// Usage: node bench/cases/cluster.mjs [runs] [concurrency] [worker counts, comma-separated]
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startBin, stopBin } from './bin-process.mjs';

const runs = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 8);
const sizes = (process.argv[4] ?? '1,2,4').split(',').map(Number);
const AGENT_MS = 20;
const IN_FLIGHT = 16;
const pgUrl = process.env.BATON_TEST_PG_URL;
const redisUrl = process.env.BATON_TEST_REDIS_URL;
if (!pgUrl || !redisUrl) {
  console.error('bench cluster: run it under scripts/services.mjs (BATON_TEST_PG_URL, BATON_TEST_REDIS_URL)');
  process.exit(2);
}

// the agent: answers {"output": "ok"} after 20 ms
const agent = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"output":"ok","tokens":1}'), AGENT_MS));
});
agent.keepAliveTimeout = 60_000;
await new Promise((resolve) => agent.listen(0, '127.0.0.1', resolve));
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-cluster-'));
const steps = Array.from({ length: 10 }, (_, i) => `  step s${i}: Slow { prompt: "step ${i} of \${input.n}" }`).join('\n');
writeFileSync(path.join(dir, 'bench.flow'), `agent Slow { model: "http/slow" }\nflow Ten {\n  trigger webhook "/ten"\n  input n: number = 0\n${steps}\n}\n`);
writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ endpoints: { slow: { url: `http://127.0.0.1:${agent.address().port}/agent` } } }));

const children = new Set();
/** Starts the bin with `args` (Node options from BATON_BENCH_NODE_ARGS); resolves once a stdout line starts with `banner`. */
const start = (args, env, banner) => startBin({ args, banner, cwd: dir, env, nodeArgs: (process.env.BATON_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), children });
const stop = (child) => stopBin(child, { children });
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const round = (x, digits = 1) => Number(x.toFixed(digits));
/** CPU time (user + system, ms) a process has used, from /proc (Linux); with `children`, also its reaped children's. */
async function cpuOf(pid, children = false) {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / 100; // utime, stime (cutime, cstime) in clock ticks (USER_HZ 100)
}
/** The pids whose parent is `pid` (Linux /proc). */
async function childrenOf(pid) {
  const { readFile, readdir } = await import('node:fs/promises');
  const found = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat && Number(stat.split(') ')[1].split(' ')[1]) === pid) found.push(Number(entry));
  }
  return found;
}
/**
 * CPU time (ms) PostgreSQL has used so far: its postmaster (found as the parent of this connection's backend), with
 * its reaped children, plus its live children (backends, WAL writer, checkpointer…).
 */
async function postgresCpu(db) {
  const { rows } = await db.query('SELECT pg_backend_pid() AS pid');
  const { readFile } = await import('node:fs/promises');
  const postmaster = Number((await readFile(`/proc/${rows[0].pid}/stat`, 'utf8')).split(') ')[1].split(' ')[1]);
  let total = await cpuOf(postmaster, true);
  for (const child of await childrenOf(postmaster)) total += await cpuOf(child).catch(() => 0);
  return total;
}
/** CPU time (ms) Redis has used so far (INFO cpu: used_cpu_user + used_cpu_sys, seconds). */
async function redisCpu(redis) {
  const info = await redis.info('cpu');
  return (Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1])) * 1000;
}
/** The machine's busy and total CPU time so far (ms, all cores), from /proc/stat. */
async function machineCpu() {
  const { readFile } = await import('node:fs/promises');
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * 10, total: (busy + idle + iowait) * 10 };
}

const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
admin.on('error', () => undefined);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
/** POSTs `body` to `url`; resolves with [status, ms]. */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const begun = performance.now();
    const req = http.request(url, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, performance.now() - begun]));
    });
    req.on('error', reject);
    req.end(body);
  });
}

try {
  let frontDoorFigures;
  for (const [index, workers] of sizes.entries()) {
    const database = `baton_bench_cluster_${process.pid}_${index}`;
    await admin.query(`CREATE DATABASE ${database}`);
    const store = new URL(pgUrl);
    store.pathname = `/${database}`;
    const queueUrl = new URL(redisUrl);
    queueUrl.pathname = `/${index + 1}`;
    const env = { ...process.env, NO_COLOR: '1', BATON_STORE: store.toString(), BATON_QUEUE: queueUrl.toString() };
    const queue = new Queue('baton-runs-default', { connection: { host: queueUrl.hostname, port: Number(queueUrl.port), db: index + 1 } });
    const db = new pg.Pool({ connectionString: store.toString(), max: 1 });
    db.on('error', () => undefined); // its idle connection ended by DROP DATABASE … WITH (FORCE) at the end
    const redis = new Redis({ host: queueUrl.hostname, port: Number(queueUrl.port), lazyConnect: false });
    try {
      await queue.obliterate({ force: true });
      const serve = await start(['serve', '.', '--insecure', '--port', '0', '--agents', 'real'], env, 'baton serve');
      const url = /http:\/\/[\d.:]+/.exec(serve.line)[0];
      const pool = await Promise.all(Array.from({ length: workers }, () => start(['worker', '--agents', 'real', '--concurrency', String(concurrency)], env, 'baton worker')));
      await queue.pause();
      // the front door accepts the runs while the queue holds them
      const latencies = [];
      let next = 0;
      const acceptStarted = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < runs) {
            const n = next++;
            const [status, ms] = await post(`${url}/ten`, JSON.stringify({ n }));
            if (status !== 202) throw new Error(`webhook ${n}: HTTP ${status}`);
            latencies.push(ms);
          }
        }),
      );
      const acceptMs = performance.now() - acceptStarted;
      if (index === 0) {
        frontDoorFigures = { system: 'baton-serve-queue', shape: 'front-door', n: runs, totalMs: round(acceptMs), perStepUs: (acceptMs * 1000) / runs, startsPerSecond: round((runs * 1000) / acceptMs), startLatencyP50Ms: round(percentile(latencies, 50)), startLatencyP99Ms: round(percentile(latencies, 99)), inFlight: IN_FLIGHT, loadAverage: os.loadavg()[0].toFixed(1) };
        console.log(JSON.stringify(frontDoorFigures));
      }
      // the workers take them (PostgreSQL transactions and Redis commands counted around it, per run)
      const pgTransactions = async () => Number((await admin.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database])).rows[0].n);
      const redisCommands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1]);
      await new Promise((resolve) => setTimeout(resolve, 1200)); // PostgreSQL's statistics lag up to 1 s
      const before = { pg: await pgTransactions(), redis: await redisCommands() };
      const cpuBefore = { workers: await Promise.all(pool.map((w) => cpuOf(w.child.pid))), serve: await cpuOf(serve.child.pid), postgres: await postgresCpu(db), redis: await redisCpu(redis), machine: await machineCpu() };
      const began = performance.now();
      await queue.resume();
      let succeeded = 0;
      for (;;) {
        const { rows } = await db.query("SELECT count(*) FILTER (WHERE status = 'succeeded') AS ok, count(*) FILTER (WHERE status = 'failed') AS failed FROM runs");
        succeeded = Number(rows[0].ok);
        if (Number(rows[0].failed) > 0) throw new Error(`${rows[0].failed} runs failed`);
        if (succeeded >= runs) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const totalMs = performance.now() - began;
      const workersCpu = (await Promise.all(pool.map((w) => cpuOf(w.child.pid)))).reduce((a, b, i) => a + b - cpuBefore.workers[i], 0);
      const machine = await machineCpu();
      // CPU per run (ms) of each part, over the measured window only (start-up excluded)
      const cpu = { workers: workersCpu / runs, serve: (await cpuOf(serve.child.pid) - cpuBefore.serve) / runs, postgres: (await postgresCpu(db) - cpuBefore.postgres) / runs, redis: (await redisCpu(redis) - cpuBefore.redis) / runs };
      const cpuTotal = cpu.workers + cpu.serve + cpu.postgres + cpu.redis;
      const machineBusyPct = (100 * (machine.busy - cpuBefore.machine.busy)) / (machine.total - cpuBefore.machine.total);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const pgPerRun = round((await pgTransactions() - before.pg) / runs);
      const redisPerRun = round((await redisCommands() - before.redis) / runs);
      console.log(JSON.stringify({ system: 'baton-cluster', shape: `workers-${workers}`, n: runs, totalMs: round(totalMs), perStepUs: (totalMs * 1000) / (runs * 10), workers, concurrency, runsPerSecond: round((runs * 1000) / totalMs), agentMs: AGENT_MS, cpuMsPerRun: { workers: round(cpu.workers, 2), serve: round(cpu.serve, 2), postgres: round(cpu.postgres, 2), redis: round(cpu.redis, 2), total: round(cpuTotal, 2) }, cpuBoundRunsPerSecond: round((os.cpus().length * 1000) / cpuTotal), machineBusyPct: round(machineBusyPct), pgTransactionsPerRun: pgPerRun, redisCommandsPerRun: redisPerRun, loadAverage: os.loadavg()[0].toFixed(1) }));
      for (const w of pool) await stop(w.child);
      await stop(serve.child);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      redis.disconnect();
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  keepAlive.destroy();
  agent.closeAllConnections();
  agent.close();
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
