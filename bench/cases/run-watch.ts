// What watching a store costs and how soon it tells (issue 11, `baton runs watch`):
// - PostgreSQL: per-step cost of a leased 1,000-step chain (one commit per step, synchronous_commit=off — where a
//   trigger's share shows most) with the store's NOTIFY triggers enabled and disabled (ALTER TABLE … DISABLE
//   TRIGGER USER), best of three after a warm-up, interleaved; and the latency from a commit (a run created by
//   another handle) to its report by watchRuns (LISTEN), p50/p99 of 200.
// - SQLite: the same latency with the 250 ms poll, and the per-step cost of a 5×N chain with and without a watch
//   (`baton runs watch`, another process: out/cli.mjs, built) polling the file meanwhile (it reads under the store's
//   lock only when the file changed).
// Needs a PostgreSQL server: BATON_BENCH_PG_URL or BATON_TEST_PG_URL (`node scripts/services.mjs -- node --import
// tsx bench/cases/run-watch.ts 1000`). Prints one JSON line per figure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { NewRunEvent, WorkflowDefinition } from '@baton/protocol';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';

const n = Number(process.argv[2] ?? 1000);
const url = process.env.BATON_BENCH_PG_URL ?? process.env.BATON_TEST_PG_URL;
if (!url) {
  console.error('bench run-watch: set BATON_BENCH_PG_URL (or run under scripts/services.mjs)');
  process.exit(2);
}
const admin = new pg.Pool({ connectionString: url, max: 1 });
const definition = { name: 'bench', inputs: [], outputs: [], body: [] } as unknown as WorkflowDefinition;
const schemas: string[] = [];
let count = 0;
const freshSchema = (): string => {
  const schema = `baton_bench_watch_${process.pid}_${count++}`;
  schemas.push(schema);
  return schema;
};

async function chain(store: RunStoreApi, steps = n): Promise<number> {
  const { id } = await store.createRun({ flow: 'bench', inputs: {}, definition, startedAt: new Date().toISOString() });
  await store.claimLease(id, 'bench', 600_000);
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    const output = await (async () => ({ i }))();
    store.append(id, { type: 'step.finished', node: `s${i}`, step: `s${i}`, status: 'succeeded', output } as unknown as NewRunEvent);
    await store.flush();
  }
  return performance.now() - started;
}

async function pgChain(triggers: boolean): Promise<number> {
  const schema = freshSchema();
  const store = await PgRunStore.open(url!, { schema, synchronousCommit: 'off', poolSize: 2 });
  try {
    if (!triggers) for (const table of ['runs', 'events']) await admin.query(`ALTER TABLE ${schema}.${table} DISABLE TRIGGER USER`);
    return await chain(store);
  } finally {
    await store.close();
  }
}

/** p50 and p99 of `samples`, ms. */
function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)], p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] };
}

/** Commit → report latency: `writer` creates runs one at a time; each is timed until `watcher` reports it. */
async function latency(watcher: RunStoreApi, writer: RunStoreApi, samples: number): Promise<{ p50: number; p99: number }> {
  const waiting = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  const stop = await watcher.watchRuns((changes) => {
    const at = performance.now();
    if (changes === 'all') return;
    for (const id of changes) {
      const done = waiting.get(id);
      if (done) done(at);
      else early.set(id, at);
    }
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const { id } = await writer.createRun({ flow: 'bench', inputs: {}, definition, startedAt: new Date().toISOString() });
      const at = early.get(id) ?? (await new Promise<number>((resolve) => waiting.set(id, resolve)));
      times.push(at - started);
    }
  } finally {
    await stop();
  }
  return percentiles(times);
}

function report(figure: string, values: Record<string, unknown>): void {
  console.log(JSON.stringify({ figure, n, ...values }));
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-watch-'));
try {
  await pgChain(true); // warm-up
  await pgChain(false);
  let on = Infinity;
  let off = Infinity;
  for (let r = 0; r < 3; r++) {
    on = Math.min(on, await pgChain(true));
    off = Math.min(off, await pgChain(false));
  }
  report('pg chain per step, sync=off, leased: NOTIFY triggers on / off (µs)', { on: (on * 1000) / n, off: (off * 1000) / n, ratio: on / off });

  const schema = freshSchema();
  const pgWatcher = await PgRunStore.open(url, { schema });
  const pgWriter = await PgRunStore.open(url, { schema });
  report('pg commit → watch report (LISTEN/NOTIFY), ms', await latency(pgWatcher, pgWriter, 200));
  await pgWatcher.close();
  await pgWriter.close();

  const file = path.join(dir, 'runs.db');
  const sqWatcher = SqliteRunStore.open(file);
  const sqWriter = SqliteRunStore.open(file);
  report('sqlite commit → watch report (250 ms poll), ms', await latency(sqWatcher, sqWriter, 40));
  // the watch in another process (`baton runs watch`, as a user or the editor runs it: in this one, its timer would
  // not fire while the chain runs), started once (its start-up, ~0.3 s of compiling the bundle, not measured);
  // rounds alternate with it paused (SIGSTOP) and running (SIGCONT): medians
  const cli = path.resolve(import.meta.dirname, '../../out/cli.mjs');
  /** Steps of these chains: long enough for several looks of the watch (every 250 ms). */
  const LONG = 5 * n;
  const without: number[] = [];
  const withWatch: number[] = [];
  const watcher = spawn(process.execPath, [cli, 'runs', 'watch', '--store', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => watcher.stderr.on('data', (chunk: Buffer) => (/watching/i.test(chunk.toString()) ? resolve() : undefined)));
  await chain(sqWriter); // warm-up, the watch settling
  for (let r = 0; r < 7; r++) {
    watcher.kill('SIGSTOP');
    without.push(await chain(sqWriter, LONG));
    watcher.kill('SIGCONT');
    withWatch.push(await chain(sqWriter, LONG));
  }
  watcher.kill('SIGTERM');
  await new Promise((resolve) => watcher.on('close', resolve));
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];
  const plain = median(without);
  const watched = median(withWatch);
  report('sqlite chain per step, leased: without / with a watch polling, medians of 7 alternating rounds, the watch paused / running (µs)', { steps: LONG, without: (plain * 1000) / LONG, with: (watched * 1000) / LONG, ratio: watched / plain });
  await sqWatcher.close();
  await sqWriter.close();
} finally {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
