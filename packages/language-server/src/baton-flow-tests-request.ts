import { DocumentState } from 'langium';
import { createRequestHandler, type LangiumSharedServices } from 'langium/lsp';
import type { Connection } from 'vscode-languageserver';
import { FlowTestsRequest } from '@baton/protocol';
import { flowTestsOf } from '@baton/language';

/**
 * Answers `baton/tests` ({@link FlowTestsRequest}) with the `test` blocks of the document, once it is
 * parsed (no need to wait for linking or validation). A document not open in the editor is read from
 * disk; a URI no language handles answers `null`.
 */
export function registerFlowTestsRequest(connection: Connection, shared: LangiumSharedServices): void {
  connection.onRequest(
    FlowTestsRequest,
    createRequestHandler((_services, document) => flowTestsOf(document), shared, DocumentState.Parsed),
  );
}
