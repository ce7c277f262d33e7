/**
 * The language features as a person meets them in a real VS Code: the extension activates on a .flow file,
 * a broken file shows its diagnostics, completion knows a step's output fields, hover shows an agent's doc,
 * formatting and go-to-definition work through the language client.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, openFlow, setText, waitFor, workspaceFile } from './util.js';

describe('language features in VS Code', () => {
  it('activates on a .flow file and gives it the baton language', async () => {
    const editor = await openFlow('outreach.flow');
    assert.equal(editor.document.languageId, 'baton');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, 'the extension is installed');
    await waitFor(() => extension.isActive, 'the extension to activate');
  });

  it('shows a broken file’s diagnostics with the checker’s code, range and message', async () => {
    const editor = await openFlow('editor-broken.flow');
    const uri = editor.document.uri;
    const diagnostics = await waitFor(() => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.some((d) => d.severity === vscode.DiagnosticSeverity.Error) ? found : undefined;
    }, 'diagnostics for editor-broken.flow');
    const error = diagnostics.find((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.ok(error);
    assert.equal(error.message, 'unknown agent or flow `Clasifier`; did you mean `Classifier`?');
    assert.equal(typeof error.code === 'object' ? error.code.value : error.code, 'unknown-agent');
    // line 12, column 18 as the CLI prints it → zero-based (11, 17), the name `Clasifier`
    assert.deepEqual([error.range.start.line, error.range.start.character, error.range.end.line, error.range.end.character], [11, 17, 11, 26]);
    const warning = diagnostics.find((d) => d.severity === vscode.DiagnosticSeverity.Warning);
    assert.equal(warning?.message, 'agent `Classifier` is never used by a step');
  });

  it('offers the quick fix "did you mean" and applying it clears the error', async () => {
    const editor = await openFlow('editor-broken.flow');
    const uri = editor.document.uri;
    const error = await waitFor(() => vscode.languages.getDiagnostics(uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error), 'the unknown-agent error');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, error.range);
    const fix = actions.find((a) => a.title.includes('Classifier'));
    assert.ok(fix?.edit, `a quick fix naming Classifier among ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(editor.document.lineAt(11).text, /step classify: Classifier \{/);
    await waitFor(() => !vscode.languages.getDiagnostics(uri).some((d) => d.severity === vscode.DiagnosticSeverity.Error), 'the error to clear');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('completes a step’s output fields after `classify.output.`', async () => {
    const editor = await openFlow('editor-complete.flow');
    const text = editor.document.getText();
    const edited = text.replace('set output.label = classify.output.label', 'set output.label = classify.output.');
    await setText(editor, edited);
    const line = edited.split('\n').findIndex((l) => l.includes('classify.output.'));
    const position = new vscode.Position(line, edited.split('\n')[line].length);
    const list = await waitFor(async () => {
      const result = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, position, '.');
      return result.items.length > 0 ? result : undefined;
    }, 'completion items');
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label)).sort();
    assert.deepEqual(labels, ['label', 'score']);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('offers each snippet once at a statement position (the contributed one; the server sends none)', async () => {
    const editor = await openFlow('editor-complete.flow');
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('step classify: Classifier'));
    const position = new vscode.Position(line, 2);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, position);
    const label = (i: vscode.CompletionItem) => (typeof i.label === 'string' ? i.label : i.label.label);
    const snippets = list.items.filter((i) => i.kind === vscode.CompletionItemKind.Snippet).map(label).filter((l) => /^(step|foreach|parallel|if|approval)\b/.test(l)).sort();
    assert.deepEqual(snippets, ['approval', 'foreach', 'if', 'parallel', 'step']);
    assert.ok(list.items.some((i) => label(i) === 'step' && i.kind === vscode.CompletionItemKind.Keyword), 'the keyword step is offered too');
  });

  it('hovers an agent with its doc comment, model and output type', async () => {
    const editor = await openFlow('editor-complete.flow');
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('step classify: Classifier'));
    const character = editor.document.lineAt(line).text.indexOf('Classifier') + 2;
    const hovers = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, character));
      return found.length > 0 ? found : undefined;
    }, 'a hover');
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Classifies a ticket\./);
    assert.match(text, /openai\/gpt-4o-mini/);
    assert.match(text, /label: string/);
  });

  it('goes to an agent’s definition from a step', async () => {
    const editor = await openFlow('editor-complete.flow');
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('step classify: Classifier'));
    const character = editor.document.lineAt(line).text.indexOf('Classifier') + 1;
    const locations = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', editor.document.uri, new vscode.Position(line, character));
    assert.equal(locations.length, 1);
    const target = 'targetUri' in locations[0] ? locations[0].targetSelectionRange ?? locations[0].targetRange : locations[0].range;
    assert.equal(target.start.line, 1, 'the agent is declared on line 2');
    assert.equal(editor.document.getText(target), 'Classifier');
  });

  it('formats a badly laid-out file to the canonical layout', async () => {
    const uri = workspaceFile('editor-complete.flow');
    const canonical = (await vscode.workspace.openTextDocument(uri)).getText();
    const editor = await openFlow('editor-complete.flow');
    await setText(editor, canonical.replace('  step classify: Classifier {', 'step   classify:Classifier{').replace('flow Triage {', 'flow Triage{'));
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', uri, { tabSize: 2, insertSpaces: true });
    assert.ok(edits.length > 0, 'the formatter proposes edits');
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.set(uri, edits);
    assert.ok(await vscode.workspace.applyEdit(workspaceEdit));
    assert.equal(editor.document.getText(), canonical);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});

describe('Baton: Run Flow in VS Code', () => {
  it('runs the open flow out of process and resolves with its last event', async () => {
    const uri = workspaceFile('editor-complete.flow');
    await openFlow('editor-complete.flow');
    const outcome = await vscode.commands.executeCommand<{ runId?: string; exitCode: number; last?: { type: string; outputs?: Record<string, unknown> } }>('baton.flow.run', uri);
    assert.ok(outcome, 'the command resolves with the run outcome');
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.last?.type, 'run.succeeded');
    assert.deepEqual(outcome.last?.outputs, { label: 'billing' });
    assert.match(outcome.runId ?? '', /^[0-9A-Z]{26}$/);
  });
});
