/**
 * Baton's custom LSP methods, each declared once as a typed constant (conventions.md, rule 8) and used by
 * the language server (`connection.onRequest(X, …)`) and the extension (`client.sendRequest(X, …)`) — no
 * method strings at call sites. Imported as `@baton/protocol/lsp`, apart from the rest of the protocol,
 * so the runtime, CLI and webview bundles do not pull in vscode-jsonrpc.
 */
import { RequestType } from 'vscode-jsonrpc';

/** A position in a document as LSP counts it: `line` and `character` from 0 (UTF-16 code units). */
export interface LspPosition {
  line: number;
  character: number;
}

/** A range in a document as LSP counts it; `end` is exclusive. */
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** Parameters of {@link FlowTestsRequest}: the document, as in every text-document request. */
export interface FlowTestsParams {
  textDocument: { uri: string };
}

/** One `test` block of a document. */
export interface FlowTestInfo {
  /** The test's name (the string after `test`, unquoted); `baton test --test <name>` runs it. */
  name: string;
  /** The flow it runs as written after `flow:` (empty when the block has no `flow:` yet). */
  flow: string;
  /** The whole `test "…" { … }` block. */
  range: LspRange;
  /** The test's name string, quotes included (where the editor puts the test's gutter icon). */
  nameRange: LspRange;
}

/**
 * `baton/tests`: the `test` blocks of one document, in source order, read from the parsed (not
 * necessarily valid) document — a parse error elsewhere in the file leaves the other tests listed.
 * Answers `[]` for a document with no tests.
 */
export const FlowTestsRequest = new RequestType<FlowTestsParams, FlowTestInfo[], void>('baton/tests');
