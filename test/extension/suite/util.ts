/** Helpers for the real-editor suite (runs inside the extension host, see test/extension/index.ts). */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
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

/** What scripts/real-editor.mjs saw when asked to look: the graph node's details (tooltip text), the side bar's rows, the screenshot's path. */
export interface Look {
  tooltip?: string;
  /** The side bar's tree rows as drawn, whitespace collapsed (the Runs view: `tool LookupOrder answer · turn 1 · 12 ms`). */
  rows: string[];
  screenshot: string;
}

/**
 * Asks the Chromium driving this workbench (scripts/real-editor.mjs) to look at the window as a person would: with
 * `hover`, it hovers that node (IR id) of the open graph panel and reads its details; it reads the side bar's rows; then it saves
 * out/real-editor/<name>.png. Undefined when the suite runs without that script (`BATON_EDITOR_LOOKS` unset: the
 * @vscode/test-electron shape), so a test asserts what it saw only when it could look.
 */
export async function look(name: string, options: { hover?: string } = {}): Promise<Look | undefined> {
  const dir = process.env.BATON_EDITOR_LOOKS;
  if (!dir) return undefined;
  const answer = path.join(dir, `${name}.json`);
  console.log(`[real-editor:look] ${JSON.stringify({ name, ...options })}`);
  const seen = await waitFor(() => existsSync(answer) && (JSON.parse(readFileSync(answer, 'utf8')) as Look & { error?: string }), `the look "${name}"`);
  if (seen.error) throw new Error(`looking at "${name}" failed: ${seen.error}`);
  return seen;
}
