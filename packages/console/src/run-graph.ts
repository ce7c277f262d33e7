// The run page's graph: the editor panel's renderer (`@baton/webview/view`: GraphView draws, RunOverlay colours),
// given the FlowGraph the server built from the run's stored definition. A graph over the panel's limit is folded
// first (loops and parallels, then decisions); one still over it is not drawn, and the page says so.
import type { FlowGraph, GraphLayout, RunEvent } from '@baton/protocol';
import { foldFlowGraph, foldRegions, graphShapeCss, layoutFlowGraph, type FoldedGraph, type FoldRegion } from '@baton/graph';
import { GraphView, MAX_PANEL_NODES, RunOverlay } from '@baton/webview/view';
import { cachedLayout, storeLayout } from './layout-cache.js';

/** What the graph tells its page. */
export interface RunGraphCallbacks {
  /** A node was clicked (or Enter pressed on it): an id of the whole graph (a folded node: the region's own). */
  pick(node: string): void;
  /** How the drawing went: drawn (with the nodes drawn and the ms spent laying out), or a sentence why not. */
  drawn(result: { nodes: number; layoutMs: number } | { message: string }): void;
}

let shapesAdopted = false;

/**
 * Layouts by `<definition hash>#<flow>#<folded regions>` (the last {@link LAYOUT_CACHE_SIZE}): another run of the same
 * definition is drawn without elkjs; layout-cache.ts keeps their geometry across reloads.
 */
const LAYOUT_CACHE_SIZE = 8;
const layouts = new Map<string, GraphLayout>();

/**
 * Starts loading elkjs (its lazy chunk, 1.5 MB) and compiling it by laying out an empty graph, so a page can do it
 * while it waits for its data. Never rejects.
 */
export async function preloadLayout(): Promise<void> {
  try {
    await layoutFlowGraph({ flow: '', nodes: [], edges: [] });
  } catch {
    // the real layout reports its own error
  }
}

/**
 * The graph of one run in `host`: {@link show} folds, lays out (elkjs, in this lazily loaded chunk) and draws it;
 * {@link apply} folds run events into the overlay and recolours at most once per animation frame.
 */
export class RunGraph {
  readonly overlay: RunOverlay;
  private view: GraphView | undefined;
  private drawn: FoldedGraph | undefined;
  private regions = new Map<string, FoldRegion>();
  private folds = new Set<string>();
  private frame = 0;
  private selected: string | undefined;

  /**
   * @param key what identifies the graph's drawing (the definition's hash and flow): layouts are reused by it.
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly graph: FlowGraph | undefined,
    private readonly key: string,
    private readonly callbacks: RunGraphCallbacks,
  ) {
    this.overlay = new RunOverlay(graph);
  }

  /** The graph's node of `id` (undefined without a graph or for an id it does not have). */
  node(id: string): FlowGraph['nodes'][number] | undefined {
    return this.graph?.nodes.find((n) => n.id === id);
  }

  /** Folds events (in order) into the overlay; the drawing is recoloured on the next animation frame. */
  apply(events: readonly RunEvent[]): void {
    for (const e of events) this.overlay.apply(e);
    if (!this.view || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.view?.applyOverlay(this.overlay, this.drawn?.hiddenIn);
    });
  }

  /**
   * Folds (when over {@link MAX_PANEL_NODES}: loops and parallels first, then decisions too), lays out and draws the
   * graph. Reports through `callbacks.drawn`; never throws (a layout error is reported as its message).
   */
  async show(): Promise<void> {
    const graph = this.graph;
    if (!graph) return;
    if (!shapesAdopted) {
      const shapes = new CSSStyleSheet();
      shapes.replaceSync(graphShapeCss());
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, shapes];
      shapesAdopted = true;
    }
    this.regions = new Map(foldRegions(graph).map((r) => [r.id, r]));
    if (graph.nodes.length > MAX_PANEL_NODES) {
      for (const kinds of [['loop', 'parallel'], ['loop', 'parallel', 'decision']]) {
        this.folds = new Set([...this.regions.values()].filter((r) => kinds.includes(r.kind)).map((r) => r.id));
        if (foldFlowGraph(graph, this.folds).graph.nodes.length <= MAX_PANEL_NODES) break;
      }
    }
    const drawn = foldFlowGraph(graph, this.folds);
    if (drawn.graph.nodes.length > MAX_PANEL_NODES) {
      this.callbacks.drawn({
        message: `${graph.flow} has ${graph.nodes.length.toLocaleString('en-US')} nodes (${drawn.graph.nodes.length.toLocaleString('en-US')} folded): too large to draw here — the page draws up to ${MAX_PANEL_NODES.toLocaleString('en-US')}. The timeline, steps and events are complete.`,
      });
      return;
    }
    await this.draw(drawn, false);
  }

  /** Selects the drawn node showing `id` (a node of the whole graph) and scrolls to it; undefined clears. */
  select(id: string | undefined): void {
    this.selected = id;
    this.view?.select(id === undefined ? undefined : (this.drawn?.hiddenIn.get(id) ?? id));
  }

  private async draw(drawn: FoldedGraph, keepView: boolean): Promise<void> {
    const started = performance.now();
    const cacheKey = `${this.key}#${[...drawn.folded].sort().join(',')}`;
    let layout = layouts.get(cacheKey) ?? (await cachedLayout(cacheKey, drawn.graph));
    if (!layout) {
      try {
        layout = await layoutFlowGraph(drawn.graph, { foldable: new Set(this.regions.keys()) });
      } catch (error) {
        this.callbacks.drawn({ message: `The graph could not be laid out: ${(error as Error).message}` });
        return;
      }
      void storeLayout(cacheKey, layout);
    }
    layouts.set(cacheKey, layout);
    if (layouts.size > LAYOUT_CACHE_SIZE) layouts.delete(layouts.keys().next().value!);
    const layoutMs = Math.round(performance.now() - started);
    this.view ??= new GraphView(this.host, {
      reveal: (id) => this.callbacks.pick(this.regions.get(id)?.kind === 'arm' ? this.regions.get(id)!.anchor : id),
      toggle: () => undefined,
      fold: (region) => void this.toggleFold(region),
      changed: () => undefined,
    });
    this.view.show(drawn.graph, layout, { keepView, foldable: new Set(this.regions.keys()), armStarts: new Map([...this.regions.values()].filter((r) => r.kind === 'arm').map((r) => [r.anchor, r.id])) });
    this.drawn = drawn;
    this.view.applyOverlay(this.overlay, drawn.hiddenIn);
    if (this.selected) this.select(this.selected);
    this.callbacks.drawn({ nodes: drawn.graph.nodes.length, layoutMs });
  }

  private async toggleFold(region: string): Promise<void> {
    if (!this.graph) return;
    if (this.folds.has(region)) this.folds.delete(region);
    else this.folds.add(region);
    const drawn = foldFlowGraph(this.graph, this.folds);
    if (drawn.graph.nodes.length > MAX_PANEL_NODES) {
      this.folds.add(region);
      return;
    }
    await this.draw(drawn, true);
  }
}
