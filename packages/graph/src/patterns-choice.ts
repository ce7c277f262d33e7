import { choiceArmText, exprToText, formatMs, type ChoiceArm, type ChoiceNode, type GraphEdge, type GraphNode, type Statement } from '@baton/protocol';

/** What {@link choiceGraph} uses of the graph being built (build-graph.ts's helpers). */
export interface ChoiceGraphHost {
  add(node: GraphNode, parent: string | undefined): GraphNode;
  edge(source: string, target: string, kind?: GraphEdge['kind'], label?: string, branch?: number): void;
  connect(from: string[], to: string, label?: string, kind?: GraphEdge['kind'], branch?: number): void;
  block(body: Statement[], from: string[], parent: string | undefined): string[];
  /** A signal arm, for the dotted `signal` edges from each `signal s` that raises it. */
  signalWait(id: string, signal: string): void;
}

/**
 * Draws `wait first { … }`: a `choice` node (BPMN's event-based gateway) labelled `wait first`, one `branch` edge per
 * arm (numbered as the run's `branch.taken`, labelled `event payment.received` / `approval write_off` / `after 3d` /
 * `signal s`) to the arm's own node — an `event` node for an event or signal arm, an `approval` node, a `wait` node
 * for the timer, so the run overlay lights the winner and greys the withdrawn ones — then the arm's body, and a
 * `merge` after. @returns the merge (the choice's tail).
 */
export function choiceGraph(host: ChoiceGraphHost, s: ChoiceNode, from: string[], parent: string | undefined, label?: string, branch?: number): string[] {
  host.add({ id: s.id, kind: 'choice', label: 'wait first', detail: `${s.arms.length} arm${s.arms.length === 1 ? '' : 's'}`, range: s.range }, parent);
  host.connect(from, s.id, label, 'flow', branch);
  const tails: string[] = [];
  s.arms.forEach((arm, i) => {
    host.add({ ...armNode(arm), range: arm.range }, parent);
    host.edge(s.id, arm.id, 'branch', choiceArmText(arm), i);
    if (arm.kind === 'signal') host.signalWait(arm.id, arm.signal);
    tails.push(...host.block(arm.body, [arm.id], parent));
  });
  const merge = `${s.id}/merge`;
  host.add({ id: merge, kind: 'merge', label: '', range: s.range }, parent);
  host.connect(tails, merge);
  return [merge];
}

/** An approval node's detail: `approval`, `approval · 2d` (its timeout), `approval · 2d · sla 4h`, `approval · sla 4h`. */
export function approvalDetail(timeoutMs: number | undefined, slaMs: number | undefined): string {
  return ['approval', ...(timeoutMs !== undefined ? [formatMs(timeoutMs)] : []), ...(slaMs !== undefined ? [`sla ${formatMs(slaMs)}`] : [])].join(' · ');
}

function armNode(arm: ChoiceArm): GraphNode {
  switch (arm.kind) {
    case 'event': {
      const parts = [arm.name ? `as ${arm.name}` : '', arm.where ? `${arm.where.path.join('.')} == ${exprToText(arm.where.value)}` : ''].filter((p) => p);
      return { id: arm.id, kind: 'event', label: `event ${arm.event}`, ...(parts.length ? { detail: parts.join(' · ') } : {}) };
    }
    case 'approval':
      return { id: arm.id, kind: 'approval', label: arm.name, detail: approvalDetail(undefined, arm.slaMs) };
    case 'timer':
      return { id: arm.id, kind: 'wait', label: `after ${formatMs(arm.durationMs)}` };
    case 'signal':
      return { id: arm.id, kind: 'event', label: `signal ${arm.signal}` };
  }
}
