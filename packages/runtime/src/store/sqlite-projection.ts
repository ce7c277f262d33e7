// What a stored event adds beside it in the SQLite store (schema 8, issue 13), written by `RunStore.writePending` in
// the transaction that stores the event: a `step.finished` event's `run_steps` row, and — while `meta` holds
// `notifications = 'on'` — an `approval.requested` / `run.failed` / `sla.breached` event's notification (the outbox).
// Every event of a SQLite store is written there (its hash chain is computed there), so every writer feeds both.
// Not triggers: a trigger program runs for every event inserted (two per step); the two triggers this replaced added
// 38 µs of CPU per step to a 1,000-step chain, these statements add 11 µs (bench/README.md, `schema8-triggers`).
// PostgreSQL's migration 7 keeps a statement trigger (one call per flush).
import type { RunEvent } from '@baton/protocol';
import type { HashedEvent } from './event-chain.js';
import type { StatementCache } from './sqlite-statements.js';
import { textBytes } from './sqlite-schema.js';

/** The most events one `INSERT` writes (a commit of more is written in several); a step's commit has two. */
const EVENTS_PER_INSERT = 8;

/**
 * `INSERT INTO events` of `rows` rows (one prepared statement kept per row count). The run id, time, payload and
 * hashes are bound as UTF-8 bytes and stored as TEXT (`CAST(? AS TEXT)`, see `textBytes`): node-sqlite3-wasm copies a
 * bound string into its heap one character at a time in JavaScript, bytes in one copy (~1.5–2 µs less per value).
 */
const eventsInsert = Array.from({ length: EVENTS_PER_INSERT + 1 }, (_, rows) =>
  `INSERT INTO events (run_id, seq, type, time, data, prev_hash, hash) VALUES ${Array.from({ length: rows }, () => '(CAST(? AS TEXT), ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))').join(', ')}`,
);

/**
 * Writes hashed events (event-chain.ts) in the open transaction, in order, with what each adds beside it
 * ({@link projectEvent}): up to {@link EVENTS_PER_INSERT} rows per statement, so a step's commit runs one `INSERT` for
 * its two events instead of two (fewer calls into the WebAssembly SQLite). Run id, seq and time live in their columns
 * only: smaller rows, fewer pages written per commit.
 */
export function insertEvents(statements: StatementCache, hashed: readonly HashedEvent[]): void {
  for (let from = 0; from < hashed.length; from += EVENTS_PER_INSERT) {
    const rows = hashed.slice(from, from + EVENTS_PER_INSERT);
    const values: (Uint8Array | string | number | null)[] = [];
    for (const { runId, event, data, prev, hash } of rows) {
      values.push(textBytes(runId), event.seq, event.type, textBytes(event.time), textBytes(data), prev === null ? null : textBytes(prev), textBytes(hash));
    }
    statements.use(eventsInsert[rows.length], (s) => s.run(values));
  }
  for (const { runId, event } of hashed) projectEvent(statements, runId, event);
}

/** `run_steps`' row of a step (the run's tenant and flow read from `runs`). */
const RUN_STEP_INSERT = `INSERT OR IGNORE INTO run_steps (run_id, seq, tenant, flow, node, step, status, finished_at, duration_ms, attempts, tokens, cost_nano)
  SELECT ?, ?, r.tenant, r.flow, ?, ?, ?, ?, ?, ?, ?, ? FROM runs r WHERE r.id = ?`;

/** The outbox's row of an event, only while the flag is on. */
const OUTBOX_INSERT = `INSERT OR IGNORE INTO notifications (id, tenant, run_id, seq, kind, flow, created_at)
  SELECT ?, r.tenant, ?, ?, ?, r.flow, ? FROM runs r JOIN meta m ON m.key = 'notifications' AND m.value = 'on' WHERE r.id = ?`;

/** The event types the outbox keeps, and the notification kind each becomes. */
const OUTBOX_KINDS: ReadonlyMap<string, string> = new Map([
  ['approval.requested', 'approval.waiting'],
  ['run.failed', 'run.failed'],
  ['sla.breached', 'sla.breached'],
]);

/**
 * A number rounded as both stores round the step figures (`floor(x + 0.5)` of the double, PostgreSQL's migration 7
 * and the schema-8 upgrade's `CAST(x + 0.5 AS INTEGER)` alike for x ≥ 0), `scale` first; null when not a number.
 */
function rounded(value: unknown, scale = 1): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.floor(value * scale + 0.5) : null;
}

/** Writes what `event` (of run `runId`, just inserted in the open transaction) adds beside it: see the module comment. */
export function projectEvent(statements: StatementCache, runId: string, event: RunEvent): void {
  if (event.type === 'step.finished') {
    const step = event as Partial<Extract<RunEvent, { type: 'step.finished' }>> & RunEvent;
    statements.use(RUN_STEP_INSERT, (s) =>
      s.run([runId, event.seq, step.node ?? null, step.step ?? null, step.status ?? null, event.time, rounded(step.durationMs), rounded(step.attempts), rounded(step.tokens), rounded(step.costUsd, 1e9), runId]),
    );
    return;
  }
  const kind = OUTBOX_KINDS.get(event.type);
  if (kind) statements.use(OUTBOX_INSERT, (s) => s.run([`${runId}:${event.seq}`, runId, event.seq, kind, event.time, runId]));
}
