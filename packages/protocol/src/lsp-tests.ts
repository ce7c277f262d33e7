import { RequestType } from 'vscode-jsonrpc';
import type { LspRange } from './lsp-flows.js';

/**
 * The `baton/tests` custom LSP request, declared once (conventions.md, rule 8): served by
 * packages/language-server (`connection.onRequest(FlowTestsRequest, …)`), sent by the extension's Test
 * Explorer (`client.sendRequest(FlowTestsRequest, …)`).
 */

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
