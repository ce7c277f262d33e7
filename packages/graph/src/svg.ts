import type { GraphLayout, GraphNodeKind, LaidOutEdge, LaidOutNode } from '@baton/protocol';
import { ICON_WIDTH, TEXT, TOGGLE_SIZE } from './layout-options.js';
import { clip, isContainer, nodeText } from './layout.js';

/** Options of {@link renderSvg}. */
export interface SvgOptions {
  /**
   * Include the stylesheet with the default colours (a light theme, and a dark one under
   * `prefers-color-scheme: dark`). The editor panel passes false and styles the same classes with VS Code's
   * theme variables.
   */
  standalone?: boolean;
  /**
   * The regions the viewer can fold (`foldRegions` ids): each gets a − toggle (`<g class="toggle fold"
   * data-fold="<region id>">`) on its node (a loop's title bar, a fork's bar, a decision) or, for an arm, beside
   * its edge's label; a folded node (`folded` set) gets a + toggle. Without it no fold toggle is drawn.
   */
  foldable?: ReadonlySet<string>;
}

/**
 * Draws a laid-out flow graph as SVG text. Every node is a `<g class="node kind-<kind>" data-id="<IR id>">`
 * (focusable, with an accessible label and a `<title>` tooltip), every edge a `<g class="edge edge-<kind>"
 * data-id="…">` with an orthogonal `<path>` and its label. Colours come from CSS custom properties
 * (`--baton-*`), so one drawing serves light, dark and high-contrast themes. Text is escaped; nothing from
 * the flow is interpreted as markup.
 */
export function renderSvg(layout: GraphLayout, options: SvgOptions = {}): string {
  const out: string[] = [];
  const width = Math.max(layout.width, 1);
  const height = Math.max(layout.height, 1);
  const name = `Flow ${layout.flow}${layout.title ? ` · ${layout.title}` : ''}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="baton-graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="group" aria-label="${esc(name)}" font-family="${FONT}">`,
  );
  out.push(`<title>${esc(name)}</title>`);
  if (options.standalone !== false) out.push(`<style>${STANDALONE_CSS}</style>`);
  out.push(
    '<defs>',
    '<marker id="baton-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker>',
    '<marker id="baton-arrow-undo" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-undo"/></marker>',
    '</defs>',
  );
  // Containers first (behind), then edges, then the other nodes on top.
  // Outer containers before inner ones (a loop inside an expanded sub-flow is drawn over it).
  const depth = (n: LaidOutNode): number => {
    let d = 0;
    for (let p = n.parent; p; p = layout.nodes.find((m) => m.id === p)?.parent) d++;
    return d;
  };
  const containers = layout.nodes.filter(isContainer).sort((a, b) => depth(a) - depth(b));
  const foldable = options.foldable ?? new Set<string>();
  for (const n of containers) out.push(node(n, foldable));
  out.push('<g class="edges">');
  for (const e of layout.edges) out.push(edge(e, foldable));
  out.push('</g><g class="nodes">');
  for (const n of layout.nodes) if (!isContainer(n)) out.push(node(n, foldable));
  out.push('</g></svg>');
  return out.join('');
}

const FONT = 'system-ui, -apple-system, Segoe UI, Ubuntu, Helvetica, Arial, sans-serif';

/** The default colours: used by the CLI's SVG; the editor panel overrides the variables with VS Code's. */
const STANDALONE_CSS = [
  '.baton-graph{--baton-bg:#ffffff;--baton-fg:#1f2328;--baton-muted:#59636e;--baton-node:#f6f8fa;--baton-border:#8c959f;--baton-edge:#6e7781;--baton-accent:#0969da;--baton-decision:#fff8c5;--baton-approval:#ddf4ff;--baton-fail:#cf222e;--baton-undo:#bc4c00;--baton-bar:#1f2328;--baton-container:#f6f8fa80}',
  '@media (prefers-color-scheme: dark){.baton-graph{--baton-bg:#0d1117;--baton-fg:#e6edf3;--baton-muted:#9198a1;--baton-node:#161b22;--baton-border:#3d444d;--baton-edge:#9198a1;--baton-accent:#4493f8;--baton-decision:#2e2a12;--baton-approval:#0c2d4a;--baton-fail:#f85149;--baton-undo:#db6d28;--baton-bar:#e6edf3;--baton-container:#161b2280}}',
  graphShapeCss(),
].join('');

/** Shape styling shared by the standalone SVG and the editor panel (which sets the variables). */
export function graphShapeCss(): string {
  return [
    '.baton-graph{background:var(--baton-bg);color:var(--baton-fg)}',
    '.baton-graph text{fill:var(--baton-fg);font-size:13px}',
    '.baton-graph text.detail{fill:var(--baton-muted);font-size:11px}',
    '.baton-graph .shape{fill:var(--baton-node);stroke:var(--baton-border);stroke-width:1.2}',
    '.baton-graph .kind-decision .shape,.baton-graph .kind-choice .shape,.baton-graph .kind-merge .shape{fill:var(--baton-decision)}',
    '.baton-graph .kind-approval .shape{fill:var(--baton-approval)}',
    '.baton-graph .kind-fail .shape{stroke:var(--baton-fail);stroke-width:2}',
    '.baton-graph .kind-fork .shape,.baton-graph .kind-join .shape,.baton-graph .kind-end .inner{fill:var(--baton-bar);stroke:none}',
    '.baton-graph .kind-start .shape{stroke:var(--baton-accent);stroke-width:2}',
    '.baton-graph .kind-start text{font-weight:600}',
    '.baton-graph .kind-loop .shape{fill:var(--baton-container);stroke-dasharray:6 4}',
    '.baton-graph .kind-lock .shape{fill:var(--baton-container);stroke-width:2}',
    '.baton-graph .kind-lock text.label{font-weight:600}',
    '.baton-graph .edge-signal path{stroke-dasharray:2 3}',
    '.baton-graph .kind-region .shape{fill:var(--baton-container);stroke-dasharray:8 4}',
    '.baton-graph .kind-region text.label{font-weight:600}',
    '.baton-graph .kind-cancel .shape{stroke:var(--baton-fail)}',
    '.baton-graph .kind-complete .shape{stroke-width:3}',
    '.baton-graph .edge-cancel path{stroke:var(--baton-fail);stroke-dasharray:5 4}',
    '.baton-graph .kind-loop text.label{font-weight:600}',
    '.baton-graph .icon{fill:none;stroke:var(--baton-accent);stroke-width:1.5;stroke-linecap:round;stroke-linejoin:round}',
    '.baton-graph .edge path{fill:none;stroke:var(--baton-edge);stroke-width:1.4}',
    '.baton-graph .arrow{fill:var(--baton-edge)}',
    '.baton-graph .arrow-undo{fill:var(--baton-undo)}',
    '.baton-graph .edge-compensation path{stroke:var(--baton-undo);stroke-dasharray:5 4}',
    '.baton-graph .edge-loop path{stroke-dasharray:2 3}',
    '.baton-graph .edge text{font-size:11px;fill:var(--baton-muted)}',
    '.baton-graph .edge .label-bg{fill:var(--baton-bg)}',
    '.baton-graph .kind-subflow .inner-border{fill:none}',
    '.baton-graph .kind-choice .inner{fill:none;stroke:var(--baton-border);stroke-width:1.2}',
    '.baton-graph .expanded > .shape{fill:var(--baton-container)}',
    '.baton-graph .toggle rect{fill:var(--baton-bg);stroke:var(--baton-border)}',
    '.baton-graph .toggle path{stroke:var(--baton-fg);stroke-width:1.5}',
    '.baton-graph .toggle{cursor:pointer}',
    '.baton-graph .folded > .stack .shape{fill:var(--baton-node);stroke:var(--baton-border)}',
    '.baton-graph .kind-arm .shape{stroke-dasharray:6 3}',
    '.baton-graph .kind-loop.folded > .shape{fill:var(--baton-node)}',
    '.baton-graph .kind-fork.folded > .shape{fill:var(--baton-node)}',
    '.baton-graph .kind-fork.folded:not(:focus):not(.selected) > .shape{stroke:var(--baton-border);stroke-width:1.2}',
    '.baton-graph .kind-fork.folded .bar{fill:var(--baton-bar);stroke:none}',
    '.baton-graph .node:focus{outline:none}',
    '.baton-graph .node:focus .shape{stroke:var(--baton-accent);stroke-width:2.5}',
  ].join('');
}

function node(n: LaidOutNode, foldable: ReadonlySet<string>): string {
  const { label, detail } = nodeText(n);
  const folded = n.folded !== undefined;
  const aria = `${KIND_WORDS[n.kind]} ${n.label}${n.detail ? `: ${n.detail}` : ''}${folded ? `, folded (${n.folded} node${n.folded === 1 ? '' : 's'} inside)` : ''}`;
  const parts: string[] = [
    `<g class="node kind-${n.kind}${n.expanded ? ' expanded' : ''}${folded ? ' folded' : ''}" data-id="${esc(n.id)}" transform="translate(${n.x},${n.y})" tabindex="0" role="button" aria-label="${esc(aria)}">`,
    `<title>${esc(aria)}</title>`,
    // a folded region is drawn as a small stack: its shape twice, the back one offset
    folded ? `<g class="stack" transform="translate(4,4)">${shape(n)}</g>` : '',
    shape(n),
  ];
  const icon = ICONS[n.kind];
  if (isContainer(n)) {
    parts.push(`<path class="icon" transform="translate(10,9)" d="${n.kind === 'loop' ? ICONS.loop : n.kind === 'lock' ? ICONS.lock : n.kind === 'region' ? ICONS.region : ICONS.subflow}"/>`);
    // The title is clipped to the container's width (the whole text is in the tooltip).
    const room = Math.max(4, Math.floor((n.width - ICON_WIDTH - 16) / TEXT.detailCharWidth));
    parts.push(`<text class="label" x="${ICON_WIDTH + 10}" y="19">${esc(clip(label, room))}</text>`);
    if (detail) parts.push(`<text class="detail" x="${ICON_WIDTH + 10}" y="33">${esc(clip(detail, room))}</text>`);
  } else if (label && (folded || (n.kind !== 'fork' && n.kind !== 'join')) && n.kind !== 'merge' && n.kind !== 'end') {
    const right = folded && n.kind !== 'decision' ? TOGGLE_SIZE : 0;
    const cx = icon ? (n.width + ICON_WIDTH - right) / 2 : (n.width - right) / 2;
    if (icon) parts.push(`<path class="icon" transform="translate(${(n.kind === 'trigger' ? 12 : 10)},${n.height / 2 - 7})" d="${icon}"/>`);
    if (detail) {
      parts.push(`<text class="label" x="${cx}" y="${n.height / 2 - 3}" text-anchor="middle">${esc(label)}</text>`);
      parts.push(`<text class="detail" x="${cx}" y="${n.height / 2 + 12}" text-anchor="middle">${esc(detail)}</text>`);
    } else {
      parts.push(`<text class="label" x="${cx}" y="${n.height / 2 + 4.5}" text-anchor="middle">${esc(label)}</text>`);
    }
  }
  if ((n.kind === 'fork' || n.kind === 'join') && !folded && (detail || (n.kind === 'join' && label))) {
    // a bar says what it does beside its right end (after a fork's fold toggle): `one at a time`, `first 2 of 3 · cancel rest`
    const words = [n.kind === 'join' ? label : '', detail ?? ''].filter((w) => w).join(' · ');
    parts.push(`<text class="detail" x="${n.width + (n.kind === 'fork' ? 24 : 6)}" y="${n.height / 2 + 4}">${esc(words)}</text>`);
  }
  if (n.kind === 'subflow') {
    // The expand/collapse toggle (the panel acts on clicks on `.toggle`); a static SVG shows the state.
    const x = n.width - 18;
    const sign = n.expanded ? 'M3,7 H11' : 'M3,7 H11 M7,3 V11';
    parts.push(`<g class="toggle" data-toggle="${esc(n.id)}" transform="translate(${x},4)" role="button" aria-label="${n.expanded ? 'collapse' : 'expand'} ${esc(n.label)}"><rect width="14" height="14" rx="3"/><path d="${sign}"/></g>`);
  } else if (folded || foldable.has(n.id)) {
    // fold toggles: on a fork's bar at its right end, on anything else at the top-right corner of its box
    const at = n.kind === 'fork' && !folded ? `${n.width + 4},${n.height / 2 - 7}` : `${n.width - 18},4`;
    parts.push(foldToggle(n.id, folded, `${folded ? 'unfold' : 'fold'} ${KIND_WORDS[n.kind]} ${n.label}`, at));
  }
  parts.push('</g>');
  return parts.join('');
}

function shape(n: LaidOutNode): string {
  const w = n.width;
  const h = n.height;
  switch (n.kind) {
    case 'start':
    case 'wait':
      return `<rect class="shape" width="${w}" height="${h}" rx="${h / 2}"/>`;
    case 'end':
      return `<circle class="shape" cx="${w / 2}" cy="${h / 2}" r="${w / 2 - 1}"/><circle class="inner" cx="${w / 2}" cy="${h / 2}" r="${w / 2 - 6}"/>`;
    case 'decision':
    case 'merge':
      return `<polygon class="shape" points="${w / 2},0 ${w},${h / 2} ${w / 2},${h} 0,${h / 2}"/>`;
    case 'choice': {
      // BPMN's event-based gateway: the diamond with a pentagon (an event) inside, at its top so the text stays clear
      const c = w / 2;
      const p = `${c},4 ${c + 8},10 ${c + 5},18 ${c - 5},18 ${c - 8},10`;
      return `<polygon class="shape" points="${c},0 ${w},${h / 2} ${c},${h} 0,${h / 2}"/><polygon class="inner" points="${p}"/>`;
    }
    case 'fork':
    case 'join':
      // a folded `parallel`: a box between the fork's and the join's bars
      if (n.folded !== undefined) return `<rect class="shape" width="${w}" height="${h}" rx="6"/><rect class="bar" width="${w}" height="4" rx="2"/><rect class="bar" y="${h - 4}" width="${w}" height="4" rx="2"/>`;
      return `<rect class="shape" width="${w}" height="${h}" rx="2"/>`;
    case 'arm':
      return `<rect class="shape" width="${w}" height="${h}" rx="6"/>`;
    case 'trigger':
      // an entry tag: a box whose bottom points into the flow
      return `<polygon class="shape" points="0,0 ${w},0 ${w},${h - 8} ${w / 2},${h} 0,${h - 8}"/>`;
    case 'subflow':
      if (n.expanded) return `<rect class="shape" width="${w}" height="${h}" rx="10"/><rect class="shape inner-border" x="4" y="4" width="${w - 8}" height="${h - 8}" rx="7"/>`;
      return `<rect class="shape" width="${w}" height="${h}" rx="6"/><path class="shape" d="M7,0 V${h} M${w - 7},0 V${h}"/>`;
    case 'approval': {
      const c = 10;
      return `<polygon class="shape" points="${c},0 ${w - c},0 ${w},${h / 2} ${w - c},${h} ${c},${h} 0,${h / 2}"/>`;
    }
    case 'event':
      return `<rect class="shape" width="${w}" height="${h}" rx="${h / 2}"/><rect class="shape" x="3" y="3" width="${w - 6}" height="${h - 6}" rx="${h / 2 - 3}"/>`;
    case 'set':
    case 'let': {
      const s = 8;
      return `<polygon class="shape" points="${s},0 ${w},0 ${w - s},${h} 0,${h}"/>`;
    }
    case 'fail': {
      const c = 10;
      return `<polygon class="shape" points="${c},0 ${w - c},0 ${w},${c} ${w},${h - c} ${w - c},${h} ${c},${h} 0,${h - c} 0,${c}"/>`;
    }
    case 'signal': {
      // a flag: the BPMN throw event's pennant, as a box with a notched right side
      const n = 8;
      return `<polygon class="shape" points="0,0 ${w},0 ${w - n},${h / 2} ${w},${h} 0,${h}"/>`;
    }
    case 'cancel':
      // a circle-ended box with a × at its left (BPMN's cancel end event)
      return `<rect class="shape" width="${w}" height="${h}" rx="${h / 2}"/><path class="shape" d="M${h / 2 - 5},${h / 2 - 5} L${h / 2 + 5},${h / 2 + 5} M${h / 2 + 5},${h / 2 - 5} L${h / 2 - 5},${h / 2 + 5}"/>`;
    case 'complete':
      // a bold circle-ended box (BPMN's terminate end event)
      return `<rect class="shape" width="${w}" height="${h}" rx="${h / 2}"/><circle class="shape" cx="${h / 2}" cy="${h / 2}" r="6"/>`;
    case 'loop':
    case 'lock':
    case 'region':
      return `<rect class="shape" width="${w}" height="${h}" rx="10"/>`;
    case 'step':
      return `<rect class="shape" width="${w}" height="${h}" rx="6"/>`;
  }
}

/** A fold toggle at `at` (`x,y` in the node's or the drawing's coordinates): − folds, + unfolds. */
function foldToggle(region: string, folded: boolean, label: string, at: string): string {
  const sign = folded ? 'M3,7 H11 M7,3 V11' : 'M3,7 H11';
  return `<g class="toggle fold" data-fold="${esc(region)}" transform="translate(${at})" role="button" aria-label="${esc(label)}"><rect width="${TOGGLE_SIZE}" height="${TOGGLE_SIZE}" rx="3"/><path d="${sign}"/></g>`;
}

function edge(e: LaidOutEdge, foldable: ReadonlySet<string>): string {
  if (e.points.length < 2) return '';
  const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  const marker = e.kind === 'compensation' ? 'baton-arrow-undo' : 'baton-arrow';
  const parts = [`<g class="edge edge-${e.kind}" data-id="${esc(e.id)}" data-source="${esc(e.source)}" data-target="${esc(e.target)}">`, `<path d="${d}" marker-end="url(#${marker})"/>`];
  if (e.label && e.labelBox) {
    const b = e.labelBox;
    parts.push(`<rect class="label-bg" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="3"/>`);
    // an arm that can fold: its toggle at the right end of the label's box (layoutFlowGraph made room for it)
    const arm = e.branch !== undefined ? `${e.source}#${e.branch}` : undefined;
    const toggle = arm !== undefined && foldable.has(arm) && e.target !== arm;
    const room = toggle ? TOGGLE_SIZE + 2 : 0;
    parts.push(`<text x="${b.x + (b.width - room) / 2}" y="${b.y + b.height - 4}" text-anchor="middle">${esc(trimLabel(e.label))}</text>`);
    if (toggle) parts.push(foldToggle(arm, false, `fold ${e.label}`, `${b.x + b.width - TOGGLE_SIZE - 1},${b.y + (b.height - TOGGLE_SIZE) / 2}`));
  }
  parts.push('</g>');
  return parts.join('');
}

const trimLabel = (label: string): string => (label.length <= TEXT.maxEdgeLabelChars ? label : `${label.slice(0, TEXT.maxEdgeLabelChars - 1)}…`);

/** What a screen reader says before a node's name. */
const KIND_WORDS: Record<GraphNodeKind, string> = {
  start: 'flow',
  end: 'end',
  trigger: 'trigger',
  step: 'step',
  subflow: 'sub-flow',
  decision: 'decision',
  choice: 'first of',
  merge: 'merge',
  fork: 'parallel',
  join: 'join',
  loop: 'loop',
  lock: 'critical section',
  signal: 'raise',
  region: 'cancellation',
  cancel: 'cancel',
  complete: 'complete',
  approval: 'approval',
  wait: 'wait',
  event: 'wait for event',
  set: 'set',
  let: 'let',
  fail: 'fail',
  arm: 'arm',
};

/** 14×14 line icons (drawn with the `icon` class: stroke only). */
const ICONS: Partial<Record<GraphNodeKind, string>> = {
  // an agent: a head and shoulders with a spark
  step: 'M5,5.5 a2.5,2.5 0 1,0 0.01,0 M1,13 C1,9.5 9,9.5 9,13 M11,1 V5 M9,3 H13',
  // a sub-flow: two linked boxes
  subflow: 'M1,1 H7 V6 H1 Z M7,8 H13 V13 H7 Z M4,6 V10.5 H7',
  // a person with a check
  approval: 'M5,5 a2.5,2.5 0 1,0 0.01,0 M1,13 C1,9.5 9,9.5 9,13 M9.5,6 L11,7.5 L13.5,4',
  // a lightning bolt
  trigger: 'M8,1 L3,8 H7 L6,13 L11,6 H7 Z',
  // a clock
  wait: 'M7,1 a6,6 0 1,0 0.01,0 M7,4 V7 L9.5,8.5',
  // an envelope
  event: 'M1,3 H13 V11 H1 Z M1,3 L7,8 L13,3',
  // a circular arrow
  loop: 'M12,7 a5,5 0 1,1 -1.5,-3.6 M11,1 V4 H8',
  // a padlock: the shackle over the body
  lock: 'M4,6 V4 a3,3 0 0,1 6,0 V6 M2,6 H12 V13 H2 Z',
  // a dashed frame: a region that can be cancelled
  region: 'M1,1 H5 M9,1 H13 V5 M13,9 V13 H9 M5,13 H1 V9 M1,5 V1',
  // two parallel lanes between bars (a folded `parallel`)
  fork: 'M1,1 H13 M1,13 H13 M4,1 V13 M10,1 V13',
  // a branching path (a folded arm)
  arm: 'M7,13 V8 M7,8 L2,2 M7,8 L12,2',
};

/** Escapes text for SVG element content and attribute values. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
