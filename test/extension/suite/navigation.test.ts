/**
 * Navigation across files in a real VS Code: rename an agent declared in an imported file from its use,
 * find its references, the outline of a flow, and workspace symbols — all through the language client.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFlow, waitFor, workspaceFile } from './util.js';

/** The position of the first occurrence of `needle` in the document, `offset` characters into it. */
function positionOf(document: vscode.TextDocument, needle: string, offset = 1): vscode.Position {
  const index = document.getText().indexOf(needle);
  assert.ok(index >= 0, `${needle} is in ${document.uri.path}`);
  return document.positionAt(index + offset);
}

describe('navigation across files in VS Code', () => {
  it('finds an imported agent’s references in both files', async () => {
    const editor = await openFlow('editor-import.flow');
    const position = positionOf(editor.document, 'Summarizer {');
    const locations = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', editor.document.uri, position);
      return found.length >= 2 ? found : undefined;
    }, 'references to Summarizer');
    const files = locations.map((l) => `${l.uri.path.split('/').at(-1)}:${l.range.start.line + 1}`).sort();
    assert.deepEqual(files, ['editor-agents.flow:2', 'editor-import.flow:7']);
  });

  it('renames an imported agent from its use: the declaration in the other file and the use both change', async () => {
    const editor = await openFlow('editor-import.flow');
    const position = positionOf(editor.document, 'Summarizer {');
    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', editor.document.uri, position, 'Condenser');
    assert.ok(edit, 'a rename edit');
    const touched = edit.entries().map(([uri, edits]) => `${uri.path.split('/').at(-1)}:${edits.length}`).sort();
    assert.deepEqual(touched, ['editor-agents.flow:1', 'editor-import.flow:1']);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const agents = await vscode.workspace.openTextDocument(workspaceFile('shared/editor-agents.flow'));
    assert.match(agents.getText(), /^agent Condenser \{$/m);
    assert.match(editor.document.getText(), /step summarize: Condenser \{/);
    await waitFor(() => vscode.languages.getDiagnostics(editor.document.uri).every((d) => d.severity !== vscode.DiagnosticSeverity.Error) || undefined, 'no errors after the rename');
    // put both files back as they were
    const undo = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', editor.document.uri, positionOf(editor.document, 'Condenser {'), 'Summarizer');
    assert.ok(await vscode.workspace.applyEdit(undo));
    await vscode.workspace.saveAll(false);
  });

  it('refuses a rename to a keyword with the server’s message', async () => {
    const editor = await openFlow('editor-import.flow');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', editor.document.uri, positionOf(editor.document, 'summarize:'), 'if')),
      (error: Error) => /if/.test(error.message),
    );
  });

  it('shows the outline of a flow: the flow with its inputs, outputs and steps', async () => {
    const editor = await openFlow('editor-import.flow');
    const symbols = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', editor.document.uri);
      return found?.length ? found : undefined;
    }, 'document symbols');
    const flow = symbols.find((s) => s.name === 'Digest');
    assert.ok(flow, `a Digest symbol among ${symbols.map((s) => s.name).join(', ')}`);
    assert.deepEqual(flow.children.map((c) => c.name), ['text', 'summary', 'summarize']);
  });

  it('finds agents and flows of the whole workspace by name', async () => {
    const symbols = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'Summar');
      return found.some((s) => s.name === 'Summarizer') ? found : undefined;
    }, 'workspace symbols for "Summar"');
    const agent = symbols.find((s) => s.name === 'Summarizer')!;
    assert.equal(agent.location.uri.path.split('/').at(-1), 'editor-agents.flow');
  });
});
