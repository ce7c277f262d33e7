// The engine's own SLA detection (docs/language.md "SLAs"): a run that ends, or an approval decision read, after an
// SLA deadline with no breach in the log records `sla.breached` first — so `baton run` with no server polling still
// has it. The pollers (supervisor/sla.ts) record breaches while nobody executes the run; the store's `sla_breaches`
// row keeps either from recording one twice.
import type { ApprovalNode, NewRunEvent, RunEvent, WaitingOn } from '@baton/protocol';
import type { RunStoreApi } from '../store/store-api.js';
import { approvalBreachEvent, approvalSlaKey, flowBreachEvent, nextSlaDue } from '../supervisor/sla.js';
import type { ReplayLog } from './replay-log.js';

/** What the detection uses of the execution. */
export interface SlaHost {
  log: ReplayLog;
  store: RunStoreApi;
  runId: string;
  now(): Date;
  /** Records an event of the run (stored with the next commit). */
  emit(event: NewRunEvent): RunEvent;
}

/**
 * Records the breach `event` of SLA `key` (deadline `deadline`) when `at` is at or after the deadline and the log has
 * none: claims the store's row first (`claimSlaBreach`) — a poller that recorded it already has its event in the log,
 * so nothing is emitted then — and emits the event into the run's log (its next commit stores it in order).
 */
async function breachIfLate(host: SlaHost, key: string, deadline: string, at: number, event: NewRunEvent): Promise<void> {
  if (host.log.sla.breached.has(key) || Number.isNaN(Date.parse(deadline)) || at < Date.parse(deadline)) return;
  host.log.sla.breached.add(key);
  const fresh = host.store.claimSlaBreach ? await host.store.claimSlaBreach(host.runId, key, deadline, host.now()) : true;
  if (fresh) host.emit(event);
}

/** Before the run's closing event: the flow SLA (`run.started.slaDeadline`) passed with no breach recorded. */
export function flowBreachIfLate(host: SlaHost, flow: string): Promise<void> {
  const { flowDeadline, startedAt } = host.log.sla;
  if (!flowDeadline || !startedAt) return Promise.resolve();
  return breachIfLate(host, 'flow', flowDeadline, host.now().getTime(), flowBreachEvent(flow, startedAt, flowDeadline));
}

/**
 * An approval decision read (`decided` at ISO `decidedAt`) of approval instance `task` whose request carried an SLA
 * deadline: decided after it with no breach recorded — the breach is recorded now.
 */
export function approvalBreachIfLate(host: SlaHost, task: string, node: Pick<ApprovalNode, 'id' | 'slaMs'>, slaDeadline: string | undefined, decidedAt: string): Promise<void> {
  if (!slaDeadline || node.slaMs === undefined) return Promise.resolve();
  return breachIfLate(host, approvalSlaKey(task), slaDeadline, Date.parse(decidedAt), approvalBreachEvent(task, node.id, node.slaMs, slaDeadline));
}

/** An approval request's SLA deadline (ISO 8601) `slaMs` after `now`, or undefined without an SLA. */
export function slaDeadlineOf(slaMs: number | undefined, now: Date): string | undefined {
  return slaMs === undefined ? undefined : new Date(now.getTime() + slaMs).toISOString();
}

/** `runs.sla_due_at` of a run now waiting for `waits`, from what its log knows (the flow's deadline, the breaches). */
export function slaDueWhileWaiting(log: ReplayLog, waits: WaitingOn[]): string | null {
  return nextSlaDue({ status: 'waiting', waitingOn: waits, slaFlowAt: log.sla.flowDeadline }, log.sla.breached);
}
