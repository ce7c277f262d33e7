import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../../language/src/index.js';
import { checkText, services } from '../helpers.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('language server: half-written files', () => {
  it('completion, hover, the outline and formatting answer at the end of every prefix of an example without throwing', async function () {
    this.timeout(120_000);
    const text = readFileSync(path.join(EXAMPLES, 'process-orchestrator.flow'), 'utf8');
    // own services, one document at a time (as an editor sees one file change), so the workspace stays small
    const own = createBatonServices(EmptyFileSystem);
    const lsp = own.Baton.lsp;
    const documents = own.shared.workspace.LangiumDocuments;
    const uri = URI.parse('file:///prefix/main.flow');
    let answered = 0;
    for (let i = 0; i <= text.length; i += 13) {
      if (documents.hasDocument(uri)) documents.deleteDocument(uri);
      const document = own.shared.workspace.LangiumDocumentFactory.fromString(text.slice(0, i), uri);
      documents.addDocument(document);
      await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
      const position = document.textDocument.positionAt(i);
      const params = { textDocument: { uri: uri.toString() }, position };
      const where = `prefix of ${i} characters`;
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
    }
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
