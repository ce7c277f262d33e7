import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkText, forEachPrefix, services } from '../helpers.js';
import { TestWorkspace } from './workspace-helpers.js';
import { ResponseError } from 'vscode-languageserver';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('language server: half-written files', () => {
  // process-orchestrator: every kind of statement; support-tools: agents' tools (tools: [...], stub turns(…) scripts)
  for (const [example, step, least] of [['process-orchestrator.flow', 13, 100], ['support-tools.flow', 11, 100]] as const) {
  it(`completion, hover, the outline, folding, references, prepare rename and formatting answer at the end of every prefix of ${example} without throwing`, async function () {
    this.timeout(120_000);
    const text = readFileSync(path.join(EXAMPLES, example), 'utf8');
    let answered = 0;
    await forEachPrefix(text, step, async (document, length, own) => {
      const lsp = own.Baton.lsp;
      const params = { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(length) };
      const where = `prefix of ${length} characters`;
      try {
        await lsp.CompletionProvider!.getCompletion(document, params);
        await lsp.HoverProvider!.getHoverContent(document, params);
        await lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: params.textDocument });
        await lsp.FoldingRangeProvider!.getFoldingRanges(document, { textDocument: params.textDocument });
        await lsp.ReferencesProvider!.findReferences(document, { ...params, context: { includeDeclaration: true } });
        try {
          await lsp.RenameProvider!.prepareRename(document, params);
        } catch (error) {
          if (!(error instanceof ResponseError)) throw error; // a refusal (a test name) is an answer
        }
        await lsp.Formatter!.formatDocument(document, { textDocument: params.textDocument, options: { tabSize: 2, insertSpaces: true } });
        answered++;
      } catch (error) {
        assert.fail(`${where}: ${(error as Error).stack}`);
      }
      const crashes = (document.diagnostics ?? []).filter((d) => /error occurred/i.test(d.message));
      assert.deepEqual(crashes.map((d) => d.message), [], where);
    });
    assert.ok(answered > least);
  });
  }

  it('a file with a parse error still gets an outline and completion after the error', async () => {
    const { document } = await checkText('agent Intake { instructions: "x" stub: "ok" }\nflow F {\n  step a: Intake {{ \n  step b: \n}\n');
    const symbols = await services.Baton.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: { uri: document.uri.toString() } });
    assert.deepEqual(symbols.map((s) => s.name), ['Intake', 'F']);
    const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: { line: 3, character: 10 } });
    assert.ok(list?.items.some((i) => i.label === 'Intake'), 'agents are offered after the broken line');
  });
});

describe('language server: files with parse errors', () => {
  it('hover still describes an agent and a step before and after the broken line', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': '/** Classifies. */\nagent Intake { model: "openai/gpt-4o-mini" stub: "x" }\nflow F {\n  step first: Int<|>ake\n  step broken: Intake {{ prompt\n  let v = fir<|>st.status\n}\n',
    });
    assert.ok((ws.document('main.flow').parseResult.parserErrors.length) > 0, 'the file has a parse error');
    const hover = async (i: number) => ((await ws.services.Baton.lsp.HoverProvider!.getHoverContent(ws.document('main.flow'), ws.cursor('main.flow', i)))?.contents as { value: string } | undefined)?.value;
    assert.equal(await hover(0), '**agent** `Intake`  \nmodel: `openai/gpt-4o-mini`\n\n---\n\nClassifies.');
    assert.equal(await hover(1), '**step** `first` → agent `Intake`  \noutput: `any`');
  });

  it('completion offers imported agents, go to definition and the outline still work in a broken file', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'agent Notifier { stub: "x" }\n',
      'main.flow': 'import "./lib.flow"\nflow F {\n  step a: Noti<|>fier { prompt: \n  step b: <|>\n}\n',
    });
    assert.ok(ws.document('main.flow').parseResult.parserErrors.length > 0, 'the file has a parse error');
    const items = await ws.services.Baton.lsp.CompletionProvider!.getCompletion(ws.document('main.flow'), ws.cursor('main.flow', 1));
    assert.deepEqual(items?.items.map((i) => i.label).sort(), ['F', 'Notifier', 'run']);
    const links = await ws.services.Baton.lsp.DefinitionProvider!.getDefinition(ws.document('main.flow'), ws.cursor('main.flow', 0));
    assert.deepEqual(links?.map((l) => ws.spot({ uri: l.targetUri, range: l.targetSelectionRange })), ['lib.flow:0:6-0:14 Notifier']);
    const symbols = await ws.services.Baton.lsp.DocumentSymbolProvider!.getSymbols(ws.document('main.flow'), { textDocument: { uri: ws.document('main.flow').uri.toString() } });
    assert.deepEqual(symbols.map((s) => [s.name, ('children' in s ? s.children ?? [] : []).map((c) => c.name)]), [['F', ['a', 'b']]]);
  });
});
