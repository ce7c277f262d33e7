import type { FlowGraph, GraphNode } from '@baton/protocol';
import { nodesByParent } from './graph-lookup.js';

/**
 * The graph in Graphviz DOT: top-down, loop containers as clusters, compensation edges dashed. Every id
 * and label is a quoted DOT string with `"` and `\` escaped.
 */
export function toDot(graph: FlowGraph): string {
  const lines = [`digraph ${quote(graph.flow)} {`, ...(graph.title ? [`  label=${quote(`${graph.flow} · ${graph.title}`)};`, '  labelloc=t;'] : []), '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=10];'];
  const children = nodesByParent(graph);
  const emit = (parent: string | undefined, indent: string): void => {
    for (const n of children.get(parent) ?? []) {
      lines.push(`${indent}${quote(n.id)} [${attrs(n)}];`);
      if ((n.kind === 'loop' || n.kind === 'lock' || n.kind === 'region') && children.has(n.id)) {
        const label = n.kind === 'region' ? n.label : `${n.label}: ${n.detail ?? ''}`;
        lines.push(`${indent}subgraph ${quote(`cluster_${n.id}`)} {`, `${indent}  label=${quote(label)}; style=${n.kind === 'region' ? '"rounded,dashed"' : 'rounded'};`);
        emit(n.id, indent + '  ');
        lines.push(`${indent}}`);
      }
    }
  };
  emit(undefined, '  ');
  for (const e of graph.edges) {
    const a: string[] = [];
    if (e.label) a.push(`label=${quote(e.label)}`);
    if (e.kind === 'compensation') a.push('style=dashed', 'constraint=false');
    if (e.kind === 'signal') a.push('style=dotted', 'constraint=false');
    if (e.kind === 'cancel') a.push('style=dashed', 'color=red', 'constraint=false');
    if (e.kind === 'loop') a.push('style=dotted');
    lines.push(`  ${quote(e.source)} -> ${quote(e.target)}${a.length ? ` [${a.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function attrs(n: GraphNode): string {
  const label = quote(n.detail ? `${n.label}\n${n.detail}` : n.label);
  const shapes: Record<string, string> = {
    start: 'shape=oval', end: 'shape=oval', trigger: 'shape=cds', step: 'shape=box, style=rounded', subflow: 'shape=box, peripheries=2',
    decision: 'shape=diamond', choice: 'shape=Mdiamond', merge: 'shape=point', fork: 'shape=box, height=0.1, style=filled, fillcolor=black, label=""',
    join: 'shape=box, height=0.1, style=filled, fillcolor=black, label=""', loop: 'shape=box, style=dashed', lock: 'shape=box, style=bold', region: 'shape=box, style="rounded,dashed"', cancel: 'shape=circle, color=red', complete: 'shape=doublecircle', signal: 'shape=invtriangle', approval: 'shape=parallelogram',
    wait: 'shape=cylinder', event: 'shape=cylinder', set: 'shape=note', let: 'shape=note', fail: 'shape=octagon, color=red',
  };
  const shape = shapes[n.kind] ?? 'shape=box';
  if (n.kind === 'fork' || n.kind === 'join') {
    // a bar: what it says (`one at a time`, `first 2 of 3` / `cancel rest`) beside it
    const words = [n.kind === 'join' ? n.label : '', n.detail ?? ''].filter((w) => w);
    return words.length ? `${shape}, xlabel=${quote(words.join('\n'))}` : shape;
  }
  return shape.includes('label=') ? shape : `label=${label}, ${shape}`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
