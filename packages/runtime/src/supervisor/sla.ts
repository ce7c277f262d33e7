// Service-level agreements of runs (a flow's `sla 4h`, an approval's `sla: 4h`; docs/language.md "SLAs"): the pure
// rules the engine, the store and the pollers share — when a run's next SLA falls due, which SLAs are breached at a
// time, the breach to record — and the poll itself (pollSlas), run by `baton serve`'s DueTimerPoller and a cluster's
// reconciler. A breach is an event and a row (`sla_breaches`); it cancels nothing.
import type { FlowDef, NewRunEvent, RunEvent, SlaKey, WaitingOn } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { DueSla, RunRecord, RunStoreApi, SlaBreach } from '../store/store-api.js';

/** The SLA key of an approval instance (`approval:<task>`; `flow` is the run's own). */
export function approvalSlaKey(task: string): SlaKey {
  return `approval:${task}`;
}

/** Whether a run's status is an end (nothing of it can be breached any more). */
function ended(status: RunRecord['status']): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

type SlaRun = Pick<RunRecord, 'status' | 'waitingOn'> & { slaFlowAt?: string };
type ApprovalWait = Extract<WaitingOn, { kind: 'approval' }>;

/**
 * The run's nearest SLA deadline not yet breached (ISO 8601), or null when none is left: its flow's (`slaFlowAt`,
 * key `flow`) and those of the approvals it waits for (`waitingOn[].slaDeadline`, key `approval:<task>`), leaving out
 * the keys in `breachedKeys`; null for a run that ended. What `runs.sla_due_at` holds. Pure.
 */
export function nextSlaDue(run: SlaRun, breachedKeys: ReadonlySet<string>): string | null {
  if (ended(run.status)) return null;
  let soonest: string | null = null;
  const consider = (key: string, at: string | undefined): void => {
    if (at === undefined || breachedKeys.has(key) || Number.isNaN(Date.parse(at))) return;
    if (soonest === null || Date.parse(at) < Date.parse(soonest)) soonest = at;
  };
  consider('flow', run.slaFlowAt);
  for (const w of run.waitingOn) if (w.kind === 'approval') consider(approvalSlaKey(w.task), w.slaDeadline);
  return soonest;
}

/**
 * The new run's SLA columns and its `run.started` field for flow `flow` accepted at `startedAt`: the deadline is
 * `startedAt + flow.slaMs` (`{}` when the flow has no `sla`).
 */
export function flowSlaFields(flow: Pick<FlowDef, 'slaMs'> | undefined, startedAt: Date): { slaFlowAt?: string; slaDueAt?: string } {
  if (flow?.slaMs === undefined) return {};
  const at = new Date(startedAt.getTime() + flow.slaMs).toISOString();
  return { slaFlowAt: at, slaDueAt: at };
}

/** The scope of an approval instance: the sub-flow prefix of its task (`incident/manager` → `incident/`), '' at the top. */
export function taskScope(task: string): string {
  const slash = task.lastIndexOf('/');
  return slash < 0 ? '' : task.slice(0, slash + 1);
}

/**
 * The `sla.breached` event of the flow SLA of a run of `flow` started at `startedAt` with deadline `deadline`.
 */
export function flowBreachEvent(flow: string, startedAt: string, deadline: string): NewRunEvent {
  return { type: 'sla.breached', key: 'flow', node: flow, slaMs: Date.parse(deadline) - Date.parse(startedAt), deadline, scope: '' };
}

/** The `sla.breached` event of approval instance `task` (IR node `node`) whose `sla:` of `slaMs` passed at `deadline`. */
export function approvalBreachEvent(task: string, node: string, slaMs: number, deadline: string): NewRunEvent {
  return { type: 'sla.breached', key: approvalSlaKey(task), node, slaMs, deadline, scope: taskScope(task) };
}

/**
 * The SLA breaches of `run` (as stored) due at `nowMs` (ms since the epoch), not in `breachedKeys`, earliest first:
 * what a poller records. Each carries the rule that recomputes `sla_due_at` and one that re-checks it against the run
 * as stored in the recording transaction (ended before the deadline, the approval no longer waiting: not recorded).
 */
export function dueBreaches(run: RunRecord, nowMs: number, breachedKeys: ReadonlySet<string> = new Set()): SlaBreach[] {
  if (ended(run.status)) return [];
  const breaches: SlaBreach[] = [];
  const nextDue = (r: RunRecord, keys: ReadonlySet<string>): string | null => nextSlaDue(r, keys);
  if (run.slaFlowAt && !breachedKeys.has('flow') && Date.parse(run.slaFlowAt) <= nowMs) {
    const deadline = run.slaFlowAt;
    breaches.push({ key: 'flow', deadline, event: flowBreachEvent(run.flow, run.startedAt, deadline), nextDue, stillDue: (r) => !ended(r.status) || (r.finishedAt !== null && r.finishedAt !== undefined && r.finishedAt > deadline) });
  }
  for (const w of run.waitingOn) {
    if (w.kind !== 'approval' || !w.slaDeadline) continue;
    const key = approvalSlaKey(w.task);
    if (breachedKeys.has(key) || Date.parse(w.slaDeadline) > nowMs) continue;
    breaches.push({ key, deadline: w.slaDeadline, event: approvalBreachEvent(w.task, w.node, w.slaMs ?? 0, w.slaDeadline), nextDue, stillDue: (r) => waitsFor(r, w) });
  }
  return breaches.sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
}

function waitsFor(run: RunRecord, wait: ApprovalWait): boolean {
  return !ended(run.status) && run.waitingOn.some((w) => w.kind === 'approval' && w.task === wait.task);
}

/** What one {@link pollSlas} did: the breaches recorded (their events and the runs' flows). */
export interface SlaPollResult {
  recorded: { event: Extract<RunEvent, { type: 'sla.breached' }>; flow: string; tenant: string }[];
}

/**
 * One SLA poll of `store` at `now`: reads the runs whose `sla_due_at` has passed (`dueSlas`, earliest first), and for
 * each records the breaches due in it (`recordSlaBreach`: one transaction each, idempotent — any number of pollers
 * record each breach once), or — nothing due any more (an approval decided meanwhile) — recomputes its
 * `sla_due_at` (`refreshSlaDue`). A run gone meanwhile (`RUN_NOT_FOUND`) is skipped. A store without the SLA methods
 * (before schema 8) records nothing. `onBreach` is told each breach this poll recorded; `filter.tenant`: only that
 * tenant's runs (a cluster's reconciler works per tenant).
 * @throws what the store throws otherwise (the caller logs it; the next poll tries again).
 */
export async function pollSlas(store: RunStoreApi, now: Date, onBreach?: (breach: SlaPollResult['recorded'][number]) => void, filter: { tenant?: string } = {}): Promise<SlaPollResult> {
  const recorded: SlaPollResult['recorded'] = [];
  if (!store.dueSlas || !store.recordSlaBreach) return { recorded };
  for (const due of await store.dueSlas(now, undefined, filter.tenant === undefined ? undefined : { tenant: filter.tenant })) {
    try {
      await pollRun(store, due, now, (event) => {
        const entry = { event, flow: due.flow, tenant: due.tenant };
        recorded.push(entry);
        onBreach?.(entry);
      });
    } catch (error) {
      if (!(error instanceof BatonError && error.code === 'RUN_NOT_FOUND')) throw error;
    }
  }
  return { recorded };
}

async function pollRun(store: RunStoreApi, due: DueSla, now: Date, recorded: (event: Extract<RunEvent, { type: 'sla.breached' }>) => void): Promise<void> {
  const run = await store.getRun(due.runId);
  // a decided approval stays in waitingOn until the run continues: neither breached nor watched (decided late, the
  // engine records the breach when it reads the decision)
  const settled = run.waitingOn.some((w) => w.kind === 'approval' && w.slaDeadline) ? decidedKeys(await store.getEvents(run.id)) : new Set<string>();
  const nextDue = (r: RunRecord, keys: ReadonlySet<string>): string | null => nextSlaDue(r, settled.size ? new Set([...keys, ...settled]) : keys);
  const breaches = dueBreaches(run, now.getTime(), settled).map((b) => ({ ...b, nextDue }));
  for (const breach of breaches) {
    const event = await store.recordSlaBreach!(run.id, breach, now);
    if (event?.type === 'sla.breached') recorded(event);
  }
  // nothing was due (a stale sla_due_at, a decided approval): recomputed, so the run is not found again at every poll
  if (breaches.length === 0) await store.refreshSlaDue?.(run.id, nextDue);
}

/** The SLA keys of the approvals decided in `events` (`approval:<task>`). */
function decidedKeys(events: readonly RunEvent[]): Set<string> {
  return new Set(events.flatMap((e) => (e.type === 'approval.decided' ? [approvalSlaKey(e.task)] : [])));
}
