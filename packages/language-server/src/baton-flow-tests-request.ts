import { DocumentState, URI } from 'langium';
import { createRequestHandler, type LangiumSharedServices } from 'langium/lsp';
import type { Connection } from 'vscode-languageserver';
import { FlowTestsRequest } from '@baton/protocol';
import { flowTestsOf } from '@baton/language';
import { ensureDocument } from './baton-wait-linked.js';

/**
 * Answers `baton/tests` ({@link FlowTestsRequest}) with the `test` blocks of the document, once it is
 * parsed (no need to wait for linking or validation). A document not open in the editor is read from
 * disk, also one created so recently that the server has not heard of it yet ({@link ensureDocument});
 * a missing file and a file outside the workspace folders answer `[]`.
 */
export function registerFlowTestsRequest(connection: Connection, shared: LangiumSharedServices): void {
  const handler = createRequestHandler((_services, document) => flowTestsOf(document), shared, DocumentState.Parsed);
  connection.onRequest(FlowTestsRequest, async (params, token) => {
    await shared.workspace.WorkspaceManager.ready;
    if (!(await ensureDocument(shared, URI.parse(params.textDocument.uri)))) return [];
    return handler(params, token);
  });
}
