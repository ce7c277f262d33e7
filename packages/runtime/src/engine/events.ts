// `wait event "x" [as name] [where path == value] [timeout D] [on timeout { … }]` as the statement interpreter runs
// it: the wait is recorded once (`event.waiting`, with its correlation value evaluated when it starts), the delivery
// or the timeout once (`event.received`), and both are read back from the log after a resume — a run killed after
// the delivery continues with its data and never waits again.
import type { EventDef, JsonValue, RunEvent, WaitEventNode, WaitingOn } from '@baton/protocol';
import { evaluate } from '../expr/evaluate.js';
import { makeRecord } from '../expr/values.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { Suspended, type WaitHost } from './waits.js';
import { takeBufferedEvent } from './event-buffer.js';

/** The key of a `wait event` instance: its name (with sub-flow prefix and loop indexes) or, unnamed, `event@<node id>`. */
export function eventWaitKey(frame: Frame, s: WaitEventNode): string {
  return stepKey(frame, s.name ? s.name : `event@${s.id}`);
}

/**
 * Runs one `wait event`. Named (`as x`), it sets `x` to `{ data, status, at }`: `status` `received` with the
 * event's data and time, or `timeout` (data null) when its deadline passed; while it waits, `waiting`.
 * @throws Suspended while the event has not come and the deadline has not passed.
 */
export async function waitEventStatement(host: WaitHost, s: WaitEventNode, frame: Frame): Promise<void> {
  const key = eventWaitKey(frame, s);
  let received = host.log.eventsReceived.get(key);
  let waiting = host.log.eventsWaiting.get(key);
  if (!received && !waiting) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    const deadline = s.timeoutMs !== undefined ? new Date(host.now().getTime() + s.timeoutMs).toISOString() : undefined;
    const where = s.where ? { path: s.where.path, value: toJson(evaluate(s.where.value, host.evalScope(frame))) } : undefined;
    waiting = host.emit({ type: 'event.waiting', key, node: s.id, event: s.event, deadline, ...(s.name ? { name: s.name } : {}), ...(where ? { where } : {}) }) as Extract<RunEvent, { type: 'event.waiting' }>;
  }
  if (!received && waiting) {
    // an event sent to the run before it waited (a persistent trigger), kept in its log
    const buffered = takeBufferedEvent(host.log, waiting, host.now());
    if (buffered) received = host.emit({ type: 'event.received', event: s.event, data: buffered.data, key, node: s.id, buffered: true, bufferId: buffered.id, ...(buffered.by !== undefined ? { by: buffered.by } : {}) }) as Extract<RunEvent, { type: 'event.received' }>;
  }
  if (!received && waiting && host.takeBroadcast && keepsBroadcasts(host.eventTypes[s.event])) {
    // a broadcast that reached no run, kept by the store for a later wait (its type says `buffer: D`)
    const kept = await host.takeBroadcast(key, s.event, waiting.where);
    if (kept) received = host.emit({ type: 'event.received', event: s.event, data: kept.data, key, node: s.id, buffered: true, bufferId: `kept:${kept.id}` }) as Extract<RunEvent, { type: 'event.received' }>;
  }
  if (!received && waiting?.deadline && host.now().getTime() >= Date.parse(waiting.deadline)) {
    received = host.emit({ type: 'event.received', event: s.event, data: null, key, node: s.id, timedOut: true }) as Extract<RunEvent, { type: 'event.received' }>;
  }
  if (!received) {
    if (s.name) frame.scope.set(s.name, makeRecord([['data', null], ['status', 'waiting'], ['at', null]]));
    const wait: Extract<WaitingOn, { kind: 'event' }> = { kind: 'event', key, node: s.id, event: s.event, deadline: waiting!.deadline };
    if (s.name) wait.name = s.name;
    if (waiting!.where) wait.where = waiting!.where;
    const data = host.eventTypes[s.event]?.data;
    if (data) wait.data = data;
    throw new Suspended([wait]);
  }
  const timedOut = received.timedOut === true;
  if (s.name) frame.scope.set(s.name, makeRecord([['data', timedOut ? null : received.data], ['status', timedOut ? 'timeout' : 'received'], ['at', timedOut ? null : received.time]]));
  if (s.onTimeout) {
    // the timeout arm (branch 0), else the received arm (-1: the last), as an approval's `on timeout`
    host.emitOnce({ type: 'branch.taken', node: s.id, scope: scopeKey(frame), branch: timedOut ? 0 : -1, label: timedOut ? `event ${s.event} timed out → on timeout` : `event ${s.event} received` });
    if (timedOut) await host.block(s.onTimeout, frame);
  }
}

/** Whether broadcasts of an event type are kept for later runs: only when its declaration says `buffer: D [max N]`. */
export function keepsBroadcasts(type: EventDef | undefined): boolean {
  return type?.buffer !== undefined && !type.buffer.transient;
}

/** An evaluated value as JSON (records made by the evaluator have no prototype; JSON round-trips them). */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}
