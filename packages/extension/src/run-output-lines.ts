import { formatCost, formatDuration, formatSlaBreach, formatTimeOfDay, formatTokens, type RunEvent } from '@baton/protocol';

/**
 * One line per event worth reading in the output channel (undefined: not shown, e.g. `step.started`); durations,
 * tokens, cost and times written by the protocol's formatters, as the CLI writes them.
 */
export function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `run ${event.runId} · ${event.flow}`;
    case 'run.resumed':
      return event.redrive ? `run ${event.runId} · ${event.flow} redriven from the step that failed it` : undefined;
    case 'step.finished':
      return `  ${event.status === 'succeeded' ? '✓' : event.status === 'failed' ? '✗' : event.status === 'cancelled' ? '⊘' : '–'} ${event.step} (${event.agent}) ${formatDuration(event.durationMs)}${event.attempts > 1 ? ` · ${event.attempts} attempts` : ''}${event.tokens ? ` · ${formatTokens(event.tokens)}${event.costUsd !== undefined ? ` · ${formatCost(event.costUsd)}` : ''}` : ''}${event.error ? ` — ${event.error.code}: ${event.error.message}` : ''}`;
    case 'circuit.changed':
      return `  ⚡ circuit of ${event.agent} ${event.state}${event.state === 'open' ? ` after ${event.failures} failures in a row${event.until ? `, until ${formatTimeOfDay(event.until)}` : ''}` : ''}`;
    case 'sla.breached':
      return `  ⚑ ${formatSlaBreach(event)}`;
    case 'branch.taken':
      return `  ↳ ${event.label}`;
    case 'join.reached':
      return `  ⋈ ${event.label} reached${event.rest === 'keep' ? ' — the rest runs on' : event.withdrawn.length ? ` — ${event.withdrawn.length} withdrawn` : ''}`;
    case 'approval.requested':
      return `  … approval "${event.task}"${event.assignee ? ` for ${event.assignee}` : ''}${event.toolCall ? ` (tool ${event.toolCall.tool})` : ''} — baton approve ${event.runId} ${event.task}`;
    case 'tool.finished':
      // a step's tool call, under its step (whose line follows when its loop ends)
      return `    ${event.status === 'succeeded' ? '⚙' : event.status === 'refused' ? '⊘' : '✗'} tool ${event.tool} (${event.step} · turn ${event.turn}) ${formatDuration(event.durationMs)}${event.error ? ` — ${event.error.code}: ${event.error.message}` : ''}`;
    case 'wait.withdrawn':
      return `  ⊘ ${event.label} withdrawn — another arm of wait first came first`;
    case 'compensation.finished':
      return `  ↺ undid ${event.step}`;
    case 'region.cancelled':
    case 'region.completed':
      return `  ⊗ region ${event.region} ${event.type === 'region.cancelled' ? 'cancelled' : 'completed'} by ${event.by.slice(event.by.indexOf('/') + 1)}`;
    case 'flow.completed':
      return `  ■ ${event.scope ? `sub-flow ${event.scope.slice(0, -1)}` : `flow ${event.flow}`} completed by ${event.node.slice(event.node.indexOf('/') + 1)}`;
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
