import type { FlowGraph, GraphLayout, GraphNode, LaidOutNode } from '@baton/protocol';
import { renderSvg } from '@baton/graph';
import { formatDuration, type RunOverlay } from './run-overlay.js';

/** What the view shows of the drawing: the layout point at the top-left corner and the zoom (screen px per layout px). */
export interface ViewState {
  x: number;
  y: number;
  scale: number;
}

/** What the view tells its owner. */
export interface GraphViewCallbacks {
  /** A node was clicked, or Enter pressed on it: reveal its source. */
  reveal(id: string): void;
  /** Zoom, pan or selection changed (to persist with `setState`). */
  changed(): void;
  /** A sub-flow step's expand/collapse toggle was clicked. */
  toggle(id: string): void;
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
/** Pointer movement (px) below which a press on a node is a click, not a drag. */
const DRAG_THRESHOLD = 4;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Draws a laid-out graph (packages/graph `renderSvg`, themed by the page's CSS) in `host` and handles the
 * interaction: pan by dragging the background, zoom with the wheel (around the pointer) or `zoomBy`, zoom
 * to fit, selection, the cursor highlight, arrow-key navigation between nodes (to the nearest node in that
 * direction), Enter/Space to reveal, a tooltip with the node's prompt, target and output type, and the run
 * overlay's classes and badges. Pan and zoom move the SVG's `viewBox` only, so no style attribute is set.
 */
export class GraphView {
  private svg: SVGSVGElement | undefined;
  private layout: GraphLayout | undefined;
  private graph: FlowGraph | undefined;
  private view: ViewState = { x: 0, y: 0, scale: 1 };
  private selected: string | undefined;
  private highlighted: string | undefined;
  private readonly tooltip: HTMLDivElement;
  private readonly nodeElements = new Map<string, SVGGElement>();

  constructor(
    private readonly host: HTMLElement,
    private readonly callbacks: GraphViewCallbacks,
  ) {
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    host.append(this.tooltip);
    this.listen();
    new ResizeObserver(() => this.applyView()).observe(host);
  }

  /** The drawn layout (undefined before the first graph). */
  get current(): GraphLayout | undefined {
    return this.layout;
  }

  get viewState(): ViewState {
    return { ...this.view };
  }

  get selection(): string | undefined {
    return this.selected;
  }

  /**
   * Draws `layout` (of `graph`). With `keepView` the zoom, pan and selection stay as they were (an edit);
   * otherwise the drawing is fitted to the panel (a new flow). `restore` sets a saved view instead.
   */
  show(graph: FlowGraph, layout: GraphLayout, options: { keepView: boolean; restore?: ViewState; selected?: string }): void {
    this.graph = graph;
    this.layout = layout;
    const focusedId = (document.activeElement as Element | null)?.closest?.('.node')?.getAttribute('data-id') ?? undefined;
    const template = document.createElement('template');
    template.innerHTML = renderSvg(layout, { standalone: false });
    const svg = template.content.firstElementChild as SVGSVGElement;
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
    this.nodeElements.clear();
    for (const g of svg.querySelectorAll<SVGGElement>('g.node')) {
      const id = g.getAttribute('data-id')!;
      this.nodeElements.set(id, g);
      g.dataset.label = g.getAttribute('aria-label') ?? '';
      // The panel's own tooltip replaces the SVG's <title> (which would show a second one).
      g.querySelector(':scope > title')?.remove();
    }
    if (this.svg) this.svg.replaceWith(svg);
    else this.host.prepend(svg);
    this.svg = svg;
    if (options.restore) this.view = { ...options.restore };
    else if (!options.keepView) this.fitView();
    if (!options.keepView) this.selected = options.selected;
    if (this.selected && !this.nodeElements.has(this.selected)) this.selected = undefined;
    this.applyView();
    this.markSelection();
    this.setHighlight(this.highlighted);
    if (focusedId) this.nodeElements.get(focusedId)?.focus({ preventScroll: true });
  }

  /** Removes the drawing (no graph to show). */
  clear(): void {
    this.svg?.remove();
    this.svg = undefined;
    this.layout = undefined;
    this.graph = undefined;
    this.nodeElements.clear();
  }

  /** Replaces the graph's data (tooltips, ranges) when an edit did not change the drawing. */
  updateGraph(graph: FlowGraph): void {
    this.graph = graph;
  }

  /** Zooms so the whole drawing fits the panel (never above 100 %). */
  fit(): void {
    this.fitView();
    this.applyView();
    this.callbacks.changed();
  }

  /** Zooms by `factor` around a point of the panel (px from its top-left; default its centre). */
  zoomBy(factor: number, at?: { x: number; y: number }): void {
    const { width, height } = this.size();
    const px = at?.x ?? width / 2;
    const py = at?.y ?? height / 2;
    const scale = clamp(this.view.scale * factor, MIN_SCALE, MAX_SCALE);
    // keep the layout point under (px, py) where it is
    const lx = this.view.x + px / this.view.scale;
    const ly = this.view.y + py / this.view.scale;
    this.view = { scale, x: lx - px / scale, y: ly - py / scale };
    this.applyView();
    this.callbacks.changed();
  }

  /** Sets the zoom to 100 % around the panel's centre. */
  actualSize(): void {
    this.zoomBy(1 / this.view.scale);
  }

  /** Marks the node at the editor's cursor (`undefined`: none). */
  setHighlight(id: string | undefined): void {
    this.highlighted = id;
    for (const g of this.host.querySelectorAll('g.node.cursor')) g.classList.remove('cursor');
    if (id) this.nodeElements.get(id)?.classList.add('cursor');
  }

  /** Selects a node (as a click does, without revealing it) and scrolls it into view. */
  select(id: string | undefined): void {
    this.selected = id && this.nodeElements.has(id) ? id : undefined;
    this.markSelection();
    if (this.selected) this.ensureVisible(this.selected);
    this.callbacks.changed();
  }

  /** Colours nodes and edges with the overlay's states; adds a badge with the duration and retries. */
  applyOverlay(overlay: RunOverlay): void {
    if (!this.svg || !this.graph) return;
    for (const [id, g] of this.nodeElements) {
      g.classList.remove('run-running', 'run-waiting', 'run-succeeded', 'run-failed', 'run-skipped');
      g.querySelector(':scope > .run-badge')?.remove();
      const state = overlay.nodes.get(id);
      const base = g.dataset.label ?? '';
      if (!state) {
        g.setAttribute('aria-label', base);
        continue;
      }
      g.classList.add(`run-${state.status}`);
      const parts: string[] = [state.status];
      if (state.durationMs !== undefined) parts.push(formatDuration(state.durationMs));
      if (state.retries > 0) parts.push(`${state.retries} ${state.retries === 1 ? 'retry' : 'retries'}`);
      g.setAttribute('aria-label', `${base}, ${parts.join(', ')}`);
      const box = this.layout?.nodes.find((n) => n.id === id);
      if (box && (state.durationMs !== undefined || state.retries > 0 || state.status === 'waiting' || state.status === 'running')) {
        const badge = document.createElementNS(SVG_NS, 'text');
        badge.setAttribute('class', 'run-badge');
        badge.setAttribute('x', String(box.width));
        badge.setAttribute('y', '-4');
        badge.setAttribute('text-anchor', 'end');
        badge.textContent = [state.status === 'waiting' ? 'waiting' : state.status === 'running' ? 'running…' : undefined, state.durationMs !== undefined ? formatDuration(state.durationMs) : undefined, state.retries > 0 ? `↻ ${state.retries}` : undefined]
          .filter(Boolean)
          .join(' · ');
        g.append(badge);
      }
    }
    const taken = overlay.takenEdges(this.graph);
    for (const e of this.svg.querySelectorAll<SVGGElement>('g.edge')) e.classList.toggle('taken', taken.has(e.getAttribute('data-id') ?? ''));
    this.svg.classList.toggle('has-run', overlay.runId !== undefined);
  }

  /** The drawing as standalone SVG text: the theme's current colours resolved, the whole graph in view. */
  standaloneSvg(shapeCss: string): string | undefined {
    if (!this.svg || !this.layout) return undefined;
    const copy = this.svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('viewBox', `0 0 ${this.layout.width} ${this.layout.height}`);
    copy.setAttribute('width', String(this.layout.width));
    copy.setAttribute('height', String(this.layout.height));
    copy.removeAttribute('preserveAspectRatio');
    copy.classList.remove('has-run');
    for (const el of copy.querySelectorAll('.cursor, .selected')) el.classList.remove('cursor', 'selected');
    const computed = getComputedStyle(this.svg);
    const variables = VARIABLES.map((v) => `${v}:${computed.getPropertyValue(v).trim() || 'initial'}`).join(';');
    const style = document.createElementNS(SVG_NS, 'style');
    style.textContent = `.baton-graph{${variables}}${shapeCss}`;
    const background = document.createElementNS(SVG_NS, 'rect');
    background.setAttribute('width', '100%');
    background.setAttribute('height', '100%');
    background.setAttribute('fill', computed.getPropertyValue('--baton-bg').trim() || '#fff');
    copy.insertBefore(style, copy.firstChild);
    copy.insertBefore(background, style.nextSibling);
    return new XMLSerializer().serializeToString(copy);
  }

  /** The node ids in the order Tab visits them (document order of the drawing). */
  nodeIds(): string[] {
    return [...this.nodeElements.keys()];
  }

  private markSelection(): void {
    for (const [id, g] of this.nodeElements) {
      g.classList.toggle('selected', id === this.selected);
      g.setAttribute('aria-pressed', String(id === this.selected));
    }
  }

  private size(): { width: number; height: number } {
    return { width: this.host.clientWidth || 1, height: this.host.clientHeight || 1 };
  }

  private fitView(): void {
    if (!this.layout) return;
    const { width, height } = this.size();
    const margin = 16;
    const scale = clamp(Math.min((width - 2 * margin) / this.layout.width, (height - 2 * margin) / this.layout.height, 1), MIN_SCALE, MAX_SCALE);
    // centre the drawing horizontally, top-align it when it is taller than the panel
    this.view = { scale, x: -(width / scale - this.layout.width) / 2, y: -margin / scale };
  }

  private applyView(): void {
    if (!this.svg) return;
    const { width, height } = this.size();
    this.svg.setAttribute('viewBox', `${round(this.view.x)} ${round(this.view.y)} ${round(width / this.view.scale)} ${round(height / this.view.scale)}`);
    this.host.dataset.zoom = String(Math.round(this.view.scale * 100));
  }

  /** Pans so the node is inside the panel (centred when it was outside). */
  private ensureVisible(id: string): void {
    const box = this.box(id);
    if (!box) return;
    const { width, height } = this.size();
    const vw = width / this.view.scale;
    const vh = height / this.view.scale;
    const inside = box.x >= this.view.x && box.y >= this.view.y && box.x + box.width <= this.view.x + vw && box.y + box.height <= this.view.y + vh;
    if (inside) return;
    this.view = { ...this.view, x: box.x + box.width / 2 - vw / 2, y: box.y + box.height / 2 - vh / 2 };
    this.applyView();
  }

  private box(id: string): LaidOutNode | undefined {
    return this.layout?.nodes.find((n) => n.id === id);
  }

  private nodeOf(target: EventTarget | null): SVGGElement | undefined {
    return ((target as Element | null)?.closest?.('g.node') as SVGGElement | null) ?? undefined;
  }

  private listen(): void {
    let drag: { x: number; y: number; view: ViewState; moved: boolean; pointer: number } | undefined;
    this.host.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !this.svg) return;
      drag = { x: e.clientX, y: e.clientY, view: { ...this.view }, moved: false, pointer: e.pointerId };
    });
    this.host.addEventListener('pointermove', (e) => {
      if (drag && drag.pointer === e.pointerId) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
        if (!drag.moved) this.host.setPointerCapture(e.pointerId);
        drag.moved = true;
        this.host.classList.add('panning');
        this.view = { ...drag.view, x: drag.view.x - dx / drag.view.scale, y: drag.view.y - dy / drag.view.scale };
        this.applyView();
        this.tooltip.hidden = true;
        return;
      }
      this.showTooltip(this.nodeOf(e.target), e.clientX, e.clientY);
    });
    const end = (e: PointerEvent): void => {
      if (!drag || drag.pointer !== e.pointerId) return;
      const moved = drag.moved;
      drag = undefined;
      this.host.classList.remove('panning');
      if (moved) {
        this.callbacks.changed();
        return;
      }
      const toggle = (e.target as Element | null)?.closest?.('g.toggle');
      if (e.type === 'pointerup' && toggle) {
        this.callbacks.toggle(toggle.getAttribute('data-toggle')!);
        return;
      }
      const node = this.nodeOf(e.target);
      if (e.type === 'pointerup' && node) {
        const id = node.getAttribute('data-id')!;
        this.selected = id;
        this.markSelection();
        node.focus({ preventScroll: true });
        this.callbacks.changed();
        this.callbacks.reveal(id);
      }
    };
    this.host.addEventListener('pointerup', end);
    this.host.addEventListener('pointercancel', end);
    this.host.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
    this.host.addEventListener(
      'wheel',
      (e) => {
        if (!this.svg) return;
        e.preventDefault();
        const rect = this.host.getBoundingClientRect();
        this.zoomBy(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), { x: e.clientX - rect.left, y: e.clientY - rect.top });
      },
      { passive: false },
    );
    this.host.addEventListener('focusin', (e) => {
      const node = this.nodeOf(e.target);
      if (!node) return;
      const id = node.getAttribute('data-id')!;
      this.ensureVisible(id);
      const box = node.getBoundingClientRect();
      this.showTooltip(node, box.left + box.width / 2, box.bottom);
    });
    this.host.addEventListener('focusout', () => (this.tooltip.hidden = true));
    this.host.addEventListener('keydown', (e) => {
      const node = this.nodeOf(e.target);
      if (node && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        const id = node.getAttribute('data-id')!;
        this.selected = id;
        this.markSelection();
        this.callbacks.changed();
        this.callbacks.reveal(id);
        return;
      }
      const direction = ARROWS[e.key];
      if (direction) {
        e.preventDefault();
        const from = node?.getAttribute('data-id') ?? this.selected;
        const next = from ? this.neighbour(from, direction) : this.nodeIds()[0];
        if (next) this.nodeElements.get(next)?.focus({ preventScroll: true });
        return;
      }
      if (e.key === 'Escape') this.tooltip.hidden = true;
    });
  }

  /** The nearest node whose centre lies in `direction` from `id`'s centre (within a 45° cone first, then a half plane). */
  private neighbour(id: string, direction: { dx: number; dy: number }): string | undefined {
    const from = this.box(id);
    if (!from || !this.layout) return undefined;
    const cx = from.x + from.width / 2;
    const cy = from.y + from.height / 2;
    let best: string | undefined;
    let bestScore = Infinity;
    for (const n of this.layout.nodes) {
      if (n.id === id || !this.nodeElements.has(n.id)) continue;
      const dx = n.x + n.width / 2 - cx;
      const dy = n.y + n.height / 2 - cy;
      const along = dx * direction.dx + dy * direction.dy;
      if (along <= 0.5) continue;
      const across = Math.abs(dx * direction.dy - dy * direction.dx);
      // prefer nodes straight ahead: distance along the axis, plus a penalty for sideways distance
      const score = along + across * (across > along ? 4 : 1.5);
      if (score < bestScore) {
        bestScore = score;
        best = n.id;
      }
    }
    return best;
  }

  private showTooltip(node: SVGGElement | undefined, clientX: number, clientY: number): void {
    if (!node || !this.graph) {
      this.tooltip.hidden = true;
      return;
    }
    const id = node.getAttribute('data-id')!;
    const data = this.graph.nodes.find((n) => n.id === id);
    if (!data) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(...tooltipLines(data, node.getAttribute('aria-label') ?? data.label));
    this.tooltip.hidden = false;
    const rect = this.host.getBoundingClientRect();
    const left = Math.min(clientX - rect.left + 12, Math.max(0, rect.width - this.tooltip.offsetWidth - 4));
    const top = clientY - rect.top + 16 + this.tooltip.offsetHeight > rect.height ? clientY - rect.top - this.tooltip.offsetHeight - 8 : clientY - rect.top + 16;
    // CSSOM positioning: allowed by the panel's CSP (which forbids style attributes in markup).
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${Math.max(0, top)}px`;
  }
}

/** The tooltip's lines: the node's accessible name, then prompt, target and output type when known. */
function tooltipLines(node: GraphNode, title: string): HTMLElement[] {
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
  if (node.range) lines.push(line('row where', undefined, `line ${node.range.start.line} · click or Enter to reveal`));
  return lines;
}

const ARROWS: Record<string, { dx: number; dy: number }> = {
  ArrowUp: { dx: 0, dy: -1 },
  ArrowDown: { dx: 0, dy: 1 },
  ArrowLeft: { dx: -1, dy: 0 },
  ArrowRight: { dx: 1, dy: 0 },
};

/** The theme variables the drawing uses (resolved into an exported SVG). */
const VARIABLES = ['--baton-bg', '--baton-fg', '--baton-muted', '--baton-node', '--baton-border', '--baton-edge', '--baton-accent', '--baton-decision', '--baton-approval', '--baton-fail', '--baton-undo', '--baton-bar', '--baton-container'];

const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));
const round = (v: number): number => Math.round(v * 100) / 100;
