// What a stored event adds beside it in the SQLite store (schema 8, issue 13), written by `RunStore.writePending` in
// the transaction that stores the event: the notification of an `approval.requested` / `run.failed` / `sla.breached`
// event while `meta` holds `notifications = 'on'` (the outbox); and the step projection `run_steps`, written per
// batch of steps instead of per step (issue 15, {@link StepRows}): a run's rows are added, from its stored
// `step.finished` events, in the transaction that ends it and every {@link STEP_ROWS_BATCH} steps before (so an end
// never has more to write), and a `step.finished` stored after the end (a late branch) adds its own row at once. The
// rows of a run always cover a prefix of its steps; while it has not ended, its steps are read from its events
// (sqlite-stats.ts), so the metrics never lag. A step's commit then writes one B-tree page (the events'), not two:
// each page is journaled and written (bench/issue-15.md, "2026-12-06 morning").
// Every event of a SQLite store is written here (its hash chain is computed here), so every writer feeds both.
// Not triggers: a trigger program runs for every event inserted (two per step); the two triggers this replaced added
// 38 µs of CPU per step to a 1,000-step chain (bench/README.md, `schema8-triggers`).
// PostgreSQL's migration 7 keeps a statement trigger (one call per flush), writing `run_steps` with every step.
import type { RunEvent } from '@baton/protocol';
import type { HashedEvent } from './event-chain.js';
import type { StatementCache } from './sqlite-statements.js';
import { RUN_STEP_COLUMNS, RUN_STEP_VALUES } from './sqlite-schema-8.js';
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
 * Writes hashed events (event-chain.ts) in the open transaction, in order, with their notifications (the step rows
 * are {@link StepRows}'): up to {@link EVENTS_PER_INSERT} rows per statement, so a step's commit runs one `INSERT` for
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
  for (const { runId, event } of hashed) addToOutbox(statements, runId, event);
}

/** The run statuses that end a run: its `run_steps` rows are in the table from then on (see the module comment). */
export const ENDED_STATUSES_SQL = "'succeeded', 'failed', 'cancelled'";

/**
 * `run_steps`' rows of a run's stored `step.finished` events after the last one it has a row for (its rows cover a
 * prefix of its steps: see the module comment). Bound: the run id, twice.
 */
const RUN_STEPS_OF_RUN = `INSERT OR IGNORE INTO run_steps (${RUN_STEP_COLUMNS})
  SELECT ${RUN_STEP_VALUES('e')} FROM events e JOIN runs r ON r.id = e.run_id
  WHERE e.run_id = ? AND e.type = 'step.finished' AND e.seq > (SELECT COALESCE(MAX(seq), 0) FROM run_steps WHERE run_id = ?)`;

/** `run_steps`' row of one stored `step.finished` event, only when its run has ended (bound: run id, seq). */
const RUN_STEP_OF_ENDED_RUN = `INSERT OR IGNORE INTO run_steps (${RUN_STEP_COLUMNS})
  SELECT ${RUN_STEP_VALUES('e')} FROM runs r JOIN events e ON e.run_id = r.id AND e.seq = ? WHERE r.id = ? AND r.status IN (${ENDED_STATUSES_SQL})`;

/**
 * Adds run `runId`'s `run_steps` rows for its stored `step.finished` events that have none yet, in the open
 * transaction. Rounds as the schema-8 upgrade does (`CAST(x + 0.5 AS INTEGER)`, PostgreSQL's `floor(x + 0.5)` alike
 * for x ≥ 0).
 */
export function projectRunSteps(statements: StatementCache, runId: string): void {
  statements.use(RUN_STEPS_OF_RUN, (s) => s.run([runId, runId]));
}

/** How many stored steps of a running run a store handle lets wait before it writes their rows (≈ 4–40 ms of work). */
export const STEP_ROWS_BATCH = 1000;

/**
 * When a store handle writes `run_steps` rows (see the module comment): with a run's end, every
 * {@link STEP_ROWS_BATCH} steps of a run it writes, and with a step of a run that has ended. Whether a run has ended
 * is looked up per `step.finished` (a `runs` row read), except for a run whose lease the handle holds and which it
 * has not ended itself: nobody else ends a leased run. What it remembers of a run is dropped when its lease is let go.
 */
export class StepRows {
  /** Steps written by this handle since the run's rows were last written, by run. */
  private readonly waiting = new Map<string, number>();
  /** Runs this handle ended while holding their lease (until it sets another status or lets the lease go). */
  private readonly ended = new Set<string>();

  /** @param holds whether this handle holds run `runId`'s lease (its writes fenced: see `RunLeases.holds`). */
  constructor(
    private readonly statements: StatementCache,
    private readonly holds: (runId: string) => boolean,
  ) {}

  /**
   * Writes `hashed` (see {@link insertEvents}); then, per `step.finished`, its row when its run has ended (looked up
   * unless this handle holds the run's lease and has not ended it), and the rows of a run with a batch waiting.
   */
  insert(hashed: readonly HashedEvent[]): void {
    insertEvents(this.statements, hashed);
    for (const { runId, event } of hashed) {
      if (event.type !== 'step.finished') continue;
      if (!this.holds(runId) || this.ended.has(runId)) this.statements.use(RUN_STEP_OF_ENDED_RUN, (s) => s.run([event.seq, runId]));
      const waiting = (this.waiting.get(runId) ?? 0) + 1;
      if (waiting < STEP_ROWS_BATCH) {
        this.waiting.set(runId, waiting);
      } else {
        projectRunSteps(this.statements, runId);
        this.waiting.delete(runId);
      }
    }
  }

  /** In the transaction that sets run `runId`'s status: writes its rows when `ended`, else forgets that it ended. */
  statusSet(runId: string, ended: boolean): void {
    if (!ended) {
      this.ended.delete(runId);
      return;
    }
    projectRunSteps(this.statements, runId);
    this.waiting.delete(runId);
    if (this.holds(runId)) this.ended.add(runId);
  }

  /** The handle let run `runId`'s lease go: nothing about it is kept. */
  released(runId: string): void {
    this.ended.delete(runId);
    this.waiting.delete(runId);
  }
}

/** The outbox's row of an event, only while the flag is on. */
const OUTBOX_INSERT = `INSERT OR IGNORE INTO notifications (id, tenant, run_id, seq, kind, flow, created_at)
  SELECT ?, r.tenant, ?, ?, ?, r.flow, ? FROM runs r JOIN meta m ON m.key = 'notifications' AND m.value = 'on' WHERE r.id = ?`;

/** The event types the outbox keeps, and the notification kind each becomes. */
const OUTBOX_KINDS: ReadonlyMap<string, string> = new Map([
  ['approval.requested', 'approval.waiting'],
  ['run.failed', 'run.failed'],
  ['sla.breached', 'sla.breached'],
]);

/** Adds `event`'s notification to the outbox (see the module comment), in the open transaction. */
function addToOutbox(statements: StatementCache, runId: string, event: RunEvent): void {
  const kind = OUTBOX_KINDS.get(event.type);
  if (kind) statements.use(OUTBOX_INSERT, (s) => s.run([`${runId}:${event.seq}`, runId, event.seq, kind, event.time, runId]));
}
