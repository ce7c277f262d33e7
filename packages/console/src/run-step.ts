// The run page's Step tab: one step instance (or wait, or compensation, or tool call) of the run model — its agent,
// attempts with their errors, its tool loop's calls, duration, tokens, cost, output and prompt (as rendered, when the run recorded it; else the template
// from the graph).
import { html, nothing, type TemplateResult } from 'lit';
import type { GraphNode, JsonValue } from '@baton/protocol';
import { elapsedMs, formatCost, formatDuration, formatTimestamp, formatTokens, toolCallKey, type RunModel, type ToolCallState } from '@baton/protocol/run-view';

/**
 * The Step tab for `key` (a step instance, wait or `undo <step>` key of `model`), with `node` (the graph's node of
 * it, when the definition is known) for the prompt template and the target. Nothing chosen: a hint.
 */
export function stepDetail(model: RunModel, key: string | undefined, node: GraphNode | undefined): TemplateResult {
  if (!key) return html`<p class="muted hint">Choose a step in the graph or the timeline.</p>`;
  const tool = key.indexOf(' · tool ');
  const call = tool > 0 ? model.steps.get(key.slice(0, tool))?.tools?.find((c) => toolCallKey(key.slice(0, tool), c.callId) === key) : undefined;
  if (call) return toolDetail(key.slice(0, tool), call);
  const step = model.steps.get(key);
  if (step) {
    const durationMs = step.durationMs ?? (step.endedAt ? elapsedMs(step.startedAt, step.endedAt) : undefined);
    const template = node?.tooltip?.prompt;
    return html`<section class="step-detail" data-step=${step.key}>
      <h2><code>${step.key}</code> <span class="status status-${step.status}">${step.status}</span></h2>
      <dl class="facts">
        <dt>${step.target === 'flow' ? 'Flow' : 'Agent'}</dt><dd class="agent">${step.agent}</dd>
        <dt>Started</dt><dd>${formatTimestamp(step.startedAt)}</dd>
        <dt>Duration</dt><dd class="duration">${durationMs === undefined ? 'running' : formatDuration(durationMs)}</dd>
        <dt>Attempts</dt><dd class="attempts-count">${step.attemptCount}</dd>
        <dt>Tokens</dt><dd class="tokens">${formatTokens(step.tokens)}</dd>
        <dt>Cost</dt><dd class="cost">${step.costUsd === undefined ? '—' : formatCost(step.costUsd)}</dd>
      </dl>
      ${step.attempts.length > 1 || step.attempts.some((a) => a.error)
        ? html`<h3>Attempts</h3>
            <ol class="attempts">
              ${step.attempts.map(
                (a) => html`<li data-attempt=${a.attempt} class=${a.error ? 'failed' : ''}>
                  ${formatTimestamp(a.startedAt)}${a.endedAt ? html` · ${formatDuration(elapsedMs(a.startedAt, a.endedAt))}` : nothing}
                  ${a.error ? html`<div class="error"><code>${a.error.code}</code> ${a.error.message}</div>` : nothing}
                </li>`,
              )}
            </ol>`
        : nothing}
      ${step.turns?.length
        ? html`<h3>Tool loop <span class="muted">${step.turns.length} turn${step.turns.length === 1 ? '' : 's'}</span></h3>
            <ol class="tool-calls">
              ${(step.tools ?? []).map(
                (c) => html`<li data-call=${c.callId} class="status-${c.status}">
                  turn ${c.turn} · <code>tool ${c.tool}</code> · ${c.status}${c.durationMs !== undefined ? html` · ${formatDuration(c.durationMs)}` : nothing}
                  ${c.error ? html`<div class="error"><code>${c.error.code}</code> ${c.error.message}</div>` : nothing}
                </li>`,
              )}
            </ol>`
        : nothing}
      ${step.error ? html`<h3>Error</h3><p class="error step-error"><code>${step.error.code}</code> ${step.error.message}</p>` : nothing}
      ${step.output !== undefined ? html`<h3>Output</h3>${json(step.output, 'step-output')}` : nothing}
      ${step.prompt !== undefined
        ? html`<h3>Prompt <span class="muted">as sent${step.promptTruncated ? ' (cut at 16 KiB)' : ''}</span></h3><pre class="prompt rendered">${step.prompt}</pre>`
        : template !== undefined
          ? html`<h3>Prompt <span class="muted">template (the run did not record the prompt it sent)</span></h3><pre class="prompt template">${template}</pre>`
          : nothing}
    </section>`;
  }
  const wait = model.waits.get(key);
  if (wait) {
    return html`<section class="step-detail" data-step=${wait.key}>
      <h2><code>${wait.label}</code> <span class="status status-${wait.status}">${wait.status}</span></h2>
      <dl class="facts">
        <dt>Kind</dt><dd>${wait.kind}</dd>
        <dt>Since</dt><dd>${formatTimestamp(wait.startedAt)}</dd>
        ${wait.endedAt ? html`<dt>Waited</dt><dd>${formatDuration(elapsedMs(wait.startedAt, wait.endedAt))}</dd>` : nothing}
        ${wait.deadline ? html`<dt>Deadline</dt><dd>${formatTimestamp(wait.deadline)}</dd>` : nothing}
        ${wait.assignee ? html`<dt>Assignee</dt><dd>${wait.assignee}</dd>` : nothing}
        ${wait.decision ? html`<dt>Decision</dt><dd>${wait.decision}${wait.by ? ` by ${wait.by}` : ''}${wait.comment ? ` — “${wait.comment}”` : ''}</dd>` : nothing}
        ${wait.slaBreachedAt ? html`<dt>SLA</dt><dd class="sla-breached">breached ${formatTimestamp(wait.slaBreachedAt)}</dd>` : nothing}
      </dl>
      ${wait.prompt ? html`<h3>Prompt</h3><pre class="prompt">${wait.prompt}</pre>` : nothing}
      ${wait.data !== undefined ? html`<h3>Data</h3>${json(wait.data, 'wait-data')}` : nothing}
    </section>`;
  }
  const undo = key.startsWith('undo ') ? model.compensations.get(key.slice(5)) : undefined;
  if (undo) {
    return html`<section class="step-detail" data-step=${key}>
      <h2><code>${key}</code> <span class="status status-${undo.status}">${undo.status}</span></h2>
      <dl class="facts">
        <dt>Agent</dt><dd>${undo.agent}</dd>
        <dt>Duration</dt><dd>${undo.durationMs === undefined ? 'running' : formatDuration(undo.durationMs)}</dd>
      </dl>
      ${undo.error ? html`<p class="error"><code>${undo.error.code}</code> ${undo.error.message}</p>` : nothing}
      ${undo.output !== undefined ? html`<h3>Output</h3>${json(undo.output, 'step-output')}` : nothing}
    </section>`;
  }
  return html`<section class="step-detail" data-step=${key}>
    <h2><code>${node?.label ?? key}</code> <span class="status">not run</span></h2>
    ${node?.tooltip?.target ? html`<p>${node.tooltip.target}</p>` : nothing}
    ${node?.tooltip?.prompt ? html`<h3>Prompt <span class="muted">template</span></h3><pre class="prompt template">${node.tooltip.prompt}</pre>` : nothing}
  </section>`;
}

/** The Step tab for a tool call of `step`'s tool loop: its tool, turn, status, duration, arguments, output or error. */
function toolDetail(step: string, call: ToolCallState): TemplateResult {
  return html`<section class="step-detail tool-detail" data-step=${toolCallKey(step, call.callId)}>
    <h2><code>tool ${call.tool}</code> <span class="status status-${call.status}">${call.status}</span></h2>
    <dl class="facts">
      <dt>Step</dt><dd>${step} · turn ${call.turn}</dd>
      <dt>Call</dt><dd><code>${call.callId}</code>${call.target ? ` · ${call.target}` : ''}</dd>
      <dt>Started</dt><dd>${formatTimestamp(call.startedAt)}</dd>
      <dt>Duration</dt><dd class="duration">${call.durationMs === undefined ? 'running' : formatDuration(call.durationMs)}</dd>
      ${call.tokens ? html`<dt>Tokens</dt><dd>${formatTokens(call.tokens)}</dd>` : nothing}
    </dl>
    ${call.arguments !== undefined ? html`<h3>Arguments</h3>${json(call.arguments, 'tool-arguments')}` : nothing}
    ${call.error ? html`<h3>Error</h3><p class="error"><code>${call.error.code}</code> ${call.error.message}</p>` : nothing}
    ${call.output !== undefined ? html`<h3>Output</h3>${json(call.output, 'step-output')}` : nothing}
  </section>`;
}

function json(value: JsonValue, className: string): TemplateResult {
  return html`<pre class="json ${className}">${JSON.stringify(value, null, 2)}</pre>`;
}
