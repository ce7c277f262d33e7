// The SQLite run store's schema: its tables and their migration, and how its rows read — a `runs` row as a
// RunRecord, a definition by the SHA-256 of its JSON.
import { createHash } from 'node:crypto';
import type sqlite from 'node-sqlite3-wasm';
import type { RunAgents, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { RunFilter, RunRecord, RunUpdate } from './store-api.js';
import { LOCKS_TABLE } from './sqlite-locks.js';
import { chainStoredEvents } from './sqlite-audit.js';
import { RUNS_COLUMNS_8, SCHEMA_8_OBJECTS, upgradeToSchema8 } from './sqlite-schema-8.js';

type Db = InstanceType<(typeof sqlite)['Database']>;

/**
 * The schema version written to `meta`; a store with a newer one is refused (`STORE_TOO_NEW`).
 * 2: `runs.agents` (the agents a run keeps for its life); a version-1 store gets the column when opened, and
 * builds that do not know it refuse the store rather than continue a real run with stub agents.
 * 3: `runs.tenant`, and each run's lease — `lease_owner`, `lease_expires_at` (ISO 8601), `epoch` — so that two
 * processes on one file never both execute a run (issue 11); older stores get the columns when opened.
 * 4: `start_keys.tenant`, part of the key's primary key — a start key is unique per tenant (issue 11); the keys of
 * older stores become tenant `default`'s.
 * 5: `kept_events` — broadcast events kept for a later `wait event` (persistent triggers, issue 12); older stores
 * get the table when opened.
 * 6: `locks` — named locks across runs (issue 12): holders and first-come-first-served waiters; older stores get
 * the table when opened.
 * 7: `events.prev_hash` and `events.hash` — the audit chain (issue 13, event-chain.ts); the events of older stores are
 * chained when the store is opened (sqlite-audit.ts `chainStoredEvents`), in the upgrade's transaction.
 * 8: the operations console (issue 13; sqlite-schema-8.ts): the runs list's tenant indexes, `runs.duration_ms`,
 * `sla_due_at`, `sla_flow_at`, `sla_breached_at`, the step projection `run_steps` (its trigger, and its rows for the
 * events already stored), `sla_breaches`, `sources`/`definition_sources`, and the notifications outbox.
 */
export const SCHEMA_VERSION = 8;

/** `start_keys`' columns: a key is unique within its tenant and scope (a webhook's path). */
const START_KEYS_COLUMNS = "tenant TEXT NOT NULL DEFAULT 'default', scope TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (tenant, scope, key)";

/**
 * Creates the SQLite run store's tables in a new store, or brings an older one up to {@link SCHEMA_VERSION}, in one
 * transaction (so no process ever sees the version written without all its tables); the page size, journal mode and
 * sync level are set on every open.
 * @param sync `full`: fsync on every commit; `normal`: none (durable when the process dies, not on power loss).
 * @throws BatonError `STORE_TOO_NEW` for a store written by a newer Baton (it is left untouched).
 */
export function migrateSqlite(db: Db, path: string, sync: 'normal' | 'full'): void {
  // 16 KiB pages (for a new store; an existing one keeps its size): a commit of a step's events then
  // touches fewer pages — measured 2.5× cheaper per commit than 4 KiB here (bench/README.md).
  db.exec(`PRAGMA page_size = 16384; PRAGMA journal_mode = PERSIST; PRAGMA synchronous = ${sync === 'full' ? 'FULL' : 'OFF'};`);
  // A store at this version has every object (they are created with the version, in one transaction): nothing to do.
  const schema = schemaOf(db);
  if (schema === SCHEMA_VERSION) return;
  if (schema !== undefined && schema > SCHEMA_VERSION) {
    throw new BatonError('STORE_TOO_NEW', `the run store ${path} was written by a newer Baton (schema ${schema})`);
  }
  // Creating or upgrading is one transaction: another process opening the store meanwhile waits (busy, retried),
  // then finds the version and all its objects, never the version without them; a creation that fails leaves nothing.
  db.exec('BEGIN IMMEDIATE');
  try {
    createOrUpgrade(db, path);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** The `meta` table's schema version, or undefined for a new store (no `meta` table or no row). */
function schemaOf(db: Db): number | undefined {
  const table = db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (!table) return undefined;
  const row = db.get('SELECT value FROM meta WHERE key = ?', ['schema']) as { value: string } | null;
  return row ? Number(row.value) : undefined;
}

/** {@link migrateSqlite}'s body, inside its transaction. */
function createOrUpgrade(db: Db, path: string): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS runs (
      id TEXT PRIMARY KEY,
      flow TEXT NOT NULL,
      file TEXT,
      status TEXT NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      inputs TEXT NOT NULL,
      outputs TEXT NOT NULL DEFAULT '{}',
      error TEXT,
      waiting_on TEXT NOT NULL DEFAULT '[]',
      cancel_requested INTEGER NOT NULL DEFAULT 0,
      definition TEXT NOT NULL,
      agents TEXT,
      tenant TEXT NOT NULL DEFAULT 'default',
      lease_owner TEXT,
      lease_expires_at TEXT,
      epoch INTEGER NOT NULL DEFAULT 0,
      ${RUNS_COLUMNS_8.map(([, definition]) => definition).join(',\n      ')}
    );
    CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
    CREATE TABLE IF NOT EXISTS definitions (hash TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS kept_events (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      event TEXT NOT NULL,
      data TEXT NOT NULL,
      kept_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      taken_by TEXT
    );
    CREATE INDEX IF NOT EXISTS kept_events_open ON kept_events (tenant, event, taken_by);
    CREATE TABLE IF NOT EXISTS start_keys (${START_KEYS_COLUMNS}) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS events (
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      time TEXT NOT NULL,
      data TEXT NOT NULL,
      prev_hash TEXT,
      hash TEXT,
      PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    ${LOCKS_TABLE}
  `);
  const row = db.get('SELECT value FROM meta WHERE key = ?', ['schema']) as { value: string } | null;
  if (!row) {
    db.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['schema', String(SCHEMA_VERSION)]);
    db.exec(SCHEMA_8_OBJECTS);
  } else if (Number(row.value) > SCHEMA_VERSION) {
    throw new BatonError('STORE_TOO_NEW', `the run store ${path} was written by a newer Baton (schema ${row.value})`);
  } else if (Number(row.value) < SCHEMA_VERSION) {
    // schema 1 → 2: the agents column (null for the runs already stored); 2 → 3: the tenant and the lease;
    // 3 → 4: start keys per tenant; 4 → 5, 5 → 6: the kept events' and the locks tables (created above); 6 → 7: the chain;
    // 7 → 8: the console's columns, tables and triggers
    const columns = new Set((db.all('PRAGMA table_info(runs)') as { name: string }[]).map((c) => c.name));
    const added: [string, string][] = [
      ['agents', 'agents TEXT'],
      ['tenant', "tenant TEXT NOT NULL DEFAULT 'default'"],
      ['lease_owner', 'lease_owner TEXT'],
      ['lease_expires_at', 'lease_expires_at TEXT'],
      ['epoch', 'epoch INTEGER NOT NULL DEFAULT 0'],
    ];
    for (const [name, definition] of added) if (!columns.has(name)) db.exec(`ALTER TABLE runs ADD COLUMN ${definition}`);
    const keyColumns = new Set((db.all('PRAGMA table_info(start_keys)') as { name: string }[]).map((c) => c.name));
    if (!keyColumns.has('tenant')) {
      // a primary key cannot change in place: copy the keys into a table of the new shape
      db.exec(`CREATE TABLE start_keys_v4 (${START_KEYS_COLUMNS}) WITHOUT ROWID;
        INSERT INTO start_keys_v4 (tenant, scope, key, run_id) SELECT 'default', scope, key, run_id FROM start_keys;
        DROP TABLE start_keys;
        ALTER TABLE start_keys_v4 RENAME TO start_keys;`);
    }
    if (Number(row.value) < 7) chainStoredEvents(db);
    upgradeToSchema8(db);
    db.run('UPDATE meta SET value = ? WHERE key = ?', [String(SCHEMA_VERSION), 'schema']);
  }
}

/** How `runs.definition` refers to a row of `definitions`. */
export const DEFINITION_REF = 'sha256:';

/**
 * A long text (a definition's JSON, a source file) as the UTF-8 bytes to bind where the SQL stores it as TEXT:
 * `CAST(? AS TEXT)` in the statement (the same TEXT value; readers are unchanged). node-sqlite3-wasm copies a bound JS
 * string into its WebAssembly heap one character at a time in JavaScript — the ~0.9 MB definition of a 1,000-step
 * flow took ~0.3 s of a fresh `baton run` (cold code) —, bytes in one copy (~20 ms; bench/README.md, issue 15).
 * Short values (ids, events) stay strings.
 */
export function textBytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

const definitionKeys = new WeakMap<WorkflowDefinition, { hash: string; body: string }>();

/** A definition's JSON and its SHA-256 (hex), computed once per definition object. */
export function definitionKey(definition: WorkflowDefinition): { hash: string; body: string } {
  let key = definitionKeys.get(definition);
  if (!key) {
    const body = JSON.stringify(definition);
    key = { hash: createHash('sha256').update(body).digest('hex'), body };
    definitionKeys.set(definition, key);
  }
  return key;
}

/** A row of `runs` as SQLite returns it (JSON columns as text; `tenant` absent before schema 3). */
export interface RunRow {
  id: string;
  flow: string;
  file: string | null;
  status: string;
  started_at: string;
  finished_at: string | null;
  inputs: string;
  outputs: string;
  error: string | null;
  waiting_on: string;
  cancel_requested: number;
  agents: string | null;
  tenant?: string;
  /** Schema 8 (absent from the rows of a read that does not select them). */
  duration_ms?: number | null;
  sla_due_at?: string | null;
  sla_flow_at?: string | null;
  sla_breached_at?: string | null;
}

/** A `runs` row as a {@link RunRecord} (JSON columns parsed). */
export function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    flow: row.flow,
    file: row.file,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    inputs: JSON.parse(row.inputs),
    outputs: JSON.parse(row.outputs),
    error: row.error ? JSON.parse(row.error) : null,
    waitingOn: JSON.parse(row.waiting_on),
    cancelRequested: row.cancel_requested === 1,
    tenant: row.tenant ?? 'default',
    ...(row.agents ? { agents: JSON.parse(row.agents) as RunAgents } : {}),
    ...(row.duration_ms != null ? { durationMs: row.duration_ms } : {}),
    ...(row.sla_due_at ? { slaDueAt: row.sla_due_at } : {}),
    ...(row.sla_flow_at ? { slaFlowAt: row.sla_flow_at } : {}),
    ...(row.sla_breached_at ? { slaBreachedAt: row.sla_breached_at } : {}),
  };
}

/** The `SET` assignments (`column = ?`) and their values for the fields given (the JSON ones as text); none when none is. */
export function updateColumns(fields: RunUpdate): { sets: string[]; values: (string | null)[] } {
  const sets: string[] = [];
  const values: (string | null)[] = [];
  const set = (column: string, value: string | null): void => {
    sets.push(`${column} = ?`);
    values.push(value);
  };
  if (fields.status !== undefined) set('status', fields.status);
  if (fields.finishedAt !== undefined) set('finished_at', fields.finishedAt);
  if (fields.outputs !== undefined) set('outputs', JSON.stringify(fields.outputs));
  if (fields.error !== undefined) set('error', fields.error ? JSON.stringify(fields.error) : null);
  if (fields.waitingOn !== undefined) set('waiting_on', JSON.stringify(fields.waitingOn));
  if (fields.agents !== undefined) set('agents', JSON.stringify(fields.agents));
  if (fields.slaDueAt !== undefined) set('sla_due_at', fields.slaDueAt);
  return { sets, values };
}

/** The `runs` columns a {@link RunRow} holds, as selected. */
export const RUN_COLUMNS = 'id, flow, file, status, started_at, finished_at, inputs, outputs, error, waiting_on, cancel_requested, agents, tenant, duration_ms, sla_due_at, sla_flow_at, sla_breached_at';

/** The `SELECT` of `RunStore.listRuns`: runs matching `filter`, newest first, at most `limit` (default 50). */
export function listRunsQuery(filter: RunFilter): { sql: string; values: (string | number)[] } {
  const where = (['status', 'flow', 'tenant'] as const).filter((column) => filter[column]);
  const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? 'WHERE ' + where.map((c) => `${c} = ?`).join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
  return { sql, values: [...where.map((column) => filter[column]!), filter.limit ?? 50] };
}
