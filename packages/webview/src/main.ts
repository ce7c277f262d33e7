/**
 * The graph panel's page script (bundled by esbuild.mjs into out/webview/graph-panel.js, an IIFE). It
 * receives the flow's graph from the extension host, lays it out here with @baton/graph (elkjs in the
 * page, so the language server never waits for a layout), draws it, and sends back reveals, the flow
 * picked and exports. Never imports `vscode`: the host is reached through `acquireVsCodeApi()`.
 */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { FlowGraph, GraphLayout, RunEvent } from '@baton/protocol';
import { assertUnreachable, type GraphUpdateMessage, type HostToWebviewMessage, type WebviewToHostMessage } from '@baton/protocol/graph-panel';
import { graphShapeCss, layoutFlowGraph } from '@baton/graph';
import { GraphView, type ViewState } from './graph-view.js';
import { RunOverlay } from './run-overlay.js';
import { pngBase64 } from './export-image.js';

/** The largest graph laid out in the panel (nodes). Beyond it the panel says so instead of freezing. */
export const MAX_PANEL_NODES = 2000;

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
  reveal: (id) => post({ type: 'reveal', id }),
  toggle: (id) => post({ type: 'toggleSubflow', id }),
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
  button('Zoom to fit', 'Fit', () => view.fit()),
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
} = { uri: saved?.uri, flow: saved?.flow, events: [], overlay: new RunOverlay(undefined), restoring: saved?.view !== undefined };

let busy = false;
let pending: GraphUpdateMessage | undefined;
let nextRequestId = 1;
const exports = new Map<number, string>();

window.addEventListener('message', (event: MessageEvent<HostToWebviewMessage>) => handle(event.data));
post({ type: 'ready' });

function handle(msg: HostToWebviewMessage): void {
  switch (msg.type) {
    case 'graph':
      pending = msg;
      if (!busy) void drain();
      return;
    case 'highlight':
      view.setHighlight(msg.id);
      return;
    case 'runEvent':
      state.events.push(msg.event);
      state.overlay.apply(msg.event);
      view.applyOverlay(state.overlay);
      showRunStatus();
      return;
    case 'runReset':
      state.events = [];
      state.overlay.clear();
      view.applyOverlay(state.overlay);
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
    while (pending) {
      const msg = pending;
      pending = undefined;
      await update(msg);
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
  title.textContent = msg.flow ? `${msg.title} · ${msg.flow}` : msg.title;
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
  const key = layoutKey(graph);
  if (key === state.layoutKey && view.current) {
    // Same drawing (an edit inside a prompt, a comment): keep it; only the data behind tooltips changed.
    state.graph = graph;
    view.updateGraph(graph);
  } else {
    let layout: GraphLayout;
    try {
      layout = await layoutFlowGraph(graph);
    } catch (error) {
      showBanner(`The graph could not be laid out: ${(error as Error).message}`);
      post({ type: 'rendered', requestId: msg.requestId, nodes: 0, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now(), error: (error as Error).message });
      return;
    }
    if (pending && pending.uri === msg.uri) return; // a newer edit arrived while laying out: draw that one
    const keepView = !flowChanged && view.current !== undefined;
    const restore = state.restoring && saved?.view && saved.flow === graph.flow ? saved.view : undefined;
    view.show(graph, layout, { keepView, restore, selected: restore ? saved?.selected : undefined });
    state.restoring = false;
    state.graph = graph;
    state.layoutKey = key;
    if (flowChanged) {
      state.events = [];
    }
    state.overlay = new RunOverlay(graph);
    for (const e of state.events) state.overlay.apply(e);
    view.applyOverlay(state.overlay);
  }
  showRunStatus();
  persist();
  post({ type: 'rendered', requestId: msg.requestId, nodes: graph.nodes.length, layoutMs: Math.round(performance.now() - started), drawnAt: Date.now() });
}

/** What decides the drawing: nodes (without ranges and tooltips) and edges. */
function layoutKey(graph: FlowGraph): string {
  return JSON.stringify([graph.flow, graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail, n.parent]), graph.edges.map((e) => [e.id, e.kind, e.label])]);
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
  vscode.setState({ uri: state.uri, flow: state.flow, view: view.current ? view.viewState : saved?.view, selected: view.selection });
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
