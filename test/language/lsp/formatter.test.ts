import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkText, services } from '../helpers.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

async function format(text: string, tabSize = 2): Promise<string> {
  const { document } = await checkText(text);
  const edits = await services.Baton.lsp.Formatter!.formatDocument(document, { textDocument: { uri: document.uri.toString() }, options: { tabSize, insertSpaces: true } });
  return TextDocument.applyEdits(TextDocument.create('file:///x.flow', 'baton', 1, text), edits);
}

describe('language server: formatting', () => {
  it('every example is already in the canonical layout (formatting changes nothing), the pattern examples too', async () => {
    for (const file of readdirSync(EXAMPLES, { recursive: true }).map(String).filter((f) => f.endsWith('.flow'))) {
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      assert.equal(await format(text), text, file);
    }
  });

  it('lays out an approval\'s on timeout { … } branch like any block', async () => {
    const messy = 'agent P { stub: "p" }\nflow F {\napproval ok {\nprompt: "x"\ntimeout: 1h\non   timeout{\nstep e: P\n}\n}\n}\n';
    const formatted = await format(messy);
    assert.equal(formatted, 'agent P { stub: "p" }\nflow F {\n  approval ok {\n    prompt: "x"\n    timeout: 1h\n    on timeout {\n      step e: P\n    }\n  }\n}\n');
    assert.equal(await format(formatted), formatted);
  });

  it('indents blocks, keeps one-line blocks on one line, normalises spaces, and is idempotent', async () => {
    const messy = [
      'agent   W{instructions :"x"   stub:"ok"}',
      'flow F{',
      'input kind : string',
      'step a :W{prompt:"x"}',
      '',
      '',
      '    if true{',
      '  step b: W',
      '      } else {',
      'step c: W { prompt: "y" ,timeout:5s }',
      '}',
      '  switch input.kind {',
      '  case "a","b" { step d: W }',
      '  default {',
      ' step e: W',
      '        }',
      '  }',
      '  let z = true?1 :2',
      '}',
      '',
    ].join('\n');
    const expected = [
      'agent W { instructions: "x" stub: "ok" }',
      'flow F {',
      '  input kind: string',
      '  step a: W { prompt: "x" }',
      '',
      '',
      '  if true {',
      '    step b: W',
      '  } else {',
      '    step c: W { prompt: "y", timeout: 5s }',
      '  }',
      '  switch input.kind {',
      '    case "a", "b" { step d: W }',
      '    default {',
      '      step e: W',
      '    }',
      '  }',
      '  let z = true ? 1 : 2',
      '}',
      '',
    ].join('\n');
    const once = await format(messy);
    assert.equal(once, expected);
    assert.equal(await format(once), once, 'idempotent');
  });

  it('keeps a list that goes on over several lines as written', async () => {
    const text = 'flow F {\n  let l = [\n    "a",\n    "b"\n  ]\n}\n';
    assert.equal(await format(text), text);
  });

  it('puts one space between `:` and a record type\'s `{` in one pass (formatting twice changes nothing more)', async () => {
    const formatted = await format('agent A {\n  output:{ a: number }\n  stub: { a: 1 }\n}\n');
    assert.equal(formatted, 'agent A {\n  output: { a: number }\n  stub: { a: 1 }\n}\n');
    assert.equal(await format(formatted), formatted);
  });

  it("uses the editor's tab size", async () => {
    assert.equal(await format('flow F {\nlet a = 1\n}\n', 4), 'flow F {\n    let a = 1\n}\n');
  });
});
