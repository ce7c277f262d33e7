import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkText, forEachPrefix, services } from '../helpers.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('language server: half-written files', () => {
  it('completion, hover, the outline and formatting answer at the end of every prefix of an example without throwing', async function () {
    this.timeout(120_000);
    const text = readFileSync(path.join(EXAMPLES, 'process-orchestrator.flow'), 'utf8');
    let answered = 0;
    await forEachPrefix(text, 13, async (document, length, own) => {
      const lsp = own.Baton.lsp;
      const params = { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(length) };
      const where = `prefix of ${length} characters`;
      try {
        await lsp.CompletionProvider!.getCompletion(document, params);
        await lsp.HoverProvider!.getHoverContent(document, params);
        await lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: params.textDocument });
        await lsp.Formatter!.formatDocument(document, { textDocument: params.textDocument, options: { tabSize: 2, insertSpaces: true } });
        answered++;
      } catch (error) {
        assert.fail(`${where}: ${(error as Error).stack}`);
      }
      const crashes = (document.diagnostics ?? []).filter((d) => /error occurred/i.test(d.message));
      assert.deepEqual(crashes.map((d) => d.message), [], where);
    });
    assert.ok(answered > 100);
  });

  it('a file with a parse error still gets an outline and completion after the error', async () => {
    const { document } = await checkText('agent Intake { instructions: "x" stub: "ok" }\nflow F {\n  step a: Intake {{ \n  step b: \n}\n');
    const symbols = await services.Baton.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: { uri: document.uri.toString() } });
    assert.deepEqual(symbols.map((s) => s.name), ['Intake', 'F']);
    const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: { line: 3, character: 10 } });
    assert.ok(list?.items.some((i) => i.label === 'Intake'), 'agents are offered after the broken line');
  });
});
