// The run store's record shapes as `baton serve`'s JSON API answers them (docs/cli.md, "baton serve"): declared here so
// the runtime's store (packages/runtime/src/store/store-api.ts re-exports them), the server and the console name one
// set of fields. Types only.
import type { RunAgents, RunError, RunStatus, WaitingOn } from './events.js';
import type { JsonValue } from './ir.js';

/** A run as the `runs` table holds it. Times are ISO 8601. */
export interface RunRecord {
  id: string;
  flow: string;
  file: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  error: RunError | null;
  waitingOn: WaitingOn[];
  cancelRequested: boolean;
  /** The agents the run calls, kept for its whole life; absent for runs stored before schema 2. */
  agents?: RunAgents;
  /** The tenant the run belongs to (`default` unless its start named one; stores of schema 3 and PostgreSQL). */
  tenant?: string;
  /** Wall time from start to finish, ms (`finishedAt − startedAt`); absent while the run has not finished. */
  durationMs?: number;
  /** The nearest SLA deadline not yet breached (ISO 8601), when the run has one (SQLite schema 8, PostgreSQL migration 7). */
  slaDueAt?: string;
  /** The flow's SLA deadline (`startedAt + sla`, ISO 8601), when the flow declares `sla`. */
  slaFlowAt?: string;
  /** When the run's first SLA breach was recorded (ISO 8601): the console marks the run red. */
  slaBreachedAt?: string;
}

/** The runs per status of `RunStoreApi.countRuns` (statuses with no run are absent). */
export type RunCounts = Partial<Record<RunStatus, number>>;

/**
 * Percentiles are nearest-rank: the value at rank `ceil(p·n)` of the `n` values sorted (PostgreSQL's
 * `percentile_disc`), so both stores give equal numbers; null when there is no value.
 */
export interface RunStats {
  from: string;
  to: string;
  /** Runs started per UTC day (`YYYY-MM-DD`) and flow, by status. */
  days: { day: string; flow: string; runs: number; byStatus: RunCounts }[];
  /** Per flow, over the window. */
  flows: FlowStats[];
  /** Per flow and node: the `step.finished` events of the window's runs. */
  steps: StepStats[];
  /** SLA breaches recorded in the window (by when they were recorded), per UTC day and flow. */
  slaBreaches: { day: string; flow: string; count: number }[];
}

/** One flow's figures in {@link RunStats}. */
export interface FlowStats {
  flow: string;
  runs: number;
  byStatus: RunCounts;
  /** succeeded ÷ (succeeded + failed + cancelled); null when none has ended. */
  successRate: number | null;
  /** Run duration (finished runs), ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Tokens per run (summed over its steps): mean and p95. */
  tokensAvg: number | null;
  tokensP95: number | null;
  /** Cost per run, US dollars (summed over its priced steps): mean and p95. */
  costAvgUsd: number | null;
  costP95Usd: number | null;
  /** Retries: Σ (attempts − 1) over the steps. */
  retries: number;
  /** Runs of the window that are `failed` now (what `baton runs redrive` would continue). */
  deadLetters: number;
  /** SLA breaches of the window's runs. */
  slaBreaches: number;
  /** The node with the largest summed step time (ms), and its p95; absent when no step finished. */
  bottleneck?: { node: string; totalMs: number; p95Ms: number | null };
}

/** One node's figures in {@link RunStats}. */
export interface StepStats {
  flow: string;
  node: string;
  /** Step instances finished. */
  count: number;
  failed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  totalMs: number;
  retries: number;
  tokens: number;
  costUsd: number;
}

/** What the outbox trigger stores (`notifications`): one event to notify about. */
export interface NotificationRecord {
  /** `<run id>:<seq>` of the event. */
  id: string;
  tenant: string;
  runId: string;
  seq: number;
  kind: 'approval.waiting' | 'run.failed' | 'sla.breached';
  flow: string;
  /** ISO 8601: the event's time. */
  createdAt: string;
  /**
   * The event's payload as stored (`approval.requested`: task, assignee, deadline…; `run.failed`: error…; `{}` when
   * unreadable), which a message about it is written from. Set by `RunStoreApi.newNotifications` and on a
   * claimed delivery's {@link DeliveryRecord.notification}.
   */
  event?: Record<string, JsonValue>;
}

/** One notification sent to one channel (`notification_deliveries`). Times are ISO 8601. */
export interface DeliveryRecord {
  /** `<notification id>:<channel>`: deterministic, so it doubles as the webhook's `webhook-id`. */
  id: string;
  notificationId: string;
  tenant: string;
  channel: string;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  /** When a pending delivery is due. */
  nextAt: string;
  lastError: string | null;
  sentAt: string | null;
  /** The run and the kind of its notification (set by `RunStoreApi.listDeliveries` and the claim). */
  runId?: string;
  kind?: NotificationRecord['kind'];
  /** ISO 8601: its notification's time. */
  createdAt?: string;
  /** Its notification, payload included: set on the deliveries `RunStoreApi.claimDeliveries` returns. */
  notification?: NotificationRecord;
}

/**
 * One approval of the inbox (`GET /approvals`), most urgent first. `deadline`: ISO 8601, when its `timeout` ends
 * (absent: none); `slaDeadline`: when its `sla:` is breached if still undecided (absent: no SLA).
 */
export interface InboxItem {
  runId: string;
  flow: string;
  task: string;
  assignee?: string;
  prompt?: string;
  deadline?: string;
  slaDeadline?: string;
  options: string[];
}
