// The run page's graph: the editor panel's renderer (`@baton/webview/view`: GraphView draws, RunOverlay colours),
// given the FlowGraph the server built from the run's stored definition. A graph over the panel's limit is folded
// first (loops and parallels, then decisions: @baton/graph's panelFolds); one still over it is not drawn, and the page
// says so. The geometry comes from the server when it sent it (laid out there with the same function: elkjs' chunk is
// then never loaded), else from this tab's caches, else elkjs lays it out here.
import type { FlowGraph, GraphGeometry, GraphLayout, RunEvent } from '@baton/protocol';
import { foldFlowGraph, graphShapeCss, layoutFlowGraph, layoutKey, panelFolds, withGeometry, type FoldedGraph, type FoldRegion } from '@baton/graph';
import { GraphView, MAX_PANEL_NODES, RunOverlay } from '@baton/webview/view';
import { cachedLayout, storeLayout } from './layout-cache.js';

/** A layout the server sent (`GET /runs/:id/definition`'s `layout`): for the graph with `folded` folded. */
export interface ServedLayout {
  folded: string[];
  geometry: GraphGeometry;
}

/** What the graph tells its page. */
export interface RunGraphCallbacks {
  /** A node was clicked (or Enter pressed on it): an id of the whole graph (a folded node: the region's own). */
  pick(node: string): void;
  /**
   * How the drawing went: drawn (with the nodes drawn, the ms spent getting the layout and where it came from:
   * `served` by the server, `cached` in this tab, `computed` here by elkjs), or a sentence why not.
   */
  drawn(result: { nodes: number; layoutMs: number; layoutFrom: 'served' | 'cached' | 'computed' } | { message: string }): void;
}

let shapesAdopted = false;

/**
 * Layouts by `<definition hash>#<flow>#<folded regions>` (the last {@link LAYOUT_CACHE_SIZE}): another run of the same
 * definition is drawn without elkjs; layout-cache.ts keeps their geometry across reloads.
 */
const LAYOUT_CACHE_SIZE = 8;
const layouts = new Map<string, GraphLayout>();

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
   * @param hash the definition's hash; with the graph's flow, layouts are reused by it.
   * @param served the server's layout of the graph, when it sent one (used when it was made for the same folds).
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly graph: FlowGraph | undefined,
    private readonly hash: string,
    private readonly callbacks: RunGraphCallbacks,
    private served?: ServedLayout,
  ) {
    this.overlay = new RunOverlay(graph);
  }

  /** The server's layout, sent after the graph (it was still making it): used by {@link show}. */
  serve(layout: ServedLayout): void {
    this.served = layout;
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
    const plan = panelFolds(graph, MAX_PANEL_NODES);
    this.regions = plan.regions;
    this.folds = plan.folds;
    const drawn = plan.drawn;
    if (!plan.fits) {
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
    const cacheKey = layoutKey(this.hash, drawn.graph.flow, drawn.folded);
    let layout = layouts.get(cacheKey);
    let layoutFrom: 'served' | 'cached' | 'computed' = 'cached';
    // the server's layout is of the graph folded as at first (panelFolds, the same there and here): used for that only
    const served = this.served;
    if (!layout && served && cacheKey === layoutKey(this.hash, drawn.graph.flow, served.folded)) {
      layout = withGeometry(drawn.graph, served.geometry);
      layoutFrom = 'served';
    }
    layout ??= await cachedLayout(cacheKey, drawn.graph);
    if (!layout) {
      try {
        layout = await layoutFlowGraph(drawn.graph, { foldable: new Set(this.regions.keys()) });
      } catch (error) {
        this.callbacks.drawn({ message: `The graph could not be laid out: ${(error as Error).message}` });
        return;
      }
      layoutFrom = 'computed';
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
    this.callbacks.drawn({ nodes: drawn.graph.nodes.length, layoutMs, layoutFrom });
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
