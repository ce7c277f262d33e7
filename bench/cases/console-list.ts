// The console's runs list on a store of 100,000 runs (issue 13, design §2.5; goal: the list opens in ≤ 300 ms): the
// store's time for what `GET /runs` asks — the first page, a deep keyset page, flow + status, a text that matches
// nothing (the whole bounded scan) — and the status chips (`countRuns`), on SQLite and on PostgreSQL.
// - SQLite: the store built with `createRun` in batches of 1,000 (one transaction each), then statuses set by SQL.
// - PostgreSQL (when BATON_BENCH_PG_URL or BATON_TEST_PG_URL is set: `node scripts/services.mjs -- node --import tsx
//   bench/cases/console-list.ts`): the same rows inserted 5,000 per statement (createRun is one round trip per run).
// Each query: one warm-up, then 20 timed calls; p50 and max. Prints one JSON line per figure.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { newRunId, SqliteRunStore, type RunFilter, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { buildStore, definition, FLOW, inputs, STATUS, TENANT } from './list-store.js';

const n = Number(process.argv[2] ?? 100_000);

/** p50 and max of 20 timed calls of `query` after one warm-up, ms. */
async function time(query: () => Promise<unknown>): Promise<{ p50: number; max: number; rows: number }> {
  const first = await query();
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await query();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const rows = (first as { runs?: unknown[] }).runs?.length ?? Object.keys(first as object).length;
  return { p50: samples[Math.ceil(0.5 * samples.length) - 1], max: samples[samples.length - 1], rows };
}

/** The five figures on `store` (ids: every run id, oldest first). */
async function measure(system: string, store: RunStoreApi, ids: string[], extra: Record<string, unknown>): Promise<void> {
  const page = (filter: RunFilter) => () => store.listRunsPage!({ tenant: TENANT, limit: 50, ...filter });
  const cases: [string, () => Promise<unknown>][] = [
    ['first-page', page({})],
    ['deep-keyset', page({ before: ids[Math.floor(ids.length * 0.1)] })],
    ['flow+status', page({ flow: 'Flow3', status: 'failed' })],
    ['text-no-match', page({ text: 'no such customer anywhere' })],
    ['status-counts', () => store.countRuns!({ tenant: TENANT })],
  ];
  for (const [shape, query] of cases) {
    const { p50, max, rows } = await time(query);
    console.log(JSON.stringify({ system, shape, n: ids.length, totalMs: Number(p50.toFixed(2)), maxMs: Number(max.toFixed(2)), perStepUs: 0, rows, ...extra }));
  }
}

async function sqliteCase(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-list-'));
  const file = path.join(dir, 'runs.db');
  try {
    const built = performance.now();
    const ids = buildStore(file, n);
    const buildMs = performance.now() - built;
    const store = SqliteRunStore.open(file);
    try {
      await measure('sqlite', store, ids, { fileMb: Number((statSync(file).size / 1e6).toFixed(1)), buildS: Number((buildMs / 1000).toFixed(1)) });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pgCase(url: string): Promise<void> {
  const schema = `baton_bench_list_${process.pid}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const store = await PgRunStore.open(url, { schema, synchronousCommit: 'off' });
  try {
    const ids: string[] = [];
    const built = performance.now();
    await admin.query(`INSERT INTO ${schema}.definitions (hash, body) VALUES ('bench', $1)`, [JSON.stringify(definition)]);
    for (let b = 0; b < n; b += 5000) {
      const chunk = Array.from({ length: Math.min(5000, n - b) }, (_, k) => b + k);
      const chunkIds = chunk.map(() => newRunId());
      ids.push(...chunkIds);
      await admin.query(
        `INSERT INTO ${schema}.runs (id, tenant, flow, status, started_at, inputs, definition) SELECT id, $2, flow, status, now(), inputs::json, 'sha256:bench' FROM unnest($1::text[], $3::text[], $4::text[], $5::text[]) AS r(id, flow, status, inputs)`,
        [chunkIds, TENANT, chunk.map((i) => FLOW(i)), chunk.map((i) => STATUS(i)), chunk.map((i) => JSON.stringify(inputs(i)))],
      );
    }
    await admin.query(`ANALYZE ${schema}.runs`);
    const buildMs = performance.now() - built;
    await measure('postgres', store, ids, { buildS: Number((buildMs / 1000).toFixed(1)) });
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

await sqliteCase();
const url = process.env.BATON_BENCH_PG_URL ?? process.env.BATON_TEST_PG_URL;
if (url) await pgCase(url);
