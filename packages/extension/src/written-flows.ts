// What the graph panel's written-flow mode decides without the editor (graph-panel-written.ts draws it): which written
// flow a name means, which of a run's events concern its graph, what a `step s: run plan` node runs, and which step a
// Runs view entry names. No `vscode`.
import type { FlowGraph, RunEvent, WrittenFlowView } from '@baton/protocol';

/**
 * The written flow `which` names among `views`: by the generating step's key (`plan`) or node id (`Dispatch/plan`),
 * the definition (`sha256:<hex>` or the bare hex), or the flow's name. Undefined when none matches.
 */
export function findWritten(views: readonly WrittenFlowView[], which: string): WrittenFlowView | undefined {
  const bare = which.replace(/^sha256:/, '');
  return views.find((v) => v.step === which || v.node === which || v.definition === `sha256:${bare}` || v.flow === which);
}

/** Whether `event` is the run's own (no node) or names a node of `nodes`. */
export function concerns(nodes: ReadonlySet<string>, event: RunEvent): boolean {
  const node = (event as { node?: unknown }).node;
  return typeof node !== 'string' || nodes.has(node);
}

/**
 * The generating step a `step s: run plan` node of `graph` runs the flow of (node id `id`, detail `run plan`): the
 * node id of step `plan` beside it, else the name. Undefined for any other node.
 */
export function generatingStepOf(graph: FlowGraph | undefined, id: string): string | undefined {
  const node = graph?.nodes.find((n) => n.id === id);
  if (node?.kind !== 'subflow' || !node.detail?.startsWith('run ')) return undefined;
  const name = node.detail.slice('run '.length);
  const flow = id.slice(0, id.indexOf('/'));
  return graph!.nodes.find((n) => n.kind === 'step' && n.label === name && n.id.startsWith(`${flow}/`))?.id ?? name;
}

/** The generating step a Runs view entry of an answer names (`plan · flow 2` → `plan`); undefined for another entry. */
export function writtenEntryStep(key: string | undefined): string | undefined {
  const at = key?.lastIndexOf(' · flow ') ?? -1;
  return at > 0 ? key!.slice(0, at) : undefined;
}
