// The SLA part of the store contract (RunStoreApi.dueSlas, recordSlaBreach, claimSlaBreach, refreshSlaDue in
// store-api.ts): what a poller reads and what it records. Re-exported by store-api.ts.
import type { NewRunEvent, RunStatus } from '@baton/protocol';
import type { RunRecord } from './store-api.js';

/** A run whose SLA deadline has passed (see `RunStoreApi.dueSlas`). */
export interface DueSla {
  runId: string;
  tenant: string;
  flow: string;
  status: RunStatus;
  /** ISO 8601: `runs.sla_due_at`. */
  slaDueAt: string;
}

/** A breach to record (see `RunStoreApi.recordSlaBreach`). */
export interface SlaBreach {
  /** `flow` or `approval:<task>`: unique per run (`sla_breaches`' key). */
  key: string;
  /** ISO 8601: the deadline that passed. */
  deadline: string;
  /** The `sla.breached` event to append at the log's end when the breach is new. */
  event: NewRunEvent;
  /**
   * The run's next SLA deadline once this one is breached (ISO 8601, or null when none is left), from the run as
   * stored in the transaction and the keys breached so far (this one included): `runs.sla_due_at`.
   */
  nextDue: (run: RunRecord, breachedKeys: ReadonlySet<string>) => string | null;
  /**
   * Whether the breach still holds for the run as stored in the transaction (a poller read it before: the run may
   * have ended before the deadline, the approval been decided since). False: no row, no event — only `sla_due_at` is
   * recomputed. Absent: it holds.
   */
  stillDue?: (run: RunRecord) => boolean;
}
