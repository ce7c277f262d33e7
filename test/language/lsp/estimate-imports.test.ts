import assert from 'node:assert/strict';
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
