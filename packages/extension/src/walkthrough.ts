import * as vscode from 'vscode';
import { HELLO_FLOW, HELLO_FLOW_FILE } from './hello-flow.js';

/**
 * Registers `baton.walkthrough.createFlow`, step 1 of the "Get started with Baton" walkthrough: writes
 * `hello.flow` (an agent with a stub, a flow, two tests) into the first workspace folder — or, with no
 * folder open, where the user picks in a save dialog — and opens it. An existing `hello.flow` is opened,
 * never overwritten. Resolves with the file's URI (undefined when the user cancelled the dialog).
 */
export function registerWalkthrough(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('baton.walkthrough.createFlow', async (): Promise<vscode.Uri | undefined> => {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = folder
        ? vscode.Uri.joinPath(folder, HELLO_FLOW_FILE)
        : await vscode.window.showSaveDialog({ title: 'Where should Baton create your first flow?', saveLabel: 'Create', filters: { 'Baton flows': ['flow'] } });
      if (!target) return undefined;
      let exists = true;
      try {
        await vscode.workspace.fs.stat(target);
      } catch {
        exists = false;
      }
      if (!exists) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(HELLO_FLOW));
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
      if (exists) void vscode.window.showInformationMessage(`Baton: ${vscode.workspace.asRelativePath(target)} already exists — opened it as it is.`);
      return target;
    }),
  );
}
