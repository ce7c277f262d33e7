import { RequestType } from 'vscode-jsonrpc';
import type { JsonValue, TypeRef } from './ir.js';

/**
 * The `baton/flows` custom LSP request: the flows a `.flow` document can run, with their inputs and the
 * source ranges of their statements, so the editor can prompt for inputs and map run events (which name
 * IR node ids) back to source. Served by packages/language-server from the same IR the CLI runs.
 */

/** A zero-based LSP position (line, UTF-16 character), as in the Language Server Protocol. */
export interface LspPosition {
  line: number;
  character: number;
}

/** A zero-based LSP range, end exclusive. Structurally the LSP `Range`. */
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** Parameters of {@link FlowsRequest}: the document, by URI (`file:///…/orders.flow`). */
export interface FlowsParams {
  uri: string;
}

/** One input of a flow: `input name: type [= default]`. */
export interface FlowInputInfo {
  name: string;
  /** The type as the language writes it: `string`, `"LOW" | "HIGH"`, `string[]`, `{ a: number }`. */
  type: string;
  /** The same type, structured (named types resolved), to validate values against (`checkValue`). */
  typeRef: TypeRef;
  /** The default as a person would type it at a prompt (raw text for strings, JSON otherwise). */
  default?: string;
  /** The default as a JSON value. */
  defaultValue?: JsonValue;
}

/** A statement of a flow that run events can name: steps, approvals, waits, branches… */
export interface FlowNodeInfo {
  /** The IR node id (`Onboard/intake`, `Saga/if@4.1.0`), as run events carry it in `node`. */
  id: string;
  /** The IR statement kind: `step`, `approval`, `if`, `wait`, … */
  kind: string;
  /** The document the node is in (a flow may live in an imported file). */
  uri: string;
  range: LspRange;
}

/** One flow visible from the document (its own flows first, then the ones it imports). */
export interface FlowInfo {
  name: string;
  /** The document declaring the flow. */
  uri: string;
  /** Whether the flow is declared in the requested document (false: it comes from an import). */
  local: boolean;
  range: LspRange;
  inputs: FlowInputInfo[];
  /** Every statement of the flow, nested ones included, in source order. */
  nodes: FlowNodeInfo[];
}

/**
 * `baton/flows`: `{ uri }` → the flows of that document and of the documents it imports (empty when the
 * document is unknown or cannot be compiled, e.g. while it has parse errors in a flow header).
 */
export const FlowsRequest = new RequestType<FlowsParams, FlowInfo[], void>('baton/flows');
