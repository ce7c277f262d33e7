/**
 * The rules every run store applies the same way (the SQLite store and `@baton/cluster`'s PostgreSQL store): what a
 * decision, a delivered event or a request may do to a stored run, and the event each records. The stores only
 * write what these return, so their messages and codes cannot drift apart (the conformance suite checks them).
 */
import type { JsonValue, NewRunEvent, WaitingOn } from '@baton/protocol';
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
 * The `event.received` event delivering `eventName` (with `data`) to `run`, which waits for it.
 * @throws BatonError `EVENT_NOT_AWAITED` (the message lists the events it waits for).
 */
export function deliveryEvent(run: RunRecord, eventName: string, data: JsonValue): NewRunEvent {
  const target = run.waitingOn.find((w): w is Extract<WaitingOn, { kind: 'event' }> => w.kind === 'event' && w.event === eventName);
  if (!target) {
    const names = run.waitingOn.filter((w) => w.kind === 'event').map((w) => (w as { event: string }).event);
    throw new BatonError('EVENT_NOT_AWAITED', `run ${run.id} is not waiting for event "${eventName}"` + (names.length ? `; it waits for ${names.join(', ')}` : ''));
  }
  return { type: 'event.received', event: eventName, data, key: target.key };
}

/** A run-id prefix for LIKE: its wildcards and escape character removed. */
export function escapeLike(text: string): string {
  return text.replace(/[%_\\]/g, '');
}
