// `@baton/webview/view`: the graph renderer for pages other than the editor's panel — the web console draws a
// run's graph with the same `GraphView` and colours it with the same `RunOverlay` (one renderer, not a second).
// Nothing here touches `acquireVsCodeApi` or the panel's page structure (that is main.ts, the panel's entry).
export { GraphView, MAX_PANEL_NODES, MIN_READABLE_SCALE, type GraphViewCallbacks, type ViewState } from './graph-view.js';
export { RunOverlay, regionState, type NodeRunState, type NodeRunStatus } from './run-overlay.js';
