// Signals of the PostgreSQL store — decisions, delivered events, cancellations: what each appends to a run, decided
// against the run's row locked in the signal's transaction (see `PgRunStore.signal`).
import type { PoolClient } from 'pg';
import type { NewRunEvent, RunEvent, WaitingOn } from '@baton/protocol';
import { assertNotFinished, BatonError, withdrawnGroup, type RunRecord } from '@baton/runtime';
import { insertEvents, RUN_COLUMNS, toRecord, type RunRow } from './pg-rows.js';

/**
 * What a signal writes: its events (at the log's end), then `sql` (params: the run id, and with `closing` the last
 * event's time), and the run's `waitingOn` when it changes (an arm of a `wait first` resolved).
 */
export interface SignalPlan {
  events: NewRunEvent[];
  sql?: string;
  closing?: boolean;
  waitingOn?: WaitingOn[];
}

/**
 * In the open transaction: locks run `found`'s row (FOR NO KEY UPDATE: one signal at a time, and never inside a
 * fenced flush), asks `decide` for the plan against the locked row, and writes it at the log's end.
 * @returns the events written. @throws BatonError `RUN_NOT_FOUND` (`asked`: the id as given), `RUN_FINISHED`, and what
 *   `decide` throws.
 */
export async function signalInTransaction(client: PoolClient, found: RunRecord, asked: string, location: string, decide: (run: RunRecord) => SignalPlan): Promise<RunEvent[]> {
  const { rows } = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1 AND tenant = $2 FOR NO KEY UPDATE`, [found.id, found.tenant]);
  if (!rows[0]) throw new BatonError('RUN_NOT_FOUND', `no run with id "${asked}" in ${location}`);
  const run = toRecord(rows[0]);
  assertNotFinished(run);
  const plan = decide(run);
  const last = await client.query<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE run_id = $1', [run.id]);
  let seq = (last.rows[0]?.seq ?? 0) + 1;
  const now = new Date().toISOString();
  const events = plan.events.map((e) => ({ ...e, runId: run.id, seq: seq++, time: now }) as RunEvent);
  await insertEvents(client, events.map((event) => ({ runId: run.id, event })));
  if (plan.sql) await client.query(plan.sql, plan.closing ? [run.id, now] : [run.id]);
  if (plan.waitingOn) await client.query('UPDATE runs SET waiting_on = $2 WHERE id = $1', [run.id, JSON.stringify(plan.waitingOn)]);
  return events;
}

/**
 * A signal's plan: the event, and — when it resolves an arm of a `wait first` — the run's `waitingOn` without the
 * group's waits, written in the same transaction (see `withdrawnGroup` in the runtime's signal rules).
 */
export function withGroup(run: RunRecord, event: NewRunEvent): SignalPlan {
  const waitingOn = withdrawnGroup(run, event);
  return waitingOn ? { events: [event], waitingOn } : { events: [event] };
}

/** A cancellation's plan: a running run is flagged (it stops at its next step); any other is cancelled at once. */
export function cancelPlan(run: RunRecord, by: string | undefined): SignalPlan {
  if (run.status === 'running') return { events: [{ type: 'cancel.requested', by }], sql: 'UPDATE runs SET cancel_requested = true WHERE id = $1' };
  return {
    events: [{ type: 'cancel.requested', by }, { type: 'run.cancelled', outputs: run.outputs }],
    sql: "UPDATE runs SET status = 'cancelled', finished_at = $2, waiting_on = '[]' WHERE id = $1",
    closing: true,
  };
}
