// What schema 8's projection of events costs per step (issue 13, design §5): the `run_steps` row of each
// `step.finished` and the outbox's check (flag off), measured as a leased chain of N steps — per step a `step.started`
// and a `step.finished` appended, one flush (commit) — best of 5 after a warm-up, alternated:
// - SQLite (sqlite-projection.ts: since issue 15 a run's rows are written when it ends, so per step only the check
//   whether its run has ended — this chain never ends): the chain, and the same chain whose second event has another
//   type (same payload) — nothing projected nor checked;
// - PostgreSQL (migration 7's statement trigger `events_added`): the chain with the trigger enabled and disabled.
// Wall time and this process's CPU time (user + system) per step: the CPU time is what a loaded machine blurs least.
// `node scripts/services.mjs -- node --import tsx bench/cases/schema8-triggers.ts 1000` (PostgreSQL when
// BATON_BENCH_PG_URL or BATON_TEST_PG_URL is set; synchronous_commit off, where a trigger's share shows most).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { NewRunEvent, WorkflowDefinition } from '@baton/protocol';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';

const n = Number(process.argv[2] ?? 1000);
const definition = { version: 1, files: [], agents: {}, flows: {}, tests: [] } as unknown as WorkflowDefinition;

/** Wall and CPU µs per step of a leased chain of `n` steps on `store`, its second event per step of type `type`. */
async function chain(store: RunStoreApi, type: string): Promise<{ wall: number; cpu: number }> {
  const { id } = await store.createRun({ flow: 'bench', inputs: {}, definition, startedAt: new Date().toISOString() });
  await store.claimLease(id, 'bench', 600_000);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    store.append(id, { type: 'step.started', step: `s${i}`, node: `s${i}`, agent: 'A', target: 'agent' });
    const output = await (async () => ({ i }))();
    store.append(id, { type, step: `s${i}`, node: `s${i}`, agent: 'A', status: 'succeeded', output, durationMs: 3, attempts: 1, tokens: 120, costUsd: 0.0004, callIndexes: [i] } as unknown as NewRunEvent);
    await store.flush(id);
  }
  const used = process.cpuUsage(cpu);
  return { wall: ((performance.now() - started) * 1000) / n, cpu: (used.user + used.system) / n };
}

async function sqliteChain(project: boolean): Promise<{ wall: number; cpu: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-trig-'));
  try {
    const store = SqliteRunStore.open(path.join(dir, 'runs.db'));
    try {
      return await chain(store, project ? 'step.finished' : 'bench.step');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pgChain(url: string, admin: pg.Pool, project: boolean, k: number): Promise<{ wall: number; cpu: number }> {
  const schema = `baton_bench_trig_${process.pid}_${k}`;
  const store = await PgRunStore.open(url, { schema, synchronousCommit: 'off', poolSize: 2 });
  try {
    if (!project) await admin.query(`ALTER TABLE ${schema}.events DISABLE TRIGGER events_added`);
    return await chain(store, 'step.finished');
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  }
}

/** Best of 5 of each variant, alternated, after one warm-up of each. */
async function compare(system: string, run: (project: boolean, k: number) => Promise<{ wall: number; cpu: number }>): Promise<void> {
  let k = 0;
  await run(true, k++);
  await run(false, k++);
  const best = { on: { wall: Infinity, cpu: Infinity }, off: { wall: Infinity, cpu: Infinity } };
  for (let r = 0; r < 5; r++) {
    for (const variant of ['on', 'off'] as const) {
      const { wall, cpu } = await run(variant === 'on', k++);
      best[variant] = { wall: Math.min(best[variant].wall, wall), cpu: Math.min(best[variant].cpu, cpu) };
    }
  }
  for (const variant of ['on', 'off'] as const) {
    const { wall, cpu } = best[variant];
    console.log(JSON.stringify({ system, shape: `projection-${variant}`, n, totalMs: Number(((wall * n) / 1000).toFixed(1)), perStepUs: Number(wall.toFixed(1)), cpuPerStepUs: Number(cpu.toFixed(1)) }));
  }
}

await compare('sqlite-store', (project) => sqliteChain(project));
const url = process.env.BATON_BENCH_PG_URL ?? process.env.BATON_TEST_PG_URL;
if (url) {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await compare('pg-store sync=off', (project, k) => pgChain(url, admin, project, k));
  } finally {
    await admin.end();
  }
}
