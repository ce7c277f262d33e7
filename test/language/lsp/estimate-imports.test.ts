import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../../language/src/index.js';
import type { Diagnostic, Hover } from 'vscode-languageserver-types';
import { TestWorkspace } from './workspace-helpers.js';

/* `estimate("Flow")` across imports: the checker, completion inside the quotes, and the hover on a flow that calls an imported one. */

const TEMPLATES = `agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
}
flow Template {
  step w: Writer { prompt: "x" }
}
`;

async function errorsOf(ws: TestWorkspace, file: string): Promise<string[]> {
  const diagnostics: Diagnostic[] = ws.document(file).diagnostics ?? [];
  return diagnostics.filter((d) => d.severity === 1).map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`);
}

describe('language: estimate("Flow") of an imported flow', () => {
  it('names a flow of an imported file (through another import, too); an unknown name lists the flows of the file and its imports', async () => {
    const ws = await TestWorkspace.of({
      'templates.flow': TEMPLATES,
      'middle.flow': 'import "./templates.flow"\nflow Middle {\n  step t: Template\n}\n',
      'main.flow': 'import "./middle.flow"\nflow Main {\n  output a: any\n  output b: any\n  set output.a = estimate("Template")\n  set output.b = estimate("Tempalte")\n}\n',
    });
    assert.deepEqual(await errorsOf(ws, 'main.flow'), ['5:26 estimate(): no flow named "Tempalte" in this file or its imports; the flows are Main, Middle, Template']);
  });

  it('completes the flows of the file and its imports inside estimate("…"), replacing what is between the quotes', async () => {
    const ws = await TestWorkspace.of({ 'templates.flow': TEMPLATES, 'main.flow': 'import "./templates.flow"\nflow Main {\n  let e = estimate("Te<|>\n}\n' });
    const list = await ws.services.Baton.lsp.CompletionProvider!.getCompletion(ws.document('main.flow'), ws.cursor('main.flow', 0));
    assert.deepEqual(list?.items.map((i) => [i.label, i.textEdit && 'range' in i.textEdit ? i.textEdit.range.start.character : -1]), [['Main', 20], ['Template', 20]]);
  });

  it('the hover on a flow counts the imported flow it calls (1 call, 1,000 tokens, 30 s)', async () => {
    const ws = await TestWorkspace.of({ 'templates.flow': TEMPLATES, 'main.flow': 'import "./templates.flow"\nflow Ma<|>in {\n  step t: Template\n}\n' });
    const hover = (await ws.services.Baton.lsp.HoverProvider!.getHoverContent(ws.document('main.flow'), ws.cursor('main.flow', 0))) as Hover | undefined;
    assert.match((hover?.contents as { value: string }).value, /\nworst case: 1 call, output 1,000 tokens, 30 s \(/);
  });
});

describe('language server: the hover on a flow prices it with the nearest baton.config.json', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-hover-prices-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hoverOf = async (text: string): Promise<string> => {
    const services = createBatonServices(EmptyFileSystem);
    const document = services.shared.workspace.LangiumDocumentFactory.fromString(text, URI.file(path.join(dir, 'flows', 'main.flow')));
    services.shared.workspace.LangiumDocuments.addDocument(document);
    await services.shared.workspace.DocumentBuilder.build([document], { validation: true });
    const offset = text.indexOf('flow Main') + 6;
    const hover = (await services.Baton.lsp.HoverProvider!.getHoverContent(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) })) as Hover | undefined;
    return (hover?.contents as { value: string }).value;
  };

  it('adds the cost of the output tokens at the config\'s prices (its agents overrides apply); a model without prices is "cost unknown"', async () => {
    // the config sits in the parent folder of the file, as baton run finds it
    writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } }, agents: { Other: { maxTokens: 10 } } }));
    // 1000 tokens × $0.6 per million
    assert.match(await hoverOf(`${TEMPLATES}flow Main {\n  step t: Template\n}\n`), /\nworst case: 1 call, output 1,000 tokens, \$0\.0006, 30 s \(`baton estimate` says why\)$/);
    assert.match(await hoverOf('agent Other { model: "openai/gpt-4o" timeout: 5s }\nflow Main {\n  step o: Other { prompt: "x" }\n}\n'), /\nworst case: 1 call, output 10 tokens, cost unknown, 5\.0 s /);
  });

  it('without prices in the config, no cost', async () => {
    writeFileSync(path.join(dir, 'baton.config.json'), '{}');
    assert.match(await hoverOf(`${TEMPLATES}flow Main {\n  step t: Template\n}\n`), /\nworst case: 1 call, output 1,000 tokens, 30 s \(`baton estimate` adds the cost and why\)$/);
  });
});
