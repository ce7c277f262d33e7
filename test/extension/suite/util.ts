/** Helpers for the real-editor suite (runs inside the extension host, see test/extension/index.ts). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

/** The extension's id in the marketplace form `publisher.name` (root package.json). */
export const EXTENSION_ID = 'baton.baton';

/** A file of the suite's workspace folder (a temp copy of examples/ plus test/extension/fixtures/). */
export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs with a workspace folder open');
  return vscode.Uri.joinPath(folder.uri, relative);
}

/** Opens a workspace file in an editor and waits until it is the active one. */
export async function openFlow(relative: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(relative));
  return vscode.window.showTextDocument(document);
}

/**
 * Polls `probe` every 100 ms until it returns something other than undefined/false; rejects after `timeoutMs`
 * with "timed out waiting for <what>" (30 s by default: CI machines are shared).
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Activates the extension (if it is not yet) and returns what `activate()` returned. */
export async function extensionApi<T = unknown>(): Promise<T> {
  const extension = vscode.extensions.getExtension<T>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is installed`);
  return extension.isActive ? extension.exports : await extension.activate();
}

/** Replaces the whole text of an editor's document (one edit, as a paste would). */
export async function setText(editor: vscode.TextEditor, text: string): Promise<void> {
  const document = editor.document;
  const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
  const ok = await editor.edit((edit) => edit.replace(whole, text));
  assert.ok(ok, 'the edit was applied');
}
