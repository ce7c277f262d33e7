// What schema 8's triggers on `events` cost per step (issue 13, design §5) — SQLite's `run_steps_fill` (a row per
// `step.finished`) and `notifications_outbox` (flag off: only its WHEN), PostgreSQL's `events_added` (both) — measured on each store as a leased
// chain of N steps — per step a `step.started` and a `step.finished` appended, one flush (commit) — with the triggers
// present and dropped (SQLite) / disabled (PostgreSQL), alternated, best of 5 after a warm-up.
// `node scripts/services.mjs -- node --import tsx bench/cases/schema8-triggers.ts 1000` (PostgreSQL when
// BATON_BENCH_PG_URL or BATON_TEST_PG_URL is set; synchronous_commit off, where a trigger's share shows most).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import sqlite from 'node-sqlite3-wasm';
import type { NewRunEvent, WorkflowDefinition } from '@baton/protocol';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';

const n = Number(process.argv[2] ?? 1000);
const definition = { version: 1, files: [], agents: {}, flows: {}, tests: [] } as unknown as WorkflowDefinition;

/** µs per step of a leased chain of `n` steps on `store`. */
async function chain(store: RunStoreApi): Promise<number> {
  const { id } = await store.createRun({ flow: 'bench', inputs: {}, definition, startedAt: new Date().toISOString() });
  await store.claimLease(id, 'bench', 600_000);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    store.append(id, { type: 'step.started', step: `s${i}`, node: `s${i}`, agent: 'A', target: 'agent' });
    const output = await (async () => ({ i }))();
    store.append(id, { type: 'step.finished', step: `s${i}`, node: `s${i}`, agent: 'A', status: 'succeeded', output, durationMs: 3, attempts: 1, tokens: 120, costUsd: 0.0004, callIndexes: [i] } as NewRunEvent);
    await store.flush(id);
  }
  return ((performance.now() - started) * 1000) / n;
}

async function sqliteChain(triggers: boolean): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-trig-'));
  const file = path.join(dir, 'runs.db');
  try {
    SqliteRunStore.open(file).close();
    if (!triggers) {
      const raw = new sqlite.Database(file);
      raw.exec('DROP TRIGGER run_steps_fill; DROP TRIGGER notifications_outbox;');
      raw.close();
    }
    const store = SqliteRunStore.open(file);
    try {
      return await chain(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pgChain(url: string, admin: pg.Pool, triggers: boolean, k: number): Promise<number> {
  const schema = `baton_bench_trig_${process.pid}_${k}`;
  const store = await PgRunStore.open(url, { schema, synchronousCommit: 'off', poolSize: 2 });
  try {
    if (!triggers) await admin.query(`ALTER TABLE ${schema}.events DISABLE TRIGGER events_added`);
    return await chain(store);
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  }
}

/** Best of 5 of each variant, alternated, after one warm-up of each. */
async function compare(system: string, run: (triggers: boolean, k: number) => Promise<number>): Promise<void> {
  let k = 0;
  await run(true, k++);
  await run(false, k++);
  const best = { on: Infinity, off: Infinity };
  for (let r = 0; r < 5; r++) {
    best.on = Math.min(best.on, await run(true, k++));
    best.off = Math.min(best.off, await run(false, k++));
  }
  for (const [shape, us] of [['triggers-on', best.on], ['triggers-off', best.off]] as const) {
    console.log(JSON.stringify({ system, shape, n, totalMs: Number(((us * n) / 1000).toFixed(1)), perStepUs: Number(us.toFixed(1)) }));
  }
}

await compare('sqlite-store', (triggers) => sqliteChain(triggers));
const url = process.env.BATON_BENCH_PG_URL ?? process.env.BATON_TEST_PG_URL;
if (url) {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await compare('pg-store sync=off', (triggers, k) => pgChain(url, admin, triggers, k));
  } finally {
    await admin.end();
  }
}
