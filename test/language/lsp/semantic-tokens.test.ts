import assert from 'node:assert/strict';
import { setInterruptionPeriod } from 'langium';
import { CancellationTokenSource } from 'vscode-languageserver';
import { generateFlow } from '../../../bench/generate-flow.mjs';
import { checkText, services } from '../helpers.js';

/** The semantic tokens of `text` as `text:type`, in order (LSP's relative encoding decoded). */
async function tokensOf(text: string): Promise<string[]> {
  const { document } = await checkText(text);
  const provider = services.Baton.lsp.SemanticTokenProvider!;
  const result = await provider.semanticHighlight(document, { textDocument: { uri: document.uri.toString() } });
  const names = Object.fromEntries(Object.entries(provider.tokenTypes).map(([name, index]) => [index, name]));
  const tokens: string[] = [];
  let line = 0;
  let start = 0;
  for (let i = 0; i < result.data.length; i += 5) {
    const [dl, ds, len, type] = result.data.slice(i, i + 4);
    line += dl;
    start = dl === 0 ? start + ds : ds;
    tokens.push(`${text.split('\n')[line].slice(start, start + len)}:${names[type]}`);
  }
  return tokens;
}

describe('language server: semantic tokens', () => {
  it('tells agents, flows, steps, inputs, functions and durations apart', async () => {
    const text = 'agent Intake { instructions: "x" stub: "ok" }\nflow F {\n  input request: string\n  step a: Intake { prompt: "${upper(input.request)}" timeout: 30s }\n  let n = len(a.output)\n}\n';
    const { document } = await checkText(text);
    const provider = services.Baton.lsp.SemanticTokenProvider!;
    const result = await provider.semanticHighlight(document, { textDocument: { uri: document.uri.toString() } });
    const names = Object.fromEntries(Object.entries(provider.tokenTypes).map(([name, index]) => [index, name]));
    // decode LSP's relative encoding: [deltaLine, deltaStart, length, type, modifiers]*
    const tokens: string[] = [];
    let line = 0;
    let start = 0;
    for (let i = 0; i < result.data.length; i += 5) {
      const [dl, ds, len, type] = result.data.slice(i, i + 4);
      line += dl;
      start = dl === 0 ? start + ds : ds;
      const lineText = text.split('\n')[line];
      tokens.push(`${lineText.slice(start, start + len)}:${names[type]}`);
    }
    assert.deepEqual(tokens, [
      'Intake:class',
      'F:function',
      'request:parameter',
      'a:variable',
      'Intake:class',
      'upper:function',
      'request:parameter',
      '30s:number',
      'n:variable',
      'len:function',
      'a:variable',
    ]);
  });

  it('a region name is a namespace, where declared and after cancel/complete; a cancelled step a variable', async () => {
    const text = 'agent W { stub: "ok" }\nflow F {\n  region r {\n    parallel {\n      step a: W\n      cancel a\n    }\n    complete r\n  }\n}\n';
    const tokens = await tokensOf(text);
    assert.deepEqual(tokens.filter((t) => /^(r|a):/.test(t)), ['r:namespace', 'a:variable', 'a:variable', 'r:namespace']);
  });
});

describe('language server: semantic tokens under concurrent requests', () => {
  // Langium yields to the event loop every 10 ms while it walks the tree; 0 makes it yield at every node,
  // so requests in flight interleave on any file, as they do on a large one in an editor.
  before(() => setInterruptionPeriod(0));
  after(() => setInterruptionPeriod(10));

  it('answers each of two full requests and a range request in flight at once exactly as it answers them one at a time', async () => {
    const { document } = await checkText(generateFlow(60));
    const provider = services.Baton.lsp.SemanticTokenProvider!;
    const textDocument = { uri: document.uri.toString() };
    const range = { start: { line: 80, character: 0 }, end: { line: 120, character: 0 } };
    const token = () => new CancellationTokenSource().token;
    const full = await provider.semanticHighlight(document, { textDocument }, token());
    const ranged = await provider.semanticHighlightRange(document, { textDocument, range }, token());
    assert.ok(full.data.length / 5 > 180 && ranged.data.length / 5 > 10 && ranged.data.length < full.data.length, `a real workload: ${full.data.length / 5} and ${ranged.data.length / 5} tokens`);
    const [a, b, c] = await Promise.all([
      provider.semanticHighlight(document, { textDocument }, token()),
      provider.semanticHighlight(document, { textDocument }, token()),
      provider.semanticHighlightRange(document, { textDocument, range }, token()),
    ]);
    assert.deepEqual(a.data, full.data);
    assert.deepEqual(b.data, full.data);
    assert.deepEqual(c.data, ranged.data);
  });
});
