import assert from 'node:assert/strict';
import { checkText, services } from '../helpers.js';

async function helpAt(textWithCursor: string) {
  const offset = textWithCursor.indexOf('<|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text);
  return services.Baton.lsp.SignatureHelp!.provideSignatureHelp(document, {
    textDocument: { uri: document.uri.toString() },
    position: document.textDocument.positionAt(offset),
  });
}

describe('language server: signature help', () => {
  it('shows the signature of the call around the cursor and the parameter being written', async () => {
    const first = await helpAt('flow F {\n  let a = join(<|>\n}');
    assert.equal(first?.signatures[0].label, 'join(items: any[], separator?: string) → string');
    assert.equal(first?.activeParameter, 0);
    const second = await helpAt('flow F {\n  let a = join(["x"], <|>)\n}');
    assert.equal(second?.activeParameter, 1);
    const typing = await helpAt('flow F {\n  let a = replace(json({ a: 1, b: [2, 3] }), <|>\n}');
    assert.equal(typing?.signatures[0].label.split('(')[0], 'replace');
    assert.equal(typing?.activeParameter, 1, 'commas inside the record and list are not counted');
  });

  it('in nested calls, the innermost call around the cursor wins', async () => {
    const help = await helpAt('flow F {\n  let a = upper(replace("abc", <|>"b", "c"))\n}');
    assert.equal(help?.signatures[0].label, 'replace(text: string, search: string, replacement: string) → string');
    assert.equal(help?.activeParameter, 1);
  });

  it('outside any call there is none', async () => {
    assert.equal(await helpAt('flow F {\n  let a = <|>1\n}'), undefined);
  });
});
