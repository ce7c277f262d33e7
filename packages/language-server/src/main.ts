/**
 * The Baton language server: Langium's LSP features over the same services `baton check` uses, so the
 * editor and the CLI always agree. Started by the extension over IPC, or over stdio (`--stdio`) by any
 * LSP client (the LSP-level tests use stdio).
 */
import { URI } from 'langium';
import { startLanguageServer } from 'langium/lsp';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { BatonDocumentBuilder, createBatonServices } from '@baton/language';
import { BatonFileAccess, BatonServerFileSystem, forgetClosedDocuments } from './baton-file-access.js';
import { registerFlowTestsRequest } from './baton-flow-tests-request.js';
import { registerFlowsRequest } from './baton-flows-request.js';
import { registerGraphRequest } from './baton-graph-request.js';
import { collectGarbageWhenIdle } from './baton-idle-gc.js';
import { startTrace } from './baton-trace.js';

const connection = createConnection(ProposedFeatures.all);
// The server reads files only inside the workspace folders (without folders: the imports of open documents).
const fileAccess = new BatonFileAccess();
const { shared, Baton } = createBatonServices({ connection, fileSystemProvider: () => new BatonServerFileSystem(fileAccess) }, { incrementalParse: true });
startTrace(shared);
// memory back after the edits stop (with --expose-gc, as the extension starts the server)
collectGarbageWhenIdle(shared);
// Check the whole workspace at start: Langium's first build stops before validation (`initialBuildOptions` is
// `{}`), so a folder opened fresh showed no problems until a file was opened (whose update validated them all).
// The first build validates as an edit does: the same categories, so no document is built twice.
shared.workspace.WorkspaceManager.initialBuildOptions = shared.workspace.DocumentBuilder.updateBuildOptions;

// Imports may not leave the (first) workspace folder, as in `baton check` run from that folder. Without any
// folder, imports resolve relative to the importing file, and the builder loads them as it finds them.
shared.lsp.LanguageServer.onInitialize((params) => {
  fileAccess.setFolders(params.workspaceFolders, params.rootUri);
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  if (folder) Baton.baton.WorkspaceRoot.root = URI.parse(folder).fsPath;
  const builder = shared.workspace.DocumentBuilder;
  if (!fileAccess.hasFolders && builder instanceof BatonDocumentBuilder) builder.importLoading = fileAccess;
  Baton.baton.ClientOptions.read(params.initializationOptions);
});
forgetClosedDocuments(shared, fileAccess);
registerFlowTestsRequest(connection, shared);

registerFlowsRequest(connection, shared, Baton);
registerGraphRequest(connection, shared, Baton);

startLanguageServer(shared);
