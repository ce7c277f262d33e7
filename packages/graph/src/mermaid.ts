import type { FlowGraph, GraphNode } from '@baton/protocol';
import { nodesByParent } from './graph-lookup.js';

/**
 * The graph as a Mermaid flowchart (top-down). Node ids are replaced by `n0`, `n1`, … (Mermaid ids
 * cannot hold `/` or `@`); labels are quoted with `"` escaped as `#quot;` and `<`/`>` as `#lt;`/`#gt;`,
 * Mermaid's entity syntax, so no label can break out of its node.
 */
export function toMermaid(graph: FlowGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  // Mermaid's front matter: the title drawn above the chart
  const lines = [...(graph.title ? ['---', `title: ${JSON.stringify(`${graph.flow} · ${graph.title}`)}`, '---'] : []), 'flowchart TD'];
  const children = nodesByParent(graph);
  const emit = (parent: string | undefined, indent: string): void => {
    for (const n of children.get(parent) ?? []) {
      if (n.kind === 'loop' || n.kind === 'lock' || n.kind === 'region') {
        lines.push(`${indent}subgraph ${ids.get(n.id)}_box["${escape(n.kind === 'region' ? n.label : `${n.label}: ${n.detail ?? ''}`)}"]`);
        lines.push(`${indent}  ${ids.get(n.id)}${shape(n)}`);
        emit(n.id, indent + '  ');
        lines.push(`${indent}end`);
      } else {
        lines.push(`${indent}${ids.get(n.id)}${shape(n)}`);
      }
    }
  };
  emit(undefined, '  ');
  for (const e of graph.edges) {
    const arrow = e.kind === 'compensation' || e.kind === 'signal' || e.kind === 'cancel' ? '-.->' : '-->';
    const label = e.label ? `|"${escape(e.label)}"|` : '';
    lines.push(`  ${ids.get(e.source)} ${arrow}${label} ${ids.get(e.target)}`);
  }
  return lines.join('\n') + '\n';
}

function shape(n: GraphNode): string {
  const text = `"${escape(n.detail ? `${n.label}<br/>${n.detail}` : n.label, true)}"`;
  switch (n.kind) {
    case 'start':
    case 'end':
      return `([${text}])`;
    case 'decision':
      return `{${text}}`;
    case 'choice':
      return `{{${text}}}`;
    case 'merge':
      return '((" "))';
    case 'join':
    case 'fork': {
      // a bar: `fork`, or what it says (`fork<br/>one at a time`, `first 2 of 3<br/>cancel rest`)
      const words = [n.kind === 'fork' ? 'fork' : n.label, n.detail].filter((w): w is string => !!w);
      return `((${words.length ? `"${escape(words.join('<br/>'), true)}"` : '" "'}))`;
    }
    case 'approval':
      return `[/${text}/]`;
    case 'wait':
    case 'event':
      return `[(${text})]`;
    case 'trigger':
      return `>${text}]`;
    case 'subflow':
      return `[[${text}]]`;
    case 'cancel':
      return `((${text})):::fail`;
    case 'complete':
      return `(((${text})))`;
    case 'fail':
      return `[${text}]:::fail`;
    default:
      return `[${text}]`;
  }
}

function escape(text: string, keepBreak = false): string {
  const escaped = text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\n/g, ' ');
  return keepBreak ? escaped.replace(/#lt;br\/#gt;/g, '<br/>') : escaped;
}
