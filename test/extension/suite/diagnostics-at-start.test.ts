/**
 * A folder opened fresh shows its problems before any file is opened: the language server checks the whole
 * workspace at start. This file sorts first, so it runs before any test opens a `.flow` file (an open would
 * make the server check the workspace anyway).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor, workspaceFile } from './util';

describe('the workspace at start', () => {
  it('shows the problems of a .flow file no one opened', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, 'the extension is installed');
    // activated by `workspaceContains:**/*.flow`, as for a person opening the folder
    await waitFor(() => extension.isActive, 'the extension to activate');
    const uri = workspaceFile('unopened/broken-at-start.flow');
    assert.equal(vscode.workspace.textDocuments.some((d) => d.languageId === 'baton'), false, 'no .flow file is open');
    const diagnostics = await waitFor(() => {
      const found = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      return found.length > 0 ? found : undefined;
    }, 'the problems of unopened/broken-at-start.flow');
    assert.deepEqual(
      diagnostics.map((d) => [typeof d.code === 'object' ? d.code.value : d.code, d.message, d.range.start.line, d.range.start.character]),
      [['unknown-agent', 'unknown agent or flow `Clasifier`; did you mean `Classifier`?', 8, 17]],
    );
    assert.equal(vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()), false, 'the file is still not open');
  });
});
