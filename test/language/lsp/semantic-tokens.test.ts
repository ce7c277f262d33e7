import assert from 'node:assert/strict';
import { checkText, services } from '../helpers.js';

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
});
