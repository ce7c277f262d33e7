/**
 * The rules every run store applies the same way (the SQLite store and `@baton/cluster`'s PostgreSQL store): what a
 * decision, a delivered event or a request may do to a stored run, and the event each records. The stores only
 * write what these return, so their messages and codes cannot drift apart (the conformance suite checks them).
 */
import { randomUUID } from 'node:crypto';
import { checkValue, DEFAULT_EVENT_BUFFER_MAX, DEFAULT_EVENT_BUFFER_MS, describeType, forEachStatement } from '@baton/protocol';
import type { EventDef, JsonValue, NewRunEvent, RunEvent, TypeRef, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import { dataAt, matchesWhere, openBufferedEvents } from '../engine/event-buffer.js';
import { BatonError } from '../errors.js';
import type { RunRecord } from './store-api.js';

/** @throws BatonError `RUN_FINISHED` when `run` has succeeded, failed or been cancelled. */
export function assertNotFinished(run: RunRecord): void {
  if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
    throw new BatonError('RUN_FINISHED', `run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}`);
  }
}

/**
 * The `approval.decided` event of a decision on `run`'s waiting approval `task`.
 * @param decision `approved`, `rejected` or one of the approval's options.
 * @throws BatonError `TASK_NOT_WAITING` (no such approval waiting — the message lists the waiting ones),
 *   `DECISION_INVALID`.
 */
export function decisionEvent(run: RunRecord, task: string, decision: { decision: string; by?: string; comment?: string }): NewRunEvent {
  const waiting = run.waitingOn.filter((w): w is Extract<WaitingOn, { kind: 'approval' }> => w.kind === 'approval');
  const target = waiting.find((w) => w.task === task);
  if (!target) {
    const names = waiting.map((w) => w.task);
    throw new BatonError(
      'TASK_NOT_WAITING',
      `run ${run.id} has no approval "${task}" waiting` + (names.length ? `; waiting: ${names.join(', ')}` : run.status === 'waiting' ? '' : ` (the run is ${run.status})`),
    );
  }
  const allowed = new Set(['approved', 'rejected', ...target.options]);
  if (!allowed.has(decision.decision)) {
    throw new BatonError('DECISION_INVALID', `"${decision.decision}" is not a decision of approval "${task}"; use one of ${[...allowed].join(', ')}`);
  }
  return { type: 'approval.decided', task, node: target.node, decision: decision.decision, by: decision.by, comment: decision.comment };
}

/**
 * The run's `waitingOn` once `event` (what {@link decisionEvent} or {@link eventSignal} returned) is recorded, when it
 * resolves an arm of a `wait first` (a wait with a `group`): every wait of that group is removed — this arm came
 * first, the others are withdrawn — in the transaction that records it, so a second decision or event for the group
 * is refused (`TASK_NOT_WAITING`; an event is kept or refused as for any event the run does not wait for now).
 * @returns undefined when `event` resolves no grouped wait (nothing to change).
 */
export function withdrawnGroup(run: RunRecord, event: NewRunEvent): WaitingOn[] | undefined {
  let target: WaitingOn | undefined;
  if (event.type === 'approval.decided') target = run.waitingOn.find((w) => w.kind === 'approval' && w.task === event.task);
  else if (event.type === 'event.received') target = run.waitingOn.find((w) => w.kind === 'event' && w.key === event.key);
  const group = target && groupOf(target);
  if (group === undefined) return undefined;
  return run.waitingOn.filter((w) => groupOf(w) !== group);
}

/** The `wait first` a wait is an arm of (see `ChoiceGroup` in protocol), if any. */
export function groupOf(wait: WaitingOn): string | undefined {
  return 'group' in wait ? wait.group : undefined;
}

/**
 * `TASK_NOT_WAITING` for a decision on an approval that was an arm of a `wait first` another arm beat says so, read
 * from the run's log: `run … has no approval "write_off" waiting: it was withdrawn, event payment.received came
 * first`. Any other error (or an approval that was no such arm): the error itself.
 */
export function explainWithdrawn(error: unknown, runId: string, task: string, events: readonly RunEvent[]): unknown {
  if (!(error instanceof BatonError) || error.code !== 'TASK_NOT_WAITING') return error;
  const request = events.find((e): e is Extract<RunEvent, { type: 'approval.requested' }> => e.type === 'approval.requested' && e.task === task && e.group !== undefined);
  if (!request) return error;
  // the other arms of its choice, by wait key, and what each waits for
  const arms = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'approval.requested' && e.group === request.group && e.task !== task) arms.set(e.task, `approval ${e.task}`);
    else if (e.type === 'event.waiting' && e.group === request.group) arms.set(e.key, `event ${e.event}`);
    else if (e.type === 'wait.started' && e.group === request.group) arms.set(e.key, 'its timeout');
  }
  const resolvedKey = (e: RunEvent): string | undefined => (e.type === 'approval.decided' ? e.task : e.type === 'event.received' || e.type === 'timer.fired' ? e.key : undefined);
  const first = events.map(resolvedKey).find((key) => key !== undefined && arms.has(key));
  if (first === undefined) return error;
  return new BatonError('TASK_NOT_WAITING', `run ${runId} has no approval "${task}" waiting: it was withdrawn, ${arms.get(first)} came first`);
}

/** What a store needs to buffer an event for a run that does not wait for it now: the run's definition and log. */
export interface EventBufferContext {
  definition: WorkflowDefinition;
  events: readonly RunEvent[];
  now: Date;
}

/**
 * The event a store appends for `eventName` (with `data`) sent to `run`: `event.received` for the run's waiting
 * `wait event` whose correlation (`where`) the data matches, after checking the data against the event's declared
 * type; else, given `buffer`, `event.buffered` (a persistent trigger, see docs/language.md "Events"): kept when the
 * run's definition has a `wait event` for it and its declaration does not say `buffer: none`, at most `max` open
 * ones per (run, event) (default 100), for `buffer:`'s duration (default 7 days).
 * @throws BatonError `EVENT_DATA_INVALID` (the message names the field: `data.amount: got "12"`),
 *   `EVENT_NOT_AWAITED` (no wait takes it and it cannot be kept — the message says why), `EVENT_BUFFER_FULL`.
 */
export function eventSignal(run: RunRecord, eventName: string, data: JsonValue, buffer?: EventBufferContext, by?: string): NewRunEvent {
  const sender = by === undefined ? {} : { by };
  const waits = run.waitingOn.filter((w): w is Extract<WaitingOn, { kind: 'event' }> => w.kind === 'event');
  const forEvent = waits.filter((w) => w.event === eventName);
  if (forEvent.length > 0) checkEventData(eventName, data, forEvent[0].data);
  const target = forEvent.find((w) => !w.stream && matchesWhere(data, w.where));
  if (target) return { type: 'event.received', event: eventName, data, key: target.key, node: target.node, ...sender };
  // an event loop open for it (`foreach x in event`): kept in the log, whatever `buffer:` says — the loop takes the
  // kept events in order, one instance each (several sent while the run waits each get their own instance)
  const stream = forEvent.find((w) => w.stream && matchesWhere(data, w.where));
  if (stream && buffer) return { ...bufferedEvent(run, eventName, data, buffer, buffer.definition.events?.[eventName]), ...sender } as NewRunEvent;
  const mismatch = forEvent.find((w) => w.where);
  if (mismatch?.where) {
    const path = mismatch.where.path.join('.');
    throw new BatonError('EVENT_NOT_AWAITED', `run ${run.id} waits for event "${eventName}" where ${path} == ${JSON.stringify(mismatch.where.value)}, but this event's ${path} is ${JSON.stringify(dataAt(data, mismatch.where.path) ?? null)}: it belongs to another run`);
  }
  const declared = buffer?.definition.events?.[eventName];
  const awaitedLater = buffer !== undefined && definitionWaitsFor(buffer.definition, eventName);
  if (!buffer || !awaitedLater || declared?.buffer?.transient) {
    const names = waits.map((w) => w.event);
    const why = declared?.buffer?.transient ? ` (event "${eventName}" says \`buffer: none\`: it is not kept)` : names.length ? `; it waits for ${names.join(', ')}` : '';
    throw new BatonError('EVENT_NOT_AWAITED', `run ${run.id} is not waiting for event "${eventName}"${why}`);
  }
  checkEventData(eventName, data, declared?.data);
  return { ...bufferedEvent(run, eventName, data, buffer, declared), ...sender } as NewRunEvent;
}

/**
 * The `event.buffered` event keeping `eventName` for `run`: for the declaration's `buffer:` duration (default 7
 * days), unless `max` (default 100) open ones of the run are kept already.
 * @throws BatonError `EVENT_BUFFER_FULL`.
 */
function bufferedEvent(run: RunRecord, eventName: string, data: JsonValue, buffer: EventBufferContext, declared: EventDef | undefined): NewRunEvent {
  const ms = declared?.buffer && !declared.buffer.transient ? declared.buffer.ms : DEFAULT_EVENT_BUFFER_MS;
  const max = declared?.buffer && !declared.buffer.transient ? declared.buffer.max : DEFAULT_EVENT_BUFFER_MAX;
  const open = openBufferedEvents(buffer.events, eventName, buffer.now);
  if (open.length >= max) {
    throw new BatonError('EVENT_BUFFER_FULL', `run ${run.id} already keeps ${open.length} event${open.length === 1 ? '' : 's'} "${eventName}" it has not waited for yet (at most ${max}); nothing was kept`);
  }
  const id = randomUUID();
  return { type: 'event.buffered', id, event: eventName, data, expires: new Date(buffer.now.getTime() + ms).toISOString() };
}

/**
 * The `event.received` event delivering `eventName` (with `data`) to `run`, which waits for it (no buffering).
 * @throws BatonError `EVENT_NOT_AWAITED`, `EVENT_DATA_INVALID` (see {@link eventSignal}).
 */
export function deliveryEvent(run: RunRecord, eventName: string, data: JsonValue): NewRunEvent {
  return eventSignal(run, eventName, data);
}

/**
 * Whether a store must give {@link eventSignal} the run's definition and log for `eventName`: the run does not
 * wait for it now with a `wait event` (it may keep it for a later one), or an event loop of the run is open for it
 * (the loop's events are always kept in the log).
 */
export function eventBufferNeeded(run: RunRecord, eventName: string): boolean {
  const waits = run.waitingOn.filter((w) => w.kind === 'event' && w.event === eventName);
  return waits.length === 0 || waits.some((w) => w.kind === 'event' && w.stream);
}

/** Whether `run` waits now for `eventName` (whatever the data). */
export function waitsForEvent(run: RunRecord, eventName: string): boolean {
  return run.waitingOn.some((w) => w.kind === 'event' && w.event === eventName);
}

/** Whether any flow of `definition` has a `wait event` (or a `wait first` arm `on event`, or a `foreach … in event`) for `eventName` (so a run of it may take it later). */
export function definitionWaitsFor(definition: WorkflowDefinition, eventName: string): boolean {
  for (const flow of Object.values(definition.flows ?? {})) {
    let found = false;
    forEachStatement(flow.body, (s) => {
      if ((s.kind === 'waitEvent' && s.event === eventName) || (s.kind === 'foreach' && (s.source?.event === eventName || s.source?.end?.event === eventName)) || (s.kind === 'choice' && s.arms.some((arm) => arm.kind === 'event' && arm.event === eventName))) found = true;
    });
    if (found) return true;
  }
  return false;
}

/**
 * Checks an event's data against its declared type (none declared: anything goes).
 * @throws BatonError `EVENT_DATA_INVALID` naming the field (`event "payment.received": data.amount: got "12"`).
 */
export function checkEventData(eventName: string, data: JsonValue, type: TypeRef | undefined): void {
  if (!type) return;
  const problem = checkValue(data, type, 'data');
  if (problem) throw new BatonError('EVENT_DATA_INVALID', `event "${eventName}": ${problem} (its data is ${describeType(type)})`);
}

/** The message of `EVENT_BUFFER_FULL` for broadcasts kept for later runs (one text for both stores). */
export function keptFullMessage(eventName: string, open: number, max: number): string {
  return `${open} broadcast event${open === 1 ? '' : 's'} "${eventName}" already wait for a run to take them (at most ${max}); nothing was kept`;
}

/**
 * The LIKE pattern (escape character backslash: use it with `ESCAPE '\'`) of the run ids that start with `prefix`: its
 * `%`, `_` and backslash taken literally — a prefix such as `%` or `_` matches no run id rather than every one. An empty
 * prefix gives the pattern `''`, which matches no run id either.
 */
export function runIdPrefixPattern(prefix: string): string {
  return prefix === '' ? '' : `${prefix.replace(/[%_\\]/g, '\\$&')}%`;
}
