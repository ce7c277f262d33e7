// Schema 8 of the SQLite run store (issue 13, the operations console): the list's indexes, the run duration and SLA
// columns, the step projection `run_steps`, SLA breaches, source texts, and the notifications outbox (both written
// with their events: sqlite-projection.ts). Tables, columns and indexes only: the
// methods reading and writing them live in sqlite-stats.ts, sqlite-sources.ts, sqlite-sla.ts and sqlite-outbox.ts.
import type sqlite from 'node-sqlite3-wasm';

type Db = InstanceType<(typeof sqlite)['Database']>;

/**
 * A run's wall time, ms: `finished_at − started_at` computed exactly from the ISO 8601 texts (whole seconds by
 * `strftime('%s')`, then the milliseconds the texts carry), null while the run has not finished. Written by no one:
 * `runs.duration_ms` is a generated column, so it is set whenever `finished_at` is, by every writer, and is there
 * for the runs stored before schema 8 too.
 */
const DURATION_MS_SQL =
  "CASE WHEN finished_at IS NULL THEN NULL ELSE (CAST(strftime('%s', finished_at) AS INTEGER) - CAST(strftime('%s', started_at) AS INTEGER)) * 1000 + (CAST(substr(finished_at, 21, 3) AS INTEGER) - CAST(substr(started_at, 21, 3) AS INTEGER)) END";

/**
 * The `runs` columns schema 8 adds, as `ALTER TABLE runs ADD COLUMN` takes them (in a new store's `CREATE TABLE`
 * too):
 * - `duration_ms`: see {@link DURATION_MS_SQL};
 * - `sla_due_at`: the nearest SLA deadline not yet breached (ISO 8601), null when none — what the SLA pollers look for;
 * - `sla_flow_at`: the flow's SLA deadline (`startedAt + sla`), null when the flow has none;
 * - `sla_breached_at`: when the run's first SLA breach was recorded (the list's red mark), null when none.
 */
export const RUNS_COLUMNS_8: readonly [name: string, definition: string][] = [
  ['duration_ms', `duration_ms INTEGER GENERATED ALWAYS AS (${DURATION_MS_SQL}) VIRTUAL`],
  ['sla_due_at', 'sla_due_at TEXT'],
  ['sla_flow_at', 'sla_flow_at TEXT'],
  ['sla_breached_at', 'sla_breached_at TEXT'],
];

/**
 * `run_steps`' columns from `node` on, of a `step.finished` event `E`: their values in order (read from `E` alone),
 * each named as its column when `named`. The figures are rounded as `floor(x + 0.5)` (x ≥ 0), as PostgreSQL's
 * migration 7 rounds them.
 */
export const STEP_EVENT_VALUES = (e: string, named = false): string =>
  [
    [`json_extract(${e}.data, '$.node')`, 'node'],
    [`json_extract(${e}.data, '$.step')`, 'step'],
    [`json_extract(${e}.data, '$.status')`, 'status'],
    [`${e}.time`, 'finished_at'],
    [`CAST(json_extract(${e}.data, '$.durationMs') + 0.5 AS INTEGER)`, 'duration_ms'],
    [`json_extract(${e}.data, '$.attempts')`, 'attempts'],
    [`CAST(json_extract(${e}.data, '$.tokens') + 0.5 AS INTEGER)`, 'tokens'],
    [`CAST(json_extract(${e}.data, '$.costUsd') * 1000000000 + 0.5 AS INTEGER)`, 'cost_nano'],
  ]
    .map(([value, column]) => (named ? `${value} AS ${column}` : value))
    .join(', ');

/** `run_steps`' row of a `step.finished` event `E` (with its run `r`): the values of its columns in order. */
export const RUN_STEP_VALUES = (e: string): string => `${e}.run_id, ${e}.seq, r.tenant, r.flow, ${STEP_EVENT_VALUES(e)}`;

/** `run_steps`' columns, in the order {@link RUN_STEP_VALUES} gives their values. */
export const RUN_STEP_COLUMNS = 'run_id, seq, tenant, flow, node, step, status, finished_at, duration_ms, attempts, tokens, cost_nano';

/**
 * Schema 8's tables and indexes, created when missing (every statement is `IF NOT EXISTS`): run on every
 * open after the upgrade, so a new store and an upgraded one end alike.
 *
 * - `runs_tenant*`: the runs list's keyset queries — tenant, then flow and/or status, then id (newest first).
 * - `run_steps`: one row per `step.finished` event — the run's tenant and flow, the step's node and instance key,
 *   status, when it finished, its wall time (ms), attempts, tokens and cost (nano-dollars: `costUsd × 10⁹` rounded;
 *   null when unpriced). Written by the store from a run's events in the transaction that ends the run and every
 *   1,000 steps before, and for a step stored after the end with its event (sqlite-projection.ts), so by every
 *   writer; a run that has not ended is
 *   read from its events (sqlite-stats.ts). Read by run (its primary key: the metrics join the window's runs to their steps); no other index, as each
 *   one is one more page written by a step's commit (bench/README.md, `schema8-triggers`).
 * - `sla_breaches`: one row per (run, SLA key: `flow` or `approval:<task>`) — unique, so any number of pollers
 *   record a breach once.
 * - `sources` (text by SHA-256 hex) and `definition_sources` (definition hash, file → source hash): the `.flow` texts
 *   a stored definition was compiled from.
 * - `notifications`: the outbox. A row, id `<run id>:<seq>`, for every `approval.requested` (kind
 *   `approval.waiting`), `run.failed` and `sla.breached` event, written with the event (sqlite-projection.ts) — only
 *   while `meta` holds `notifications = 'on'` (`baton serve` sets it when channels are configured). `expanded` is 0
 *   until the dispatcher made its deliveries.
 * - `notification_deliveries`: one per (notification, channel), id `<notification id>:<channel>`; `status`
 *   `pending` | `sent` | `dead`; `next_at` when a pending one is due; `claimed_by`/`claimed_until` a dispatcher's
 *   claim (ISO 8601 times).
 */
export const SCHEMA_8_OBJECTS = `
  CREATE INDEX IF NOT EXISTS runs_tenant ON runs (tenant, id);
  CREATE INDEX IF NOT EXISTS runs_tenant_status ON runs (tenant, status, id);
  CREATE INDEX IF NOT EXISTS runs_tenant_flow ON runs (tenant, flow, id);
  CREATE INDEX IF NOT EXISTS runs_tenant_flow_status ON runs (tenant, flow, status, id);
  CREATE INDEX IF NOT EXISTS runs_sla_due ON runs (sla_due_at) WHERE sla_due_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS run_steps (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    tenant TEXT NOT NULL,
    flow TEXT NOT NULL,
    node TEXT,
    step TEXT,
    status TEXT,
    finished_at TEXT NOT NULL,
    duration_ms INTEGER,
    attempts INTEGER,
    tokens INTEGER,
    cost_nano INTEGER,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS sla_breaches (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    tenant TEXT NOT NULL,
    flow TEXT NOT NULL,
    deadline TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS sla_breaches_at ON sla_breaches (tenant, at);
  CREATE TABLE IF NOT EXISTS sources (hash TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS definition_sources (definition TEXT NOT NULL, file TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (definition, file)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    flow TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expanded INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS notifications_new ON notifications (expanded, id) WHERE expanded = 0;
  CREATE TABLE IF NOT EXISTS notification_deliveries (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    claimed_by TEXT,
    claimed_until TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS notification_deliveries_due ON notification_deliveries (status, next_at);
  CREATE INDEX IF NOT EXISTS notification_deliveries_tenant ON notification_deliveries (tenant, id);
`;

/**
 * Schema 7 → 8, inside the upgrade's transaction: adds the `runs` columns ({@link RUNS_COLUMNS_8}), creates
 * {@link SCHEMA_8_OBJECTS}, and fills `run_steps` from the `step.finished` events already stored (what the store
 * would have written with them: sqlite-projection.ts rounds alike). Runs, events and their chain are left as they were.
 */
export function upgradeToSchema8(db: Db): void {
  // table_xinfo, not table_info: a generated column is listed only there
  const columns = new Set((db.all('PRAGMA table_xinfo(runs)') as { name: string }[]).map((c) => c.name));
  for (const [name, definition] of RUNS_COLUMNS_8) if (!columns.has(name)) db.exec(`ALTER TABLE runs ADD COLUMN ${definition}`);
  db.exec(SCHEMA_8_OBJECTS);
  db.exec(`INSERT OR IGNORE INTO run_steps (${RUN_STEP_COLUMNS}) SELECT ${RUN_STEP_VALUES('e')} FROM events e JOIN runs r ON r.id = e.run_id WHERE e.type = 'step.finished'`);
}
