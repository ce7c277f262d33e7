/**
 * The Baton extension: the only package that imports `vscode`. `activate` only wires: each `registerX`
 * registers its own disposables.
 * - the language client, which starts `out/language-server.cjs` over IPC (diagnostics, completion, hover,
 *   formatting, quick fixes — see packages/language-server);
 * - `Baton: Run Flow` (`baton.flow.run`), which runs the active file's flow out of the extension host's
 *   process with the `baton` CLI on the same runtime, streaming its events to the "Baton" output channel.
 */
import * as vscode from 'vscode';
import { registerLanguageClient } from './language-client.js';
import { registerRunCommands } from './run-flow.js';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  try {
    const output = vscode.window.createOutputChannel('Baton');
    context.subscriptions.push(output);
    registerRunCommands(context, output);
    // The server starts in the background: activation (and so the editor) never waits for it.
    registerLanguageClient(context).catch((error: unknown) => {
      void vscode.window.showErrorMessage(`Baton's language server could not start: ${(error as Error).message}`);
    });
  } catch (error) {
    void vscode.window.showErrorMessage(`Baton could not start: ${(error as Error).message}`);
  }
}

export function deactivate(): void {
  // the client and the channels are disposed with the context's subscriptions
}
