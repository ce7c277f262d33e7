/**
 * The Baton extension: the only package that imports `vscode`. `activate` only wires: each `registerX`
 * registers its own disposables.
 * - the language client, which starts `out/language-server.cjs` over IPC (diagnostics, completion, hover,
 *   formatting, quick fixes, CodeLens, the `baton/flows` and `baton/tests` requests — see packages/language-server);
 * - running flows (run-flow.ts): Run Flow / Run Flow with Inputs…, the Runs view, the status bar item,
 *   run diagnostics and approvals, out of the extension host's process with the `baton` CLI;
 * - `Baton: Set API Key` (api-keys.ts), keys in SecretStorage;
 * - the Test Explorer for `test` blocks and `baton.test.run` (test-controller.ts);
 * - the "Get started with Baton" walkthrough's `baton.walkthrough.createFlow` (walkthrough.ts).
 * - `Baton: Open Graph to the Side` (graph-panel.ts): the flow's graph in a webview, live as you type.
 * @returns the {@link BatonApi} (used by the real-editor tests).
 */
import * as vscode from 'vscode';
import type { BatonApi } from './api.js';
import { registerApiKeyCommand } from './api-keys.js';
import { registerGraphPanel } from './graph-panel.js';
import { registerLanguageClient } from './language-client.js';
import { registerRunCommands } from './run-flow.js';
import { registerTestController } from './test-controller.js';
import { registerWalkthrough } from './walkthrough.js';

export type { BatonApi } from './api.js';

export async function activate(context: vscode.ExtensionContext): Promise<BatonApi | undefined> {
  try {
    const output = vscode.window.createOutputChannel('Baton');
    context.subscriptions.push(output);
    // The server starts in the background: activation (and so the editor) never waits for it.
    const client = registerLanguageClient(context, output);
    client.catch((error: unknown) => {
      void vscode.window.showErrorMessage(`Baton's language server could not start: ${(error as Error).message}`);
    });
    const runs = registerRunCommands(context, output, client.catch(() => undefined));
    registerApiKeyCommand(context);
    const tests = registerTestController(context, client.catch(() => undefined));
    registerWalkthrough(context);
    const graph = registerGraphPanel(context, client.catch(() => undefined), { list: (flow, file) => runs.storedRuns(flow, file), events: (runId) => runs.storedEvents(runId), detail: (runId) => runs.storedDetail(runId) });
    // Runs started from the editor light up the graph of their flow (the panel turns to it).
    context.subscriptions.push(runs.onDidApplyEvent((run, event) => graph.showRunEvent(event, run.file)));
    return { runs, tests, graph };
  } catch (error) {
    void vscode.window.showErrorMessage(`Baton could not start: ${(error as Error).message}`);
    return undefined;
  }
}

export function deactivate(): void {
  // the client and the channels are disposed with the context's subscriptions
}
