import type { RunEvent } from '@baton/protocol';

/** One line per event worth reading in the output channel (undefined: not shown, e.g. `step.started`). */
export function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `run ${event.runId} · ${event.flow}`;
    case 'step.finished':
      return `  ${event.status === 'succeeded' ? '✓' : event.status === 'failed' ? '✗' : '–'} ${event.step} (${event.agent}) ${event.durationMs} ms${event.attempts > 1 ? ` · ${event.attempts} attempts` : ''}${event.error ? ` — ${event.error.code}: ${event.error.message}` : ''}`;
    case 'branch.taken':
      return `  ↳ ${event.label}`;
    case 'approval.requested':
      return `  … approval "${event.task}"${event.assignee ? ` for ${event.assignee}` : ''} — baton approve ${event.runId} ${event.task}`;
    case 'compensation.finished':
      return `  ↺ undid ${event.step}`;
    case 'run.succeeded':
      return `✓ succeeded · outputs ${JSON.stringify(event.outputs)}`;
    case 'run.failed':
      return `✗ failed · ${event.error.code}: ${event.error.message}`;
    case 'run.waiting':
      return `… waiting (${event.waitingOn.map((w) => w.kind).join(', ')}) — continue with baton approve, send or resume ${event.runId}`;
    default:
      return undefined;
  }
}
