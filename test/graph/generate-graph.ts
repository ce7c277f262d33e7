import type { FlowGraph, GraphEdge, GraphNode } from '@baton/protocol';

/**
 * A seeded generator of flow graphs shaped like build-graph's output: chains of steps, decisions with 2–4 arms
 * and a merge, parallels with a fork and a join, loop containers with a body, compensation nodes.
 */
export function generateGraph(targetNodes: number, seed: number): FlowGraph {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  let counter = 0;
  const add = (kind: GraphNode['kind'], parent: string | undefined, label = `${kind}${counter}`): string => {
    const id = `G/${kind}${counter++}`;
    nodes.push({ id, kind, label, detail: kind === 'step' ? `Agent${counter % 7}` : undefined, ...(parent ? { parent } : {}) });
    return id;
  };
  const edge = (source: string, target: string, kind: GraphEdge['kind'] = 'flow', label?: string): void => {
    edges.push({ id: `${source}->${target}${label ? `:${label}` : ''}`, source, target, kind, ...(label ? { label } : {}) });
  };
  const start = add('start', undefined, 'G');
  const sequence = (from: string[], parent: string | undefined, budget: number, depth: number, firstLabel?: string): string[] => {
    let tails = from;
    let label = firstLabel;
    const link = (to: string): void => {
      for (const t of tails) edge(t, to, label ? 'branch' : 'flow', label);
      label = undefined;
    };
    while (budget > 0 && nodes.length < targetNodes) {
      const r = random();
      if (depth < 3 && r < 0.12 && budget > 6) {
        const decision = add('decision', parent, 'if');
        link(decision);
        const arms = 2 + Math.floor(random() * 3);
        const merge = `${decision}/merge`;
        const armTails: string[] = [];
        for (let a = 0; a < arms; a++) armTails.push(...sequence([decision], parent, Math.max(1, Math.floor(budget / (arms * 2))), depth + 1, `arm ${a}`));
        nodes.push({ id: merge, kind: 'merge', label: '', ...(parent ? { parent } : {}) });
        for (const t of armTails) edge(t, merge);
        tails = [merge];
        budget -= 6;
      } else if (depth < 3 && r < 0.22 && budget > 5) {
        const fork = add('fork', parent, 'parallel');
        link(fork);
        const branches = 2 + Math.floor(random() * 4);
        const join = `${fork}/join`;
        const branchTails: string[] = [];
        for (let b = 0; b < branches; b++) branchTails.push(...sequence([fork], parent, 1 + Math.floor(random() * 2), depth + 1));
        nodes.push({ id: join, kind: 'join', label: '', ...(parent ? { parent } : {}) });
        for (const t of branchTails) edge(t, join);
        tails = [join];
        budget -= 5;
      } else if (depth < 2 && r < 0.28 && budget > 4) {
        const loop = add('loop', parent, 'foreach');
        link(loop);
        const inner = sequence([loop], loop, 2 + Math.floor(random() * 3), depth + 1);
        if (random() < 0.5) for (const t of inner) edge(t, loop, 'loop', 'again');
        tails = [loop];
        budget -= 4;
      } else {
        const step = add('step', parent);
        link(step);
        if (random() < 0.08) {
          const undo = `${step}/compensate`;
          nodes.push({ id: undo, kind: 'step', label: `undo ${step}`, detail: 'Undoer', ...(parent ? { parent } : {}) });
          edge(undo, step, 'compensation', 'compensates');
        }
        tails = [step];
        budget -= 1;
      }
    }
    return tails;
  };
  const tails = sequence([start], undefined, targetNodes, 0);
  const end = add('end', undefined, 'end');
  for (const t of tails) edge(t, end);
  return { flow: 'G', nodes, edges };
}
