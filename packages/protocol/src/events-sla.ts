// The run event of service-level agreements (`sla 4h` on a flow, `sla: 4h` on an approval): a member of the
// RunEvent union in events.ts, kept in its own file.
import type { RunEventBase } from './events.js';

/**
 * What an SLA is about: `flow` (the run's own flow: still open `slaMs` after it started) or `approval:<task>` (the
 * approval instance `task`, with its loop indexes and sub-flow prefix, still undecided `slaMs` after it was requested).
 */
export type SlaKey = 'flow' | `approval:${string}`;

/**
 * An SLA passed: the run (key `flow`) or an approval (key `approval:<task>`) was still open at `deadline`. Recorded
 * once per key and run — by whoever sees it first: a server's or reconciler's poll of the store's due SLAs, or the
 * engine itself when it ends the run or reads a decision after the deadline (then the event's `time` is later than
 * `deadline`). It cancels nothing and changes no path: it is appended at the log's end like a signal (an executor's
 * flush accepts it), the replay of the run ignores it, and views mark the run / approval red.
 */
export interface SlaBreachedEvent extends RunEventBase {
  type: 'sla.breached';
  key: SlaKey;
  /** The IR node id: the approval's (`Flow/manager`), or the flow's name for key `flow`. */
  node: string;
  /** The SLA in ms, as declared (`sla 4h` → 14,400,000). */
  slaMs: number;
  /** ISO 8601: when it was due (the run's start, or the approval's request, plus `slaMs`). */
  deadline: string;
  /** The flow invocation the SLA belongs to: '' for the run's flow, the sub-flow prefix (`incident/`) for an approval of a sub-flow. */
  scope: string;
}
