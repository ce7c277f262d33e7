// A graph node's details, shown as its tooltip (graph-view.ts): what the step is, and during a run what it did —
// its error and its tool loop (run-overlay.ts `toolLoop`). DOM only: no data in markup (text nodes), CSP-safe.
import type { GraphNode } from '@baton/protocol';
import type { ToolLoopLine } from './run-overlay.js';

/**
 * The tooltip's lines: the node's accessible name, then prompt, target, output type and the agent's tools when known;
 * with a run drawn, the step's error and its tool loop (turns, tool calls, calls waiting for approval).
 */
export function tooltipLines(node: GraphNode, title: string, run: { error?: string; toolLoop: ToolLoopLine[] }): HTMLElement[] {
  const line = (cls: string, label: string | undefined, text: string): HTMLElement => {
    const div = document.createElement('div');
    div.className = cls;
    if (label) {
      const b = document.createElement('span');
      b.className = 'key';
      b.textContent = `${label} `;
      div.append(b);
    }
    div.append(document.createTextNode(text));
    return div;
  };
  const lines = [line('title', undefined, title)];
  if (node.tooltip?.target) lines.push(line('row', 'calls', node.tooltip.target));
  if (node.tooltip?.prompt) lines.push(line('row prompt', 'prompt', node.tooltip.prompt));
  if (node.tooltip?.output) lines.push(line('row', 'output', node.tooltip.output));
  if (node.tooltip?.tools) lines.push(line('row', 'tools', node.tooltip.tools));
  if (run.error) lines.push(line('row run-error', 'error', run.error));
  if (run.toolLoop.length) {
    const loop = document.createElement('div');
    loop.className = 'tool-loop';
    loop.setAttribute('aria-label', 'Tool loop');
    for (const l of run.toolLoop) {
      const row = line(`row ${l.kind}${l.status ? ` ${l.status}` : ''}`, l.step ? `${l.step} · ${l.label}` : l.label, l.text);
      loop.append(row);
    }
    lines.push(loop);
  }
  if (node.range) lines.push(line('row where', undefined, `line ${node.range.start.line} · click or Enter to reveal`));
  return lines;
}
