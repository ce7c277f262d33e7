import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';

/** Starts the language server (`out/language-server.cjs`, beside this bundle) over IPC. */
export async function registerLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'out', 'language-server.cjs').fsPath;
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'baton' },
      { scheme: 'untitled', language: 'baton' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.flow') },
  };
  const client = new LanguageClient('baton', 'Baton', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
  return client;
}
