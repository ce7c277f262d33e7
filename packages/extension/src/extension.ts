/**
 * The Baton extension: the only package that imports `vscode`. `activate` only wires: each `registerX`
 * registers its own disposables.
 * - the language client, which starts `out/language-server.cjs` over IPC (diagnostics, completion, hover,
 *   formatting, quick fixes — see packages/language-server);
 * - `Baton: Run Flow` (`baton.flow.run`), which runs the active file's flow out of the extension host's
 *   process with the `baton` CLI on the same runtime, streaming its events to the "Baton" output channel;
 * - the Test Explorer for `test` blocks and `baton.test.run` (see test-controller.ts);
 * - the "Get started with Baton" walkthrough's `baton.walkthrough.createFlow` (see walkthrough.ts).
 */
import * as vscode from 'vscode';
import { registerLanguageClient } from './language-client.js';
import { registerRunCommands } from './run-flow.js';
import { registerTestController } from './test-controller.js';
import { registerWalkthrough } from './walkthrough.js';
import type { BatonApi } from './api.js';

export async function activate(context: vscode.ExtensionContext): Promise<BatonApi> {
  const api: BatonApi = { tests: undefined };
  try {
    const output = vscode.window.createOutputChannel('Baton');
    context.subscriptions.push(output);
    registerRunCommands(context, output);
    registerWalkthrough(context);
    const client = await registerLanguageClient(context);
    api.tests = registerTestController(context, client);
  } catch (error) {
    void vscode.window.showErrorMessage(`Baton could not start: ${(error as Error).message}`);
  }
  return api;
}

export function deactivate(): void {
  // the client and the channels are disposed with the context's subscriptions
}
