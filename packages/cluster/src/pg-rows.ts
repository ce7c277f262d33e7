// The rows of the PostgreSQL run store as its statements read and write them: a `runs` row as a RunRecord, events
// inserted in one statement, a run's state update by column, and the fenced write of a flush (FLUSH_SQL).
import type { PoolClient } from 'pg';
import type { JsonValue, RunAgents, RunEvent, RunStatus, WaitingOn } from '@baton/protocol';
import type { HashedEvent, NewRun, RunFilter, RunRecord, RunUpdate } from '@baton/runtime';
import { hashInTransaction } from './pg-chain.js';
import { writePgSources } from './pg-sources.js';
import type { BufferedEvent } from './pg-run-leases.js';

/** How `runs.definition` refers to a row of `definitions` (as in the SQLite store). */
export const DEFINITION_REF = 'sha256:';

/** A run row as selected ({@link RUN_COLUMNS}); node-postgres parses json columns and timestamptz (to Date). */
export interface RunRow {
  id: string;
  tenant: string;
  flow: string;
  file: string | null;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  error: { code: string; message: string } | null;
  waiting_on: WaitingOn[];
  cancel_requested: boolean;
  agents: RunAgents | null;
  /** Migration 7: `bigint` (node-postgres reads it as text). */
  duration_ms: string | null;
  sla_due_at: Date | null;
  sla_flow_at: Date | null;
  sla_breached_at: Date | null;
}

export const RUN_COLUMNS = 'id, tenant, flow, file, status, started_at, finished_at, inputs, outputs, error, waiting_on, cancel_requested, agents, duration_ms, sla_due_at, sla_flow_at, sla_breached_at';

/**
 * Fast path of a write: one statement (one round trip, one implicit transaction) that locks the fenced runs whose
 * epoch is still the one this handle claimed and — only if all of them are, so a lost lease writes nothing —
 * inserts every buffered event — with its chain links (`$9` prev_hash, `$10` hash: see `PgRunStore.write`) — and applies
 * the runs' state updates (`$8`: a JSON array of {@link UpdateDoc}s). A
 * seq taken meanwhile fails the insert (unique violation) and the write takes {@link PgRunStore.writeBuffered}'s
 * path. The row lock (FOR NO KEY UPDATE) conflicts with a claim's UPDATE of the epoch: a claim waits for this
 * commit, or this statement re-reads the claimed row and finds its epoch changed. It also returns which fenced
 * runs were asked to stop (`cancelled`), so the executor's cancellation checks need no query of their own.
 * The update's JSON values are taken with `->` from a `json` (not `jsonb`) document: the `json` columns' text is
 * kept as written (key order, `\u0000`); `waiting_on` and `agents` are `jsonb` columns.
 */
export const FLUSH_SQL = `
WITH fence AS (
  SELECT r.id, r.cancel_requested FROM runs r JOIN unnest($6::text[], $7::bigint[]) AS f(id, epoch) ON r.id = f.id AND r.epoch = f.epoch
  FOR NO KEY UPDATE OF r
), held AS (
  SELECT count(*) = cardinality($6::text[]) AS ok FROM fence
), ins AS (
  INSERT INTO events (run_id, seq, type, time, data, prev_hash, hash)
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::json[], $9::text[], $10::text[])
  WHERE (SELECT ok FROM held)
  RETURNING 1
), upd AS (
  UPDATE runs r SET
    status = CASE WHEN u.doc->'status' IS NULL THEN r.status ELSE u.doc->>'status' END,
    finished_at = CASE WHEN u.doc->'finished_at' IS NULL THEN r.finished_at ELSE (u.doc->>'finished_at')::timestamptz END,
    outputs = COALESCE(u.doc->'outputs', r.outputs),
    error = CASE WHEN u.doc->'error' IS NULL THEN r.error WHEN json_typeof(u.doc->'error') = 'null' THEN NULL ELSE u.doc->'error' END,
    waiting_on = COALESCE((u.doc->'waiting_on')::jsonb, r.waiting_on),
    agents = COALESCE((u.doc->'agents')::jsonb, r.agents),
    sla_due_at = CASE WHEN u.doc->'sla_due_at' IS NULL THEN r.sla_due_at ELSE (u.doc->>'sla_due_at')::timestamptz END
  FROM json_array_elements($8::json) AS u(doc)
  WHERE r.id = u.doc->>'id' AND (SELECT ok FROM held)
  RETURNING 1
)
SELECT (SELECT count(*) FROM fence)::int AS fenced, (SELECT count(*) FROM ins)::int AS inserted,
  ARRAY(SELECT id FROM fence WHERE cancel_requested) AS cancelled`;

/**
 * A run's state update ({@link PgRunStore.updateRun}) by column: only the columns given are set; a JSON `null` sets
 * `finished_at` and `error` to SQL NULL (the other JSON columns store it as JSON null, as before).
 */
export type UpdateDoc = { status?: string; finished_at?: string | null; outputs?: JsonValue; error?: JsonValue; waiting_on?: JsonValue; agents?: JsonValue; sla_due_at?: string | null };

/** The {@link UpdateDoc} of a run's state update: the fields given, by column. */
export function updateDoc(fields: RunUpdate): UpdateDoc {
  const doc: UpdateDoc = {};
  if (fields.status !== undefined) doc.status = fields.status;
  if (fields.finishedAt !== undefined) doc.finished_at = fields.finishedAt;
  if (fields.outputs !== undefined) doc.outputs = fields.outputs;
  if (fields.error !== undefined) doc.error = fields.error ? (fields.error as unknown as JsonValue) : null;
  if (fields.waitingOn !== undefined) doc.waiting_on = fields.waitingOn as unknown as JsonValue;
  if (fields.agents !== undefined) doc.agents = fields.agents as unknown as JsonValue;
  if (fields.slaDueAt !== undefined) doc.sla_due_at = fields.slaDueAt;
  return doc;
}

/** The `SELECT` of `listRuns`: runs matching `filter`, newest first, at most `limit` (default 50). */
export function listRunsQuery(filter: RunFilter): { sql: string; values: unknown[] } {
  const where = (['status', 'flow', 'tenant'] as const).filter((column) => filter[column]);
  const values: unknown[] = [...where.map((column) => filter[column]), filter.limit ?? 50];
  const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? 'WHERE ' + where.map((column, i) => `${column} = $${i + 1}`).join(' AND ') : ''} ORDER BY id DESC LIMIT $${values.length}`;
  return { sql, values };
}

/** The columns an {@link UpdateDoc} may set, in the order {@link updateStatement} writes them. */
const UPDATE_COLUMNS = ['status', 'finished_at', 'outputs', 'error', 'waiting_on', 'agents', 'sla_due_at'] as const;

/** The UPDATE statement of `doc` for run `id` (the careful path's; the fast path sends the document itself). */
export function updateStatement(id: string, doc: UpdateDoc): { sql: string; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const column of UPDATE_COLUMNS) {
    if (!(column in doc)) continue;
    const value = doc[column];
    values.push(column === 'status' || column === 'finished_at' || column === 'sla_due_at' || (column === 'error' && value === null) ? value : JSON.stringify(value));
    sets.push(`${column} = $${values.length}`);
  }
  values.push(id);
  return { sql: `UPDATE runs SET ${sets.join(', ')} WHERE id = $${values.length}`, values };
}

/** The JSON stored in `events.data`: the event without the columns of its own (run id, seq, time), as SQLite does. */
export function eventData(event: RunEvent): string {
  const { runId: _r, seq: _s, time: _t, ...data } = event;
  return JSON.stringify(data);
}

/**
 * Inserts `events` (their seqs as given, final) in one statement, chained: each carries the hash of the event before
 * it (read in this transaction for a run's first one here) and its own (see the runtime's event-chain.ts).
 * @returns the events as hashed (the last of a run is its new head).
 */
export async function insertEvents(client: PoolClient, events: BufferedEvent[]): Promise<HashedEvent[]> {
  if (events.length === 0) return [];
  const hashed = await hashInTransaction(client, events);
  await client.query('INSERT INTO events (run_id, seq, type, time, data, prev_hash, hash) SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::json[], $6::text[], $7::text[])', [
    hashed.map((p) => p.runId),
    hashed.map((p) => p.event.seq),
    hashed.map((p) => p.event.type),
    hashed.map((p) => p.event.time),
    hashed.map((p) => p.data),
    hashed.map((p) => p.prev),
    hashed.map((p) => p.hash),
  ]);
  return hashed;
}

/** A `runs` row as a {@link RunRecord}. */
export function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    flow: row.flow,
    file: row.file,
    status: row.status as RunStatus,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    inputs: row.inputs,
    outputs: row.outputs,
    error: row.error,
    waitingOn: row.waiting_on,
    cancelRequested: row.cancel_requested,
    tenant: row.tenant,
    ...(row.agents ? { agents: row.agents } : {}),
    ...(row.duration_ms != null ? { durationMs: Number(row.duration_ms) } : {}),
    ...(row.sla_due_at ? { slaDueAt: row.sla_due_at.toISOString() } : {}),
    ...(row.sla_flow_at ? { slaFlowAt: row.sla_flow_at.toISOString() } : {}),
    ...(row.sla_breached_at ? { slaBreachedAt: row.sla_breached_at.toISOString() } : {}),
  };
}

/**
 * Inserts run `id` in the open transaction: its definition (unless `definition.known`: stored once per SHA-256, `hash`
 * of `body`), its sources (`init.sources`, see pg-sources.ts), its row, its start key when given, and its first event (`init.started`, as seq 1 at `startedAt`: no
 * reader ever finds the run without it).
 * @returns false — the rest not inserted — when another run holds the start key (the caller rolls back).
 */
export async function insertRun(client: PoolClient, id: string, init: NewRun, definition: { hash: string; body: string; known: boolean }, startKey?: { scope: string; key: string }): Promise<boolean> {
  if (!definition.known) await client.query('INSERT INTO definitions (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [definition.hash, definition.body]);
  await writePgSources(client, definition.hash, init.sources);
  await client.query(
    'INSERT INTO runs (id, tenant, flow, file, status, started_at, inputs, definition, agents, sla_flow_at, sla_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
    [id, init.tenant ?? 'default', init.flow, init.file ?? null, init.status ?? 'running', init.startedAt, JSON.stringify(init.inputs), `${DEFINITION_REF}${definition.hash}`, init.agents ? JSON.stringify(init.agents) : null, init.slaFlowAt ?? null, init.slaDueAt ?? null],
  );
  if (startKey) {
    const claimed = await client.query('INSERT INTO start_keys (tenant, scope, key, run_id) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, scope, key) DO NOTHING RETURNING run_id', [init.tenant ?? 'default', startKey.scope, startKey.key, id]);
    if (claimed.rowCount === 0) return false;
  }
  if (init.started) await insertEvents(client, [{ runId: id, event: { ...init.started, runId: id, seq: 1, time: init.startedAt } as RunEvent }]);
  return true;
}
