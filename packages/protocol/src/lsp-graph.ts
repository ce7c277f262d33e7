import { RequestType } from 'vscode-jsonrpc';
import type { FlowGraph } from './graph.js';
import type { LspPosition, LspRange } from './lsp-flows.js';

/**
 * The `baton/graph` custom LSP request: the graph of one flow of a `.flow` document, built by the language
 * server from the same IR the CLI runs (packages/graph `buildFlowGraph`). The server never lays the graph
 * out: the editor's graph panel does, in its webview, so a large flow never blocks the language server.
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
}

/** `baton/graph`: `{ uri, flow?, position?, expand? }` → `{ flows, flow?, flowRanges?, graph?, error? }` ({@link GraphResult}). */
export const GraphRequest = new RequestType<GraphParams, GraphResult, void>('baton/graph');
