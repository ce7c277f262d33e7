import type { RunEvent } from '@baton/protocol';

/** A wait a run started: its instance key (an approval's task), what kind, what it waits for (for the span's name), its node. */
export interface WaitOpen {
  key: string;
  kind: 'approval' | 'timer' | 'event' | 'condition' | 'lock';
  what?: string;
  node: string;
}

/**
 * The wait `event` starts, if it starts one: `approval.requested`, `wait.started` (a timer), `event.waiting`,
 * `condition.waiting` (`wait until`), `lock.requested` (a `lock` block waiting for its lock).
 */
export function openedWait(event: RunEvent): WaitOpen | undefined {
  switch (event.type) {
    case 'approval.requested':
      return { key: event.task, kind: 'approval', what: event.task, node: event.node };
    case 'wait.started':
      return { key: event.key, kind: 'timer', node: event.node };
    case 'event.waiting':
      return { key: event.key, kind: 'event', what: event.event, node: event.node };
    case 'condition.waiting':
      return { key: event.key, kind: 'condition', node: event.node };
    case 'lock.requested':
      return { key: event.key, kind: 'lock', what: event.name, node: event.node };
    default:
      return undefined;
  }
}

/**
 * The wait `event` ends, if it ends one, by key, with how it ended (`outcome`: the decision, `received`,
 * `timed out`, `withdrawn`, …): `approval.decided`, `timer.fired`, `event.received` (delivered to a wait),
 * `condition.met`, `lock.acquired`, `lock.released` after a timeout, `wait.withdrawn` (a `wait first` arm lost).
 */
export function closedWait(event: RunEvent): { key: string; outcome?: string } | undefined {
  switch (event.type) {
    case 'approval.decided':
      return { key: event.task, outcome: event.decision };
    case 'timer.fired':
      return { key: event.key, outcome: 'fired' };
    case 'event.received':
      return event.key === undefined ? undefined : { key: event.key, outcome: event.timedOut ? 'timed out' : 'received' };
    case 'condition.met':
      return { key: event.key, outcome: event.timedOut ? 'timed out' : 'met' };
    case 'lock.acquired':
      return { key: event.key, outcome: 'acquired' };
    case 'lock.released':
      return event.timedOut ? { key: event.key, outcome: 'timed out' } : undefined;
    case 'wait.withdrawn':
      return { key: event.key, outcome: 'withdrawn' };
    default:
      return undefined;
  }
}
