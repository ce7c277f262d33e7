// The 100,000-run SQLite store of the runs-list benches (console-list.ts: the store's queries; console-list-page.ts:
// the page in Chromium). Runs of ten flows in one tenant, inputs of a few hundred bytes, statuses by share (set by
// SQL: the list reads them, how they got there does not matter here).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { RunStatus, WorkflowDefinition } from '@baton/protocol';
import { RunStore, SCHEMA_VERSION } from '../../packages/runtime/src/index.js';

/** The tenant every run is in. */
export const TENANT = 'acme';
/** The runs' flows. */
export const FLOWS = Array.from({ length: 10 }, (_, i) => `Flow${i}`);
/** The definition every run stores (its contents do not matter to the list). */
export const definition = { version: 1, files: [], agents: {}, flows: {}, tests: [] } as unknown as WorkflowDefinition;
/** A run's flow: ten flows, independent of its status (which follows `i % 10`). */
export const FLOW = (i: number): string => FLOWS[Math.floor(i / 10) % FLOWS.length];
/** Statuses by share: most runs ended well, a tenth failed, some wait or run. */
export const STATUS = (i: number): RunStatus => (['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed', 'waiting', 'succeeded', 'cancelled'] as const)[i % 10];
/** Inputs of a few hundred bytes, as a purchase or an incident would carry. */
export const inputs = (i: number) => ({ customer: `customer-${i % 997}`, amount: (i * 37) % 10_000, currency: 'EUR', lines: [{ sku: `SKU-${i % 113}`, qty: (i % 7) + 1 }, { sku: `SKU-${(i * 3) % 113}`, qty: 1 }], note: `order ${i} for the spring catalogue, deliver to the north warehouse before noon` });

/**
 * Writes a store of `n` runs to `file` (which must not exist): `createRun` in batches of 1,000 (one transaction
 * each), then the statuses by SQL (rowid − 1 is the run's index i: the same statuses as {@link STATUS} gives).
 * Returns every run id, oldest first.
 */
export function buildStore(file: string, n: number): string[] {
  const db = RunStore.open(file);
  const ids: string[] = [];
  for (let b = 0; b < n; b += 1000) {
    db.batch(() => {
      for (let i = b; i < Math.min(n, b + 1000); i++) ids.push(db.createRun({ flow: FLOW(i), inputs: inputs(i), definition, startedAt: new Date().toISOString(), tenant: TENANT }));
    });
  }
  db.close();
  const raw = new sqlite.Database(file);
  raw.exec("BEGIN; UPDATE runs SET status = CASE (rowid - 1) % 10 WHEN 6 THEN 'failed' WHEN 7 THEN 'waiting' WHEN 9 THEN 'cancelled' ELSE 'succeeded' END; COMMIT;");
  raw.close();
  return ids;
}

/**
 * The store of `n` runs cached in the temp folder, keyed by the schema version and `n`
 * (`<tmp>/baton-bench-list-s<version>-<n>/runs.db`): built once (into a side file, renamed when complete, so a
 * build cut short is never reused). The caller copies it before serving it (a server may write to its store).
 * Returns the file, every run id oldest first, and whether it was built now (and in how many seconds).
 */
export function cachedStore(n: number): { file: string; ids: string[]; builtS?: number } {
  const dir = path.join(tmpdir(), `baton-bench-list-s${SCHEMA_VERSION}-${n}`);
  const file = path.join(dir, 'runs.db');
  const idsFile = path.join(dir, 'ids.json');
  if (existsSync(file) && existsSync(idsFile)) return { file, ids: JSON.parse(readFileSync(idsFile, 'utf8')) as string[] };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const partial = path.join(dir, 'building.db');
  const ids = buildStore(partial, n);
  writeFileSync(idsFile + '.part', JSON.stringify(ids));
  renameSync(partial, file);
  renameSync(idsFile + '.part', idsFile);
  return { file, ids, builtS: Number(((performance.now() - started) / 1000).toFixed(1)) };
}
