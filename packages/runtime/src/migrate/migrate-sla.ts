// A migrated run's SLAs (`baton runs migrate`): the run is held to its new definition's `sla`s from then on — its
// flow's counted from the run's start, each approval it waits for counted from that approval's request — so the
// store's SLA columns, the waits' deadlines and replay's late detection all agree with the new definition.
import { forEachStatement, type FlowDef, type RunEvent, type WaitingOn, type WorkflowDefinition } from '@baton/protocol';
import { nextSlaDue } from '../supervisor/sla.js';
import type { RunRecord } from '../store/store-api.js';

/** What {@link migratedSla} computes: the waits with their new deadlines, the event's `sla`, the store's columns. */
export interface MigratedSla {
  waitingOn: WaitingOn[];
  event: { flow: string | null; approvals: Record<string, string | null> };
  columns: { flowAt: string | null; dueAt: string | null };
}

/** The `slaMs` of every approval statement and approval arm of `definition`, by IR node id (undefined: no `sla:`). */
function approvalSlas(definition: WorkflowDefinition): Map<string, number | undefined> {
  const slas = new Map<string, number | undefined>();
  for (const flow of Object.values(definition.flows)) {
    forEachStatement(flow.body, (s) => {
      if (s.kind === 'approval') slas.set(s.id, s.slaMs);
      if (s.kind === 'choice') for (const arm of s.arms) if (arm.kind === 'approval') slas.set(arm.id, arm.slaMs);
    });
  }
  return slas;
}

/**
 * The SLAs of `run` moved to `newFlow` of `definition`, waiting on `waitingOn` (named as the new definition names
 * them); `past` is its log read across migrations. A wait whose node the new definition does not have keeps its
 * deadline; breaches already recorded (`sla.breached`) stay recorded and are not watched again.
 */
export function migratedSla(run: Pick<RunRecord, 'status' | 'startedAt'>, newFlow: Pick<FlowDef, 'slaMs'>, definition: WorkflowDefinition, waitingOn: WaitingOn[], past: readonly RunEvent[]): MigratedSla {
  const flowAt = newFlow.slaMs === undefined ? null : new Date(Date.parse(run.startedAt) + newFlow.slaMs).toISOString();
  const slas = approvalSlas(definition);
  const requested = new Map<string, string>();
  const breached = new Set<string>();
  for (const e of past) {
    if (e.type === 'approval.requested') requested.set(e.task, e.time);
    if (e.type === 'sla.breached') breached.add(e.key);
  }
  const approvals: Record<string, string | null> = {};
  const waits = waitingOn.map((w): WaitingOn => {
    if (w.kind !== 'approval' || !slas.has(w.node) || !requested.has(w.task)) return w;
    const { slaDeadline: _deadline, slaMs: _ms, ...rest } = w;
    const slaMs = slas.get(w.node);
    if (slaMs === undefined) {
      approvals[w.task] = null;
      return rest;
    }
    const slaDeadline = new Date(Date.parse(requested.get(w.task)!) + slaMs).toISOString();
    approvals[w.task] = slaDeadline;
    return { ...rest, slaDeadline, slaMs };
  });
  const dueAt = nextSlaDue({ status: run.status, waitingOn: waits, slaFlowAt: flowAt ?? undefined }, breached);
  return { waitingOn: waits, event: { flow: flowAt, approvals }, columns: { flowAt, dueAt } };
}
