/**
 * The graph panel's page script (bundled by esbuild.mjs into out/webview/graph-panel.js, an IIFE). It
 * receives the flow's graph from the extension host, lays it out here with @baton/graph (elkjs in the
 * page, so the language server never waits for a layout), draws it, and sends back reveals, the flow
 * picked and exports. Never imports `vscode`: the host is reached through `acquireVsCodeApi()`.
 */
// first: its `script` mark is when the bundle began to run
import { mark, takeMarks } from './page-marks.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { FlowGraph, GraphLayout, RunEvent } from '@baton/protocol';
import { assertUnreachable, type GraphUpdateMessage, type HostToWebviewMessage, type WebviewToHostMessage } from '@baton/protocol/graph-panel';
import { foldFlowGraph, foldRegions, graphShapeCss, layoutFlowGraph, type FoldedGraph, type FoldRegion } from '@baton/graph';
import { GraphView, MAX_PANEL_NODES, type ViewState } from './graph-view.js';
import { RunOverlay } from './run-overlay.js';
import { pngBase64 } from './export-image.js';

export { MAX_PANEL_NODES };

/** What VS Code's webview API gives the page (`acquireVsCodeApi()`). */
interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}

/** View state only (conventions: `setState` never holds data): what the serializer restores. */
export interface PersistedState {
  uri?: string;
  flow?: string;
  view?: ViewState;
  selected?: string;
  /** The folded regions (`foldRegions` ids) per `<uri>#<flow>`. */
  folded?: Record<string, string[]>;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
// The shapes' rules, shared with the CLI's SVG, as a constructed stylesheet (no inline <style>, CSP-safe).
const shapes = new CSSStyleSheet();
shapes.replaceSync(graphShapeCss());
document.adoptedStyleSheets = [...document.adoptedStyleSheets, shapes];
const saved = vscode.getState();

// ---- page structure (no data in markup: everything below is built with the DOM) ------------------------
const app = document.getElementById('app') ?? document.body;
const toolbar = element('div', 'toolbar', { role: 'toolbar', 'aria-label': 'Graph' });
const picker = element('vscode-single-select', 'flow-picker', { 'aria-label': 'Flow' }) as HTMLElement & { value: string };
const title = element('span', 'title');
// History mode: any stored run of the drawn flow, drawn like a live one. Hidden while the flow has none.
const runPicker = element('vscode-single-select', 'run-picker', { 'aria-label': 'Run' }) as HTMLElement & { value: string };
runPicker.hidden = true;
const spacer = element('span', 'spacer');
const status = element('span', 'status', { role: 'status', 'aria-live': 'polite' });
const button = (label: string, text: string, action: () => void): HTMLElement => {
  const b = element('vscode-toolbar-button', 'tool', { label, title: label, 'aria-label': label });
  b.textContent = text;
  b.addEventListener('click', action);
  return b;
};
const banner = element('div', 'banner', { role: 'alert' });
banner.hidden = true;
const message = element('div', 'message');
message.hidden = true;
const canvas = element('div', 'canvas', { role: 'application', 'aria-label': 'Flow graph: arrow keys move between nodes, Enter reveals the source' });
const view = new GraphView(canvas, {
  // a folded arm's node stands for the arm: reveal its first statement
  reveal: (id) => post({ type: 'reveal', id: state.regions.get(id)?.kind === 'arm' ? state.regions.get(id)!.anchor : id }),
  toggle: (id) => post({ type: 'toggleSubflow', id }),
  fold: (region) => toggleFold(region),
  changed: () => persist(),
});
picker.hidden = true;
// Two groups: what is drawn (flow, run, status) and the tools. In a narrow panel the tools wrap onto a
// second row instead of squeezing the pickers (graph-panel.css).
const info = element('div', 'info');
info.append(picker, title, runPicker, spacer, status);
const tools = element('div', 'tools');
toolbar.append(info, tools);
tools.append(
  button('Zoom out', '−', () => view.zoomBy(1 / 1.25)),
  button('Zoom in', '+', () => view.zoomBy(1.25)),
  button('Actual size', '1:1', () => view.actualSize()),
  button('Fit to width', 'Fit', () => view.fit()),
  button('Export SVG', 'SVG', () => void exportAs('svg')),
  button('Export PNG', 'PNG', () => void exportAs('png')),
);
app.append(toolbar, banner, message, canvas);
picker.addEventListener('change', () => {
  if (picker.value && picker.value !== state.flow) post({ type: 'selectFlow', flow: picker.value });
});
runPicker.addEventListener('change', () => {
  const runId = runPicker.value || undefined;
  if (runId !== state.overlay.runId) post({ type: 'showRun', runId });
});

// ---- state --------------------------------------------------------------------------------------------
const state: {
  uri?: string;
  flow?: string;
  graph?: FlowGraph;
  /** The drawing's identity: a new graph with the same key is not laid out again. */
  layoutKey?: string;
  events: RunEvent[];
  overlay: RunOverlay;
  restoring: boolean;
  /** The drawn graph: `graph` with the folded regions folded, and where each hidden node went. */
  drawn?: FoldedGraph;
  /** The regions of `graph` that can fold, by id. */
  regions: Map<string, FoldRegion>;
  /** Folded region ids per `<uri>#<flow>` (persisted). */
  folds: Map<string, Set<string>>;
  /** The node at the editor's cursor (an id of `graph`; drawn as the folded node that hides it). */
  highlight?: string;
  /** Whether elkjs has been warmed after a drawing that came laid out. */
  warmed?: boolean;
} = {
  uri: saved?.uri,
  flow: saved?.flow,
  events: [],
  overlay: new RunOverlay(undefined),
  restoring: saved?.view !== undefined,
  regions: new Map(),
  folds: new Map(Object.entries(saved?.folded ?? {}).map(([k, v]) => [k, new Set(v)])),
};

let busy = false;
let pending: GraphUpdateMessage | undefined;
/** A fold was toggled: redraw, keeping the region where it is on the screen (node `before` now → node `after` then). */
let refold: { before: string; after: string } | undefined;
let nextRequestId = 1;
const exports = new Map<number, string>();

window.addEventListener('message', (event: MessageEvent<HostToWebviewMessage>) => handle(event.data));
post({ type: 'ready' });
mark('ready');

/** The drawn file and flow, and (a stored run shown) the definition that run executes. */
let titleText = '';
let runDefinition: string | undefined;
function showTitle(): void {
  title.textContent = runDefinition ? `${titleText} · ${runDefinition}` : titleText;
}

function handle(msg: HostToWebviewMessage): void {
  switch (msg.type) {
    case 'graph':
      mark('graph');
      pending = msg;
      if (!busy) void drain();
      return;
    case 'highlight':
      state.highlight = msg.id;
      view.setHighlight(drawnId(msg.id));
      return;
    case 'runEvent':
      state.events.push(msg.event);
      state.overlay.apply(msg.event);
      applyOverlay();
      showRunStatus();
      return;
    case 'runReset':
      runDefinition = msg.definition;
      showTitle();
      state.events = [];
      state.overlay.clear();
      applyOverlay();
      showRunStatus();
      return;
    case 'runHistory':
      setRuns(msg.runs, msg.shown);
      return;
    case 'exportResult': {
      const format = exports.get(msg.requestId) ?? 'the drawing';
      exports.delete(msg.requestId);
      status.textContent = msg.saved ? `Saved ${format.toUpperCase()} to ${msg.saved}` : msg.error ? `Export failed: ${msg.error}` : '';
      return;
    }
    default:
      assertUnreachable(msg);
  }
}

/** Handles the latest graph update; updates arriving meanwhile replace each other (only the newest is drawn). */
async function drain(): Promise<void> {
  busy = true;
  try {
    while (pending || refold) {
      const msg = pending;
      if (msg) {
        pending = undefined;
        refold = undefined; // the update draws the folds as they are now
        await update(msg);
      } else {
        const anchor = refold!;
        refold = undefined;
        await redraw(anchor);
      }
    }
  } finally {
    busy = false;
  }
}

async function update(msg: GraphUpdateMessage): Promise<void> {
  const started = performance.now();
  const uriChanged = msg.uri !== state.uri;
  const flowChanged = uriChanged || (msg.flow !== undefined && msg.flow !== state.flow);
  state.uri = msg.uri;
  if (msg.flow !== undefined) state.flow = msg.flow;
  titleText = msg.flow ? `${msg.title} · ${msg.flow}` : msg.title;
  showTitle();
  setFlows(msg.flows, msg.flow);
  persist();

  if (!msg.graph) {
    const error = msg.error ?? 'no graph';
    // A syntax error mid-edit keeps the drawing of the same file and flow; anything else replaces it.
    const sameDrawing = state.graph !== undefined && !uriChanged && state.graph.flow === (msg.flow ?? state.flow);
    if (sameDrawing) {
      showBanner(`${describeError(error)} — showing the last good graph.`);
    } else {
      view.clear();
      state.graph = undefined;
      state.layoutKey = undefined;
      banner.hidden = true;
      showMessage(error === 'the file declares no flow' ? `${msg.title} declares no flow yet: add \`flow Name { … }\` to see its graph.` : `${msg.title}: ${describeError(error)}`);
    }
    post({ type: 'rendered', requestId: msg.requestId, nodes: view.current?.nodes.length ?? 0, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now(), error });
    return;
  }

  const graph = msg.graph;
  banner.hidden = true;
  if (graph.nodes.length > MAX_PANEL_NODES) {
    view.clear();
    state.graph = undefined;
    state.layoutKey = undefined;
    showMessage(
      `${graph.flow} has ${graph.nodes.length.toLocaleString('en-US')} nodes; the panel draws flows of up to ${MAX_PANEL_NODES.toLocaleString('en-US')}. ` +
        `\`baton graph ${msg.title} --flow ${graph.flow} --format svg -o ${graph.flow}.svg\` draws it whole.`,
    );
    post({ type: 'rendered', requestId: msg.requestId, nodes: 0, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now(), tooLarge: true });
    return;
  }
  message.hidden = true;
  const regions = new Map(foldRegions(graph).map((r) => [r.id, r]));
  const drawn = foldFlowGraph(graph, foldsFor(graph.flow));
  const key = layoutKey(drawn.graph, regions);
  if (key === state.layoutKey && view.current) {
    // Same drawing (an edit inside a prompt, a comment): keep it; only the data behind tooltips changed.
    state.graph = graph;
    state.drawn = drawn;
    state.regions = regions;
    view.updateGraph(drawn.graph);
  } else {
    let layout: GraphLayout;
    try {
      // the server's layout is of the graph unfolded (the panel's first drawing): drawn as is when nothing is folded
      layout = msg.layout && drawn.folded.size === 0 ? msg.layout : await layoutFlowGraph(drawn.graph, { foldable: new Set(regions.keys()) });
      mark('laidOut');
    } catch (error) {
      showBanner(`The graph could not be laid out: ${(error as Error).message}`);
      post({ type: 'rendered', requestId: msg.requestId, nodes: 0, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now(), error: (error as Error).message });
      return;
    }
    if (pending && pending.uri === msg.uri) return; // a newer edit arrived while laying out: draw that one
    const keepView = !flowChanged && view.current !== undefined;
    const restore = state.restoring && saved?.view && saved.flow === graph.flow ? saved.view : undefined;
    view.show(drawn.graph, layout, { keepView, restore, selected: restore ? saved?.selected : undefined, foldable: new Set(regions.keys()), armStarts: armStarts(regions) });
    state.restoring = false;
    state.graph = graph;
    state.drawn = drawn;
    state.regions = regions;
    state.layoutKey = key;
    // a new flow drops the old run, not the run of this flow that arrived while it was laid out (a run started
    // from the editor turns the panel to its flow: its first events come before the new graph)
    // (a flow an agent wrote in the run: the run's events colour it, though their run.started names the run's flow)
    if (flowChanged && runFlowOf(state.events) !== graph.flow && !(msg.written && state.events.some((e) => e.runId === msg.written!.runId))) {
      state.events = [];
    }
    state.overlay = new RunOverlay(graph);
    for (const e of state.events) state.overlay.apply(e);
    applyOverlay();
    view.setHighlight(drawnId(state.highlight));
  }
  showRunStatus();
  persist();
  post({ type: 'rendered', requestId: msg.requestId, nodes: graph.nodes.length, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now(), phases: takeMarks() });
  // drawn from the server's layout: elkjs loads now and lays this graph out once (the result unused) while the drawing
  // is looked at, so that the edits and folds to come find it loaded and compiled, as after a first layout here
  if (msg.layout && !state.warmed) {
    state.warmed = true;
    const warm = drawn.graph;
    setTimeout(() => void layoutFlowGraph(warm, { foldable: new Set(regions.keys()) }).catch(() => undefined), 0);
  }
}

/** The flow of the run whose events these are (from its `run.started` or `run.resumed`), if they say. */
function runFlowOf(events: RunEvent[]): string | undefined {
  for (const e of events) if (e.type === 'run.started' || e.type === 'run.resumed') return e.flow;
  return undefined;
}

/** What decides the drawing: nodes (without ranges and tooltips), edges, and which regions have fold toggles. */
function layoutKey(graph: FlowGraph, regions: Map<string, FoldRegion>): string {
  return JSON.stringify([
    graph.flow,
    graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail, n.parent, n.folded, n.expanded]),
    graph.edges.map((e) => [e.id, e.kind, e.label, e.source, e.target]),
    [...regions.keys()],
  ]);
}

/** Each foldable arm's first node → the arm's id. */
function armStarts(regions: Map<string, FoldRegion>): Map<string, string> {
  return new Map([...regions.values()].filter((r) => r.kind === 'arm').map((r) => [r.anchor, r.id]));
}

/** The folded regions of the drawn file's `flow` (created empty). */
function foldsFor(flow: string | undefined): Set<string> {
  const key = `${state.uri}#${flow ?? ''}`;
  let set = state.folds.get(key);
  if (!set) state.folds.set(key, (set = new Set()));
  return set;
}

/** Folds or unfolds a region of the drawn graph, remembers it (`setState`) and draws again. */
function toggleFold(region: string): void {
  const graph = state.graph;
  if (!graph) return;
  const set = foldsFor(graph.flow);
  const folding = !set.has(region);
  if (folding) set.add(region);
  else set.delete(region);
  // forget what no longer names a region (a statement deleted since)
  for (const id of set) if (!state.regions.has(id)) set.delete(id);
  persist();
  // what stays put on the screen: the region's node; an arm's first node becomes the folded arm's node and back
  const found = state.regions.get(region);
  const first = found?.kind === 'arm' ? found.anchor : region;
  refold = folding ? { before: first, after: region } : { before: region, after: first };
  if (!busy) void drain();
}

/** Lays out and draws the current graph again with the folds as they are now (no host request, no `rendered`). */
async function redraw(anchor: { before: string; after: string }): Promise<void> {
  const graph = state.graph;
  if (!graph) return;
  const drawn = foldFlowGraph(graph, foldsFor(graph.flow));
  let layout: GraphLayout;
  try {
    layout = await layoutFlowGraph(drawn.graph, { foldable: new Set(state.regions.keys()) });
  } catch (error) {
    showBanner(`The graph could not be laid out: ${(error as Error).message}`);
    return;
  }
  if (pending) return; // a new graph arrived meanwhile: it is drawn with these folds
  view.show(drawn.graph, layout, { keepView: true, anchor: { before: drawnId(anchor.before)!, after: drawnId(anchor.after, drawn)! } });
  state.drawn = drawn;
  state.layoutKey = layoutKey(drawn.graph, state.regions);
  applyOverlay();
  view.setHighlight(drawnId(state.highlight));
}

/** The drawn node that shows node `id` of the graph: itself, or the folded node hiding it. */
function drawnId(id: string | undefined, drawn: FoldedGraph | undefined = state.drawn): string | undefined {
  return id === undefined ? undefined : (drawn?.hiddenIn.get(id) ?? id);
}

function applyOverlay(): void {
  view.applyOverlay(state.overlay, state.drawn?.hiddenIn);
}

function setFlows(flows: string[], flow: string | undefined): void {
  const current = [...picker.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value'));
  if (current.join('\n') !== flows.join('\n')) {
    picker.replaceChildren(
      ...flows.map((f) => {
        const option = element('vscode-option', '', { value: f });
        option.textContent = f;
        return option;
      }),
    );
  }
  picker.hidden = flows.length < 2;
  if (flow) picker.value = flow;
}

/** The run picker: "No run" and the flow's stored runs, newest first (`failed · 23 Nov, 11:34`). */
function setRuns(runs: { runId: string; status: string; startedAt: string }[], shown: string | undefined): void {
  const none = element('vscode-option', '', { value: '' });
  none.textContent = 'No run';
  runPicker.replaceChildren(
    none,
    ...runs.map((r) => {
      const option = element('vscode-option', '', { value: r.runId, title: r.runId });
      const when = new Date(r.startedAt);
      option.textContent = `${r.status} · ${Number.isNaN(when.getTime()) ? r.startedAt : when.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
      return option;
    }),
  );
  runPicker.hidden = runs.length === 0;
  runPicker.value = shown ?? '';
}

function showBanner(text: string): void {
  banner.textContent = text;
  banner.hidden = false;
}

function showMessage(text: string): void {
  message.textContent = text;
  message.hidden = false;
}

/** `line 4: Expecting …` → `Syntax error on line 4: Expecting …`. */
function describeError(error: string): string {
  return /^line \d+:/.test(error) ? `Syntax error on ${error}` : error;
}

function showRunStatus(): void {
  const o = state.overlay;
  if (!o.runId) {
    status.textContent = '';
    return;
  }
  const missing = o.unknownNodes.size;
  status.textContent =
    `run ${o.runId.slice(-8)} · ${o.outcome ?? 'running'}` + (missing ? ` · ${missing} node${missing === 1 ? '' : 's'} of the run not in this graph` : '');
}

async function exportAs(format: 'svg' | 'png'): Promise<void> {
  const svg = view.standaloneSvg(graphShapeCss());
  const layout = view.current;
  if (!svg || !layout || !state.flow) {
    status.textContent = 'Nothing to export yet.';
    return;
  }
  const requestId = nextRequestId++;
  exports.set(requestId, format);
  try {
    const data = format === 'svg' ? svg : await pngBase64(svg, layout.width, layout.height);
    post({ type: 'export', requestId, format, flow: state.flow, data });
  } catch (error) {
    exports.delete(requestId);
    status.textContent = `Export failed: ${(error as Error).message}`;
  }
}

function persist(): void {
  const folded: Record<string, string[]> = {};
  for (const [key, set] of state.folds) if (set.size) folded[key] = [...set];
  vscode.setState({ uri: state.uri, flow: state.flow, view: view.current ? view.viewState : saved?.view, selected: view.selection, folded });
}

function post(msg: WebviewToHostMessage): void {
  vscode.postMessage(msg);
}

function element(tag: string, className: string, attributes: Record<string, string> = {}): HTMLElement {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}
