import { RequestType } from 'vscode-jsonrpc';
import type { FlowGraph } from './graph.js';

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
  /** Sub-flow steps to draw open, by node id (see `BuildGraphOptions.expand` in @baton/graph). */
  expand?: string[];
}

/** The answer of {@link GraphRequest}. */
export interface GraphResult {
  /** The flows declared in the document, in declaration order (empty when it has none or does not parse). */
  flows: string[];
  /** The flow drawn: `params.flow` when the document declares it, else the first of `flows`. */
  flow?: string;
  /** The flow's graph; absent when the document has no flow or cannot be compiled (see `error`). */
  graph?: FlowGraph;
  /**
   * Why there is no graph, for people: the first syntax error with its line (`line 4: expecting '}'`),
   * `the file declares no flow`, or a compile failure. A document with only checker errors (an unknown
   * agent, a type mismatch) still gets its graph.
   */
  error?: string;
}

/** `baton/graph`: `{ uri, flow? }` → `{ flows, flow?, graph?, error? }` ({@link GraphResult}). */
export const GraphRequest = new RequestType<GraphParams, GraphResult, void>('baton/graph');
