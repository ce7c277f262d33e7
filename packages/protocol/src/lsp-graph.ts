import { RequestType } from 'vscode-jsonrpc';
import type { FlowGraph, GraphLayout } from './graph.js';
import type { LspPosition, LspRange } from './lsp-flows.js';

/**
 * The `baton/graph` custom LSP request: the graph of one flow of a `.flow` document, built by the language
 * server from the same IR the CLI runs (packages/graph `buildFlowGraph`). The editor's graph panel lays graphs out
 * in its webview; only its first drawing comes laid out (`GraphParams.layout`), by a thread of the server's own,
 * so a large flow never blocks the language server.
 */

/** Parameters of {@link GraphRequest}. */
export interface GraphParams {
  /** The document, by URI (`file:///…/orders.flow`). */
  uri: string;
  /** The flow to draw; absent (or not a flow of the document): the document's first flow. */
  flow?: string;
  /**
   * The editor's cursor (zero-based): when it is inside a flow's declaration, that flow is drawn, whatever `flow`
   * says (`flow` then only decides for a cursor outside every flow: between declarations, in an agent).
   */
  position?: LspPosition;
  /** Sub-flow steps to draw open, by node id (see `BuildGraphOptions.expand` in @baton/graph). */
  expand?: string[];
  /**
   * Lay the graph out too (`GraphResult.layout`): the graph panel asks for its first drawing, so that its page draws
   * at once instead of loading elkjs first (the server lays it out on a thread of its own, elkjs warm after that).
   */
  layout?: boolean;
}

/** The answer of {@link GraphRequest}. */
export interface GraphResult {
  /** The flows declared in the document, in declaration order (empty when it has none or does not parse). */
  flows: string[];
  /** The flow drawn: the one at `params.position`, else `params.flow` when the document declares it, else the first of `flows`. */
  flow?: string;
  /** Where each declared flow is (its whole `flow Name { … }`, zero-based), in declaration order, so the editor can follow the cursor from flow to flow. */
  flowRanges?: { flow: string; range: LspRange }[];
  /** The flow's graph; absent when the document has no flow or cannot be compiled (see `error`). */
  graph?: FlowGraph;
  /**
   * Why there is no graph, for people: the first syntax error with its line (`line 4: expecting '}'`),
   * `the file declares no flow`, or a compile failure. A document with only checker errors (an unknown
   * agent, a type mismatch) still gets its graph.
   */
  error?: string;
  /**
   * With `params.layout`: the graph's layout, unfolded (`layoutFlowGraph` with every fold region foldable, as the panel
   * lays out a graph with nothing folded). Absent when not asked, when there is no graph, or when the server could not
   * lay it out (the panel then does).
   */
  layout?: GraphLayout;
}

/** `baton/graph`: `{ uri, flow?, position?, expand?, layout? }` → `{ flows, flow?, flowRanges?, graph?, error?, layout? }` ({@link GraphResult}). */
export const GraphRequest = new RequestType<GraphParams, GraphResult, void>('baton/graph');
