import type { RunEvent, RunSummary } from '@baton/protocol';

/** The stored status a run has after `event`, for the events that change it (undefined: the status stands). */
function statusAfter(event: RunEvent): RunSummary['status'] | undefined {
  switch (event.type) {
    case 'run.started':
    case 'run.resumed':
      return 'running';
    case 'run.waiting':
      return 'waiting';
    case 'run.succeeded':
      return 'succeeded';
    case 'run.failed':
      return 'failed';
    case 'run.cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/**
 * The graph panel's run picker after a live event: the run the event belongs to takes the status the event gives
 * it (`run.resumed` → `running` once an approval is decided, `run.waiting` → `waiting`, a closing event → its
 * status), and a run of `flow` started now (`run.started`) is listed first. Before, the picker changed only when
 * the store was listed again after a run stopped, so it said `waiting` for a run already going on.
 * @param runs the picker's runs, newest first (not changed).
 * @returns the new list, or undefined when the event changes nothing in it.
 */
export function followRunStatus(runs: readonly RunSummary[], flow: string | undefined, event: RunEvent): RunSummary[] | undefined {
  const status = statusAfter(event);
  if (!status) return undefined;
  const index = runs.findIndex((r) => r.runId === event.runId);
  if (index < 0) {
    if (event.type !== 'run.started' || event.flow !== flow) return undefined;
    return [{ runId: event.runId, status, startedAt: event.time }, ...runs];
  }
  if (runs[index].status === status) return undefined;
  return runs.map((r, i) => (i === index ? { ...r, status } : r));
}
