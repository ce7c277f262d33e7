import type { FlowGraph, GraphLayout } from './graph.js';
import type { RunEvent } from './events.js';

/**
 * The graph panel's messages between the extension host (packages/extension/src/graph-panel.ts) and the
 * webview (packages/webview). Two unions keyed by `type`. The webview sends `ready` first; the host holds
 * its messages until then. Requests carry a `requestId` (a positive integer, unique per sender) that the
 * answer repeats. Data always travels as messages, never pasted into the page's HTML.
 */

/** Messages the host sends to the webview. */
export type HostToWebviewMessage =
  | GraphUpdateMessage
  | HighlightMessage
  | RunEventMessage
  | RunResetMessage
  | RunHistoryMessage
  | ExportResultMessage;

/**
 * A new state of the followed document: a graph to draw (`graph`), or why there is none (`error`; the
 * webview then keeps the last good graph and shows a banner). The webview answers with `rendered`.
 */
export interface GraphUpdateMessage {
  type: 'graph';
  requestId: number;
  /** The document's URI and a name for people (its file name). */
  uri: string;
  title: string;
  flows: string[];
  flow?: string;
  graph?: FlowGraph;
  error?: string;
  /**
   * The graph is of a flow an agent wrote in run `runId` (step `step`): that run's events colour it, though they
   * name another flow in their `run.started`.
   */
  written?: { runId: string; step: string };
  /** `graph` laid out by the language server, unfolded (`GraphResult.layout`): the page draws it as is when it folds nothing. */
  layout?: GraphLayout;
}

/** Highlights the node at the editor's cursor (`id` undefined: none). */
export interface HighlightMessage {
  type: 'highlight';
  id: string | undefined;
}

/** One event of a run of the drawn flow, forwarded unchanged; the webview colours its node. */
export interface RunEventMessage {
  type: 'runEvent';
  event: RunEvent;
}

/**
 * Clears the run overlay (a new run starts, or the panel now shows another flow). `definition`: for a stored run,
 * which definition it executes (`definition 3f2a9c1e · migrated from 91bb02de`), shown in the panel's title.
 */
export interface RunResetMessage {
  type: 'runReset';
  definition?: string;
}

/** A stored run as the run picker lists it. `startedAt`: ISO 8601. */
export interface RunSummary {
  runId: string;
  status: string;
  startedAt: string;
}

/**
 * The stored runs of the drawn flow, newest first, for the run picker (history mode), and the run drawn now
 * (`shown`, undefined: none). Sent when the flow changes and when a run ends.
 */
export interface RunHistoryMessage {
  type: 'runHistory';
  runs: RunSummary[];
  shown?: string;
}

/** The answer to an `export` request: where the file was saved, or why not (`cancelled`: the user closed the dialog). */
export interface ExportResultMessage {
  type: 'exportResult';
  requestId: number;
  saved?: string;
  error?: string;
  cancelled?: boolean;
}

/** Messages the webview sends to the host. */
export type WebviewToHostMessage = ReadyMessage | RevealMessage | SelectFlowMessage | ShowRunMessage | ToggleSubflowMessage | ExportMessage | RenderedMessage;

/** The webview's script runs and listens: the host may send now. */
export interface ReadyMessage {
  type: 'ready';
}

/** A node was clicked (or Enter pressed on it): reveal and select its source range. */
export interface RevealMessage {
  type: 'reveal';
  id: string;
}

/** The user picked another flow of the document. */
export interface SelectFlowMessage {
  type: 'selectFlow';
  flow: string;
}

/** A sub-flow step's expand/collapse toggle was clicked (`id`: the step's node id in the drawn graph). */
export interface ToggleSubflowMessage {
  type: 'toggleSubflow';
  id: string;
}

/** The user picked a stored run to draw over the graph (`runId` undefined: no run). */
export interface ShowRunMessage {
  type: 'showRun';
  runId?: string;
}

/**
 * Save the drawing: `data` is SVG text (`format: 'svg'`) or a PNG as base64 without the `data:` prefix
 * (`format: 'png'`). The host asks where with a save dialog and answers with `exportResult`.
 */
export interface ExportMessage {
  type: 'export';
  requestId: number;
  format: 'svg' | 'png';
  flow: string;
  data: string;
}

/**
 * A `graph` update was handled: drawn (`nodes` > 0), shown as a banner over the last good graph
 * (`error`), or too large to lay out (`tooLarge`). `layoutMs`: time spent laying it out and drawing (ms).
 * `drawnAt`: when the drawing was in the page (`Date.now()`, ms since the epoch) — with the page on the same
 * machine as the extension host, the end of an edit → drawn time without the answer's way back.
 * `phases`: only on the page's first drawing, its start-up marks by name (`Date.now()` values: `navigation`,
 * `script`, `ready`, `elk`, `graph`, `laidOut`; packages/webview/src/page-marks.ts) — where the first draw's time went.
 */
export interface RenderedMessage {
  type: 'rendered';
  requestId: number;
  nodes: number;
  layoutMs: number;
  drawnAt?: number;
  phases?: Record<string, number>;
  error?: string;
  tooLarge?: boolean;
}

/** Ends a `switch` over a message union: a compile error when a `type` is not handled. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
