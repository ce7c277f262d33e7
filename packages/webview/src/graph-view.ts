import type { FlowGraph, GraphLayout, LaidOutNode } from '@baton/protocol';
import { renderSvg, TEXT } from '@baton/graph';
import { formatDuration, regionState, type RunOverlay } from './run-overlay.js';
import { tooltipLines } from './step-details.js';

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
  /** A region's fold toggle was clicked (`region`: a `foldRegions` id), or `-`/`+` pressed on its node. */
  fold(region: string): void;
}

/**
 * The smallest zoom the panel opens at and `Fit` uses: node labels (13 px in the layout) at least 11 px on the
 * screen, and details and branch labels (11 px) at least 9.3 px: within two pixels of the 13 px UI text around
 * the panel (`--vscode-font-size`), so a label reads at a glance without zooming — the seed process at its old
 * whole-graph fit drew its labels at 6–7 px (3 px in a panel under an open bottom panel). Zooming out (−,
 * Ctrl+wheel) still goes below it, for an overview.
 */
export const MIN_READABLE_SCALE = 11 / TEXT.labelSize;
/** The largest graph laid out and drawn (nodes): @baton/graph's, which `baton serve` lays out by too. */
export { MAX_PANEL_NODES } from '@baton/graph';
/** Room around the drawing (layout px). */
const MARGIN = 16;
const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
/** Pointer movement (px) below which a press on a node is a click, not a drag. */
const DRAG_THRESHOLD = 4;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Draws a laid-out graph (packages/graph `renderSvg`, themed by the page's CSS) in `host` and handles the
 * interaction: `host` scrolls (the wheel and the scroll bars move the drawing; dragging the background pans),
 * Ctrl/⌘+wheel zooms around the pointer, `zoomBy`, fit to width (never below {@link MIN_READABLE_SCALE}),
 * selection, the cursor highlight, arrow-key navigation between nodes (to the nearest node in that direction),
 * Enter/Space to reveal, `-`/`+` to fold or unfold the region of a focused node, fold toggles, a tooltip with the
 * node's prompt, target and output type, and the run overlay's classes and badges. Zoom sets the SVG's
 * `width`/`height` attributes and its `viewBox`, so no style attribute is set (the panel's CSP forbids them).
 */
export class GraphView {
  private svg: SVGSVGElement | undefined;
  private layout: GraphLayout | undefined;
  private graph: FlowGraph | undefined;
  private scale = 1;
  /** Whether the view is the fit (opened or `Fit` pressed, not zoomed since): a resize fits again. */
  private fitted = false;
  /** Ids of the regions that can fold (the fold toggles to draw). */
  private foldable: ReadonlySet<string> = new Set();
  /** An arm's first node → the arm's region id (for `-` on that node when it opens no region of its own). */
  private armStarts: ReadonlyMap<string, string> = new Map();
  private selected: string | undefined;
  private highlighted: string | undefined;
  private readonly tooltip: HTMLDivElement;
  /** The node whose tooltip is shown and where it was asked for (client px): redrawn as run events arrive. */
  private tooltipAt: { node: SVGGElement; x: number; y: number } | undefined;
  /** The run overlay last applied: its steps' errors and tool loops are in the tooltips. */
  private overlay: RunOverlay | undefined;
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
    new ResizeObserver(() => {
      if (!this.svg) return;
      // a fitted view stays fitted to the new width, at the same place
      this.setView({ ...this.viewState, scale: this.fitted ? this.fitScale() : this.scale });
    }).observe(host);
  }

  /** The drawn layout (undefined before the first graph). */
  get current(): GraphLayout | undefined {
    return this.layout;
  }

  /** The layout point at the panel's top-left corner and the zoom. */
  get viewState(): ViewState {
    const origin = this.origin();
    return { x: round(origin.x + this.host.scrollLeft / this.scale), y: round(origin.y + this.host.scrollTop / this.scale), scale: this.scale };
  }

  get selection(): string | undefined {
    return this.selected;
  }

  /**
   * Draws `layout` (of `graph`). With `keepView` the zoom, pan and selection stay as they were (an edit); with
   * `anchor` too, the view moves so node `anchor.after` is where node `anchor.before` was on the screen (a fold,
   * as far as the scroll range allows); otherwise the drawing
   * is fitted to the panel's width (a new flow). `restore` sets a saved view instead. `foldable`: the regions
   * that get fold toggles; `armStarts`: each foldable arm's first node → the arm's id.
   */
  show(graph: FlowGraph, layout: GraphLayout, options: { keepView: boolean; restore?: ViewState; selected?: string; foldable?: ReadonlySet<string>; armStarts?: ReadonlyMap<string, string>; anchor?: { before: string; after: string } }): void {
    const before = options.anchor ? this.screenPoint(options.anchor.before) : undefined;
    const kept = this.svg ? this.viewState : undefined;
    this.graph = graph;
    this.layout = layout;
    if (options.foldable) this.foldable = options.foldable;
    if (options.armStarts) this.armStarts = options.armStarts;
    const focusedId = (document.activeElement as Element | null)?.closest?.('.node')?.getAttribute('data-id') ?? undefined;
    const template = document.createElement('template');
    template.innerHTML = renderSvg(layout, { standalone: false, foldable: this.foldable });
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
    if (options.restore) {
      this.fitted = false;
      this.setView(options.restore);
    } else if (!options.keepView || !kept) this.fitView();
    else this.setView({ ...kept, scale: this.fitted ? this.fitScale() : kept.scale });
    if (before && options.anchor) {
      // keep the toggled node where it was on the screen
      const after = this.screenPoint(options.anchor.after);
      if (after) {
        this.host.scrollLeft += after.x - before.x;
        this.host.scrollTop += after.y - before.y;
      }
    }
    if (!options.keepView) this.selected = options.selected;
    if (this.selected && !this.nodeElements.has(this.selected)) this.selected = undefined;
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

  /** Fits the drawing to the panel's width (never above 100 %, never below {@link MIN_READABLE_SCALE}), from its top. */
  fit(): void {
    this.fitView();
    this.callbacks.changed();
  }

  /** Zooms by `factor` around a point of the panel (px from its top-left; default its centre). */
  zoomBy(factor: number, at?: { x: number; y: number }): void {
    const { width, height } = this.size();
    const px = at?.x ?? width / 2;
    const py = at?.y ?? height / 2;
    const view = this.viewState;
    const scale = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    // keep the layout point under (px, py) where it is
    const lx = view.x + px / view.scale;
    const ly = view.y + py / view.scale;
    this.fitted = false;
    this.setView({ scale, x: lx - px / scale, y: ly - py / scale });
    this.callbacks.changed();
  }

  /** Sets the zoom to 100 % around the panel's centre. */
  actualSize(): void {
    this.zoomBy(1 / this.scale);
  }

  /** Where the middle of node `id`'s top side is on the screen (client px), when drawn. */
  private screenPoint(id: string): { x: number; y: number } | undefined {
    const g = this.nodeElements.get(id);
    if (!g || !this.svg) return undefined;
    const box = g.querySelector(':scope > .shape')?.getBoundingClientRect() ?? g.getBoundingClientRect();
    return { x: box.left + box.width / 2, y: box.top };
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

  /**
   * Colours nodes and edges with the overlay's states; adds a badge with the duration and retries. `hiddenIn`
   * (folded regions: hidden node id → the folded node drawn instead) gives a folded node the state of what it
   * hides (`regionState`); the overlay's taken edges are those of the whole graph, by edge id (folding keeps them).
   */
  applyOverlay(overlay: RunOverlay, hiddenIn?: ReadonlyMap<string, string>): void {
    this.overlay = overlay;
    if (!this.svg || !this.graph) return;
    const inside = new Map<string, string[]>();
    for (const [hidden, drawn] of hiddenIn ?? []) inside.set(drawn, [...(inside.get(drawn) ?? []), hidden]);
    for (const [id, g] of this.nodeElements) {
      g.classList.remove('run-running', 'run-waiting', 'run-succeeded', 'run-failed', 'run-skipped', 'run-cancelled');
      g.querySelector(':scope > .run-badge')?.remove();
      const members = inside.get(id);
      const state = members ? regionState([overlay.nodes.get(id), ...members.map((m) => overlay.nodes.get(m))]) : overlay.nodes.get(id);
      // an SLA breached here (an approval's, or the run's on its start node): a red mark beside the run status
      const breached = overlay.slaBreached.has(id) || (members?.some((m) => overlay.slaBreached.has(m)) ?? false);
      g.classList.toggle('sla-breached', breached);
      const base = `${g.dataset.label ?? ''}${breached ? ', SLA breached' : ''}`;
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
    const taken = overlay.takenEdges(overlay.graph ?? this.graph);
    for (const e of this.svg.querySelectorAll<SVGGElement>('g.edge')) e.classList.toggle('taken', taken.has(e.getAttribute('data-id') ?? ''));
    this.svg.classList.toggle('has-run', overlay.runId !== undefined);
    // a tooltip open on a node of the run follows it (a live tool loop's calls come in while it is shown)
    if (this.tooltipAt && !this.tooltip.hidden && this.tooltipAt.node.isConnected) this.showTooltip(this.tooltipAt.node, this.tooltipAt.x, this.tooltipAt.y);
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
    for (const el of copy.querySelectorAll('g.toggle.fold')) el.remove();
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

  /**
   * Fit to width: the zoom at which the drawing is as wide as the panel, capped at 100 % and floored at
   * {@link MIN_READABLE_SCALE} (a wider drawing scrolls sideways, a taller one down). The view starts at the top,
   * with the flow's start centred when the drawing is wider than the panel.
   */
  private fitView(): void {
    if (!this.layout) return;
    const { width } = this.size();
    const scale = this.fitScale();
    this.scale = scale;
    this.applyView();
    const start = this.layout.nodes.find((n) => n.kind === 'start');
    const origin = this.origin();
    const x = start && (this.layout.width + 2 * MARGIN) * scale > width ? start.x + start.width / 2 - width / scale / 2 : origin.x;
    this.host.scrollLeft = Math.max(0, (x - origin.x) * scale);
    this.host.scrollTop = 0;
    this.fitted = true;
  }

  /** The zoom of fit to width: the panel's width over the drawing's, within [{@link MIN_READABLE_SCALE}, 1]. */
  private fitScale(): number {
    return clamp(this.size().width / ((this.layout?.width ?? 0) + 2 * MARGIN), MIN_READABLE_SCALE, 1);
  }

  /** Sets the zoom and scrolls so layout point (`x`, `y`) is at the top-left corner (as near as the scroll range allows). */
  private setView(view: ViewState): void {
    this.scale = clamp(view.scale, MIN_SCALE, MAX_SCALE);
    this.applyView();
    const origin = this.origin();
    this.host.scrollLeft = (view.x - origin.x) * this.scale;
    this.host.scrollTop = (view.y - origin.y) * this.scale;
  }

  /** The drawing's size at the current zoom (screen px, margins included). */
  private extent(): { width: number; height: number } {
    const w = (this.layout?.width ?? 0) + 2 * MARGIN;
    const h = (this.layout?.height ?? 0) + 2 * MARGIN;
    return { width: w * this.scale, height: h * this.scale };
  }

  /** The layout point at the SVG element's top-left corner: the margin, and half the spare width when the drawing is narrower than the panel (centred). */
  private origin(): { x: number; y: number } {
    const { width } = this.size();
    const spare = Math.max(0, width - this.extent().width);
    return { x: -MARGIN - spare / 2 / this.scale, y: -MARGIN };
  }

  /** Sizes the SVG element to the drawing at the current zoom (at least the panel's size) and sets its `viewBox` to match. */
  private applyView(): void {
    if (!this.svg) return;
    const { width, height } = this.size();
    const extent = this.extent();
    const w = extent.width > width ? Math.ceil(extent.width) : width;
    const h = extent.height > height ? Math.ceil(extent.height) : height;
    const origin = this.origin();
    this.svg.setAttribute('width', String(w));
    this.svg.setAttribute('height', String(h));
    this.svg.setAttribute('viewBox', `${round(origin.x)} ${round(origin.y)} ${round(w / this.scale)} ${round(h / this.scale)}`);
    this.host.dataset.zoom = String(Math.round(this.scale * 100));
  }

  /** Scrolls so the node is inside the panel (centred when it was outside). */
  private ensureVisible(id: string): void {
    const box = this.box(id);
    if (!box) return;
    const { width, height } = this.size();
    const view = this.viewState;
    const vw = width / this.scale;
    const vh = height / this.scale;
    const inside = box.x >= view.x && box.y >= view.y && box.x + box.width <= view.x + vw && box.y + box.height <= view.y + vh;
    if (inside) return;
    this.setView({ scale: this.scale, x: box.x + box.width / 2 - vw / 2, y: box.y + box.height / 2 - vh / 2 });
  }

  private box(id: string): LaidOutNode | undefined {
    return this.layout?.nodes.find((n) => n.id === id);
  }

  private nodeOf(target: EventTarget | null): SVGGElement | undefined {
    return ((target as Element | null)?.closest?.('g.node') as SVGGElement | null) ?? undefined;
  }

  private listen(): void {
    let drag: { x: number; y: number; left: number; top: number; moved: boolean; pointer: number } | undefined;
    this.host.addEventListener('pointerdown', (e) => {
      // a press on a scroll bar (outside the SVG) is the scroll bar's
      if (e.button !== 0 || !this.svg || !(e.target instanceof Element) || !this.svg.contains(e.target)) return;
      drag = { x: e.clientX, y: e.clientY, left: this.host.scrollLeft, top: this.host.scrollTop, moved: false, pointer: e.pointerId };
    });
    this.host.addEventListener('pointermove', (e) => {
      if (drag && drag.pointer === e.pointerId) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
        if (!drag.moved) this.host.setPointerCapture(e.pointerId);
        drag.moved = true;
        this.host.classList.add('panning');
        this.host.scrollLeft = drag.left - dx;
        this.host.scrollTop = drag.top - dy;
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
        const region = toggle.getAttribute('data-fold');
        if (region) this.callbacks.fold(region);
        else this.callbacks.toggle(toggle.getAttribute('data-toggle')!);
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
    // The wheel scrolls (the browser's own scrolling); Ctrl/⌘+wheel — and a trackpad's pinch, which Chromium sends
    // as a wheel event with ctrlKey — zooms around the pointer.
    this.host.addEventListener(
      'wheel',
      (e) => {
        if (!this.svg || !(e.ctrlKey || e.metaKey)) return;
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
      if (node && (e.key === '-' || e.key === '+' || e.key === '=')) {
        // `-` folds the region this node opens (a loop, a parallel block, a decision), else the arm it starts;
        // `+` unfolds a folded node
        const id = node.getAttribute('data-id')!;
        const folded = node.classList.contains('folded');
        const region = e.key === '-' ? (folded ? undefined : this.foldable.has(id) ? id : this.armStarts.get(id)) : folded ? id : undefined;
        if (region) {
          e.preventDefault();
          this.callbacks.fold(region);
        }
        return;
      }
      if (e.key === 'Escape') this.tooltip.hidden = true;
    });
    let persisting = false;
    this.host.addEventListener('scroll', () => {
      this.tooltip.hidden = true;
      if (persisting) return;
      persisting = true;
      requestAnimationFrame(() => {
        persisting = false;
        this.callbacks.changed();
      });
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
    const state = this.overlay?.nodes.get(id);
    this.tooltip.replaceChildren(...tooltipLines(data, node.getAttribute('aria-label') ?? data.label, { error: state?.error, toolLoop: this.overlay?.toolLoop(id) ?? [] }));
    this.tooltip.hidden = false;
    this.tooltipAt = { node, x: clientX, y: clientY };
    const rect = this.host.getBoundingClientRect();
    const { width, height } = this.size();
    const left = Math.min(clientX - rect.left + 12, Math.max(0, width - this.tooltip.offsetWidth - 4));
    const top = clientY - rect.top + 16 + this.tooltip.offsetHeight > height ? clientY - rect.top - this.tooltip.offsetHeight - 8 : clientY - rect.top + 16;
    // CSSOM positioning: allowed by the panel's CSP (which forbids style attributes in markup). The tooltip is
    // inside the scrolled canvas, so its place is offset by the scroll.
    this.tooltip.style.left = `${Math.max(0, left) + this.host.scrollLeft}px`;
    this.tooltip.style.top = `${Math.max(0, top) + this.host.scrollTop}px`;
  }
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
