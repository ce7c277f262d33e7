// The run store on PostgreSQL (issue 11): per-step cost of a chain of N steps where each step appends one event
// and flushes it (one commit per step, as the engine commits a step's completion before the next starts), on
// - the PostgreSQL store with synchronous_commit on and off, its run's lease held (every flush fenced: the epoch is
//   checked in the same statement), and on unleased;
// - the embedded SQLite store (SqliteRunStore on a file, Baton's settings);
// - the floor: a bare loop of one awaited PostgreSQL INSERT (autocommit) per step, synchronous_commit on and off.
// Needs a PostgreSQL server: BATON_BENCH_PG_URL or BATON_TEST_PG_URL (`node scripts/services.mjs -- node --import
// tsx bench/cases/pg-store.ts 1000` starts a private one). Prints one JSON line per figure (best of three after a
// warm-up, each run on a fresh schema).
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
  console.error('bench pg-store: set BATON_BENCH_PG_URL (or run under scripts/services.mjs)');
  process.exit(2);
}
const admin = new pg.Pool({ connectionString: url, max: 1 });
const definition = { name: 'bench', inputs: [], outputs: [], body: [] } as unknown as WorkflowDefinition;
const noop = async (i: number) => ({ i });
let schemaCount = 0;
const freshSchema = () => `baton_bench_${process.pid}_${schemaCount++}`;

/** One chain on `store`: N × (awaited no-op, append one step event, flush). Returns ms. */
async function chain(store: RunStoreApi, leased: boolean): Promise<number> {
  const { id } = await store.createRun({ flow: 'bench', inputs: {}, definition, startedAt: new Date().toISOString() });
  if (leased) await store.claimLease(id, 'bench', 600_000);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const output = await noop(i);
    store.append(id, { type: 'step.finished', node: `s${i}`, step: `s${i}`, status: 'succeeded', output } as unknown as NewRunEvent);
    await store.flush();
  }
  return performance.now() - started;
}

async function bestOf(measure: () => Promise<number>): Promise<number> {
  await measure(); // warm-up
  let best = Infinity;
  for (let r = 0; r < 3; r++) best = Math.min(best, await measure());
  return best;
}

function report(system: string, totalMs: number, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ system, shape: 'chain', n, totalMs, perStepUs: (totalMs * 1000) / n, ...extra }));
}

const schemas: string[] = [];
async function pgChain(sync: 'on' | 'off', leased: boolean): Promise<number> {
  const schema = freshSchema();
  schemas.push(schema);
  const store = await PgRunStore.open(url!, { schema, synchronousCommit: sync, poolSize: 2 });
  try {
    return await chain(store, leased);
  } finally {
    await store.close();
  }
}

async function floor(sync: 'on' | 'off'): Promise<number> {
  const schema = freshSchema();
  schemas.push(schema);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.events (run_id text NOT NULL, seq integer NOT NULL, data json NOT NULL, PRIMARY KEY (run_id, seq))`);
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema} -c synchronous_commit=${sync}` });
  await client.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const output = await noop(i);
      await client.query('INSERT INTO events (run_id, seq, data) VALUES ($1, $2, $3)', ['r', i + 1, JSON.stringify({ type: 'step.finished', node: `s${i}`, output })]);
    }
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

async function sqliteChain(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-pg-'));
  const store = SqliteRunStore.open(path.join(dir, 'runs.db'));
  try {
    return await chain(store, true);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const floorOn = await bestOf(() => floor('on'));
  report('floor-pg-insert sync=on', floorOn);
  const floorOff = await bestOf(() => floor('off'));
  report('floor-pg-insert sync=off', floorOff);
  const leasedOn = await bestOf(() => pgChain('on', true));
  report('pg-store sync=on leased', leasedOn, { ratioToFloor: leasedOn / floorOn });
  report('pg-store sync=on', await bestOf(() => pgChain('on', false)));
  const leasedOff = await bestOf(() => pgChain('off', true));
  report('pg-store sync=off leased', leasedOff, { ratioToFloor: leasedOff / floorOff });
  report('pg-store sync=off', await bestOf(() => pgChain('off', false)));
  report('sqlite-store leased', await bestOf(() => sqliteChain()));
} finally {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
