/**
 * Run by bench/cases/editor-activation.mjs inside code-server (scripts/real-editor.mjs --suite-dir bench/editor
 * --empty-workspace): the extension is not active yet, so this times `activate()` as VS Code calls it — loading
 * out/extension.cjs and running `activate` — and then the time until the language server's first diagnostics
 * for a newly opened document. Writes `{activateMs, firstDiagnosticsMs}` (ms) as JSON to BATON_BENCH_OUT.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

describe('editor activation (bench)', () => {
  it('measures activate() and the first diagnostics', async () => {
    const extension = vscode.extensions.getExtension('baton.baton');
    assert.ok(extension, 'the extension is installed');
    assert.equal(extension.isActive, false, 'an empty workspace has not activated the extension');
    const t0 = performance.now();
    await extension.activate();
    const activateMs = performance.now() - t0;
    const t1 = performance.now();
    const document = await vscode.workspace.openTextDocument({ language: 'baton', content: 'flow F {\n  step a: Missing\n}\n' });
    await vscode.window.showTextDocument(document);
    for (;;) {
      if (vscode.languages.getDiagnostics(document.uri).length > 0) break;
      if (performance.now() - t1 > 30_000) throw new Error('no diagnostics within 30 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const firstDiagnosticsMs = performance.now() - t1;
    const out = process.env.BATON_BENCH_OUT;
    if (out) writeFileSync(out, JSON.stringify({ activateMs, firstDiagnosticsMs }));
  });
});
