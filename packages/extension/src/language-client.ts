import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';
import { LANGUAGE_SERVER_EXEC_ARGV } from '@baton/protocol';

/**
 * Starts the language server (`out/language-server.cjs`, beside this bundle) over IPC, with {@link LANGUAGE_SERVER_EXEC_ARGV}.
 * The client writes to `output`, the extension's one "Baton" channel (by default a client makes its own
 * channel of the same name, and the user saw two).
 */
export async function registerLanguageClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): Promise<LanguageClient> {
  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'out', 'language-server.cjs').fsPath;
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...LANGUAGE_SERVER_EXEC_ARGV] } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...LANGUAGE_SERVER_EXEC_ARGV, '--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'baton' },
      { scheme: 'untitled', language: 'baton' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.flow') },
    // The extension contributes its own snippets (syntaxes/baton.code-snippets): the server's would show twice.
    // The graph panel is here (baton.graph.open), so the server offers the "Graph" CodeLens; the run and test
    // commands are here (baton.flow.run, baton.flow.runWithInputs, baton.test.run), so it offers their lenses.
    initializationOptions: { keywordSnippets: false, graphPanel: true, runCommands: true },
    outputChannel: output,
    middleware: { provideCodeLenses: async (document, token, next) => (await next(document, token))?.map(withUriArgument) },
  };
  const client = new LanguageClient('baton', 'Baton', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
  return client;
}

/**
 * A CodeLens from the server carries `[documentUri, name]` with the URI as a string (LSP is JSON); Baton's
 * commands take a `vscode.Uri` first, as they do from menus, so the string becomes a Uri here.
 */
function withUriArgument(lens: vscode.CodeLens): vscode.CodeLens {
  const args = lens.command?.arguments;
  if (lens.command?.command.startsWith('baton.') && typeof args?.[0] === 'string') {
    lens.command.arguments = [vscode.Uri.parse(args[0]), ...args.slice(1)];
  }
  return lens;
}
