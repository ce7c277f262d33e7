/**
 * Issue 12's constructs as a person meets them in a real VS Code, on the shipped example of a cancellation region
 * raced by an event-based choice (examples/patterns/wcp-25-cancel-region.flow): it opens without errors, a misspelt
 * `cancel` target gets its diagnostic with did-you-mean and its quick fix clears it, completion after `cancel `
 * offers the region, hover explains `wait first`, and the formatter leaves the canonical file as it is.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, openFlow, setText, waitFor, workspaceFile } from './util.js';

/** The example, copied into the suite's workspace (which holds the top-level examples only) by `before`. */
const FILE = 'wcp-25-cancel-region.flow';

describe('issue 12 constructs in VS Code (region, cancel, wait first)', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, 'the extension is installed (its folder is this project)');
    const source = vscode.Uri.joinPath(extension.extensionUri, 'examples', 'patterns', FILE);
    await vscode.workspace.fs.writeFile(workspaceFile(FILE), await vscode.workspace.fs.readFile(source));
  });
  after(async () => {
    // the later suites (Test Explorer, Runs) see the workspace as it was
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(workspaceFile(FILE));
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('a misspelt cancel target is unknown-name with did-you-mean, and its quick fix clears it', async () => {
    const editor = await openFlow(FILE);
    const uri = editor.document.uri;
    const text = editor.document.getText();
    assert.ok(text.includes('cancel fulfil'), 'the example cancels its region');
    await setText(editor, text.replace('cancel fulfil', 'cancel fulfill'));
    const error = await waitFor(() => vscode.languages.getDiagnostics(uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error), 'the unknown-name error');
    assert.equal(typeof error.code === 'object' ? error.code.value : error.code, 'unknown-name');
    assert.match(error.message, /did you mean `fulfil`\?/);
    assert.equal(editor.document.getText(error.range), 'fulfill');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, error.range);
    const fix = actions.find((a) => a.title.includes('fulfil') && a.edit);
    assert.ok(fix?.edit, `a quick fix naming fulfil among ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await waitFor(() => !vscode.languages.getDiagnostics(uri).some((d) => d.severity === vscode.DiagnosticSeverity.Error), 'the error to clear');
    assert.equal(editor.document.getText(), text);
  });

  it('completes the region after `cancel `', async () => {
    const editor = await openFlow(FILE);
    const text = editor.document.getText();
    const edited = text.replace('cancel fulfil', 'cancel ');
    await setText(editor, edited);
    const line = edited.split('\n').findIndex((l) => /^\s*cancel $/.test(l));
    const list = await waitFor(async () => {
      const result = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, new vscode.Position(line, edited.split('\n')[line].length));
      return result.items.length > 0 ? result : undefined;
    }, 'completion items after cancel');
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('fulfil'), `fulfil among ${JSON.stringify(labels)}`);
  });

  it('hovers `wait first` with what the choice does', async () => {
    const editor = await openFlow(FILE);
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('wait first {'));
    const character = editor.document.lineAt(line).text.indexOf('first') + 1;
    const hovers = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, character));
      return found.length > 0 ? found : undefined;
    }, 'a hover on wait first');
    const shown = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(shown, /withdrawn/i);
  });

  it('formats the example to itself (it is in the canonical layout)', async () => {
    const uri = workspaceFile(FILE);
    await openFlow(FILE);
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', uri, { tabSize: 2, insertSpaces: true });
    assert.deepEqual(edits ?? [], []);
  });
});
