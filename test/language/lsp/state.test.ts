import assert from 'node:assert/strict';
import { SymbolKind, type CompletionItem, type DocumentSymbol, type Hover } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkText, services } from '../helpers.js';

/** The text with `<|>` removed, and the marker's offset. */
function cursor(textWithCursor: string): { text: string; offset: number } {
  const offset = textWithCursor.indexOf('<|>');
  assert.ok(offset >= 0, 'the text marks the cursor with <|>');
  return { text: textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3), offset };
}

async function hoverAt(textWithCursor: string): Promise<string | undefined> {
  const { text, offset } = cursor(textWithCursor);
  const { document } = await checkText(text);
  const hover = (await services.Baton.lsp.HoverProvider!.getHoverContent(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) })) as Hover | undefined;
  return (hover?.contents as { value: string } | undefined)?.value;
}

async function completeAt(textWithCursor: string): Promise<CompletionItem[]> {
  const { text, offset } = cursor(textWithCursor);
  const { document } = await checkText(text);
  const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) });
  return list?.items ?? [];
}

async function format(text: string): Promise<string> {
  const { document } = await checkText(text);
  const edits = await services.Baton.lsp.Formatter!.formatDocument(document, { textDocument: { uri: document.uri.toString() }, options: { tabSize: 2, insertSpaces: true } });
  return TextDocument.applyEdits(TextDocument.create('file:///x.flow', 'baton', 1, text), edits);
}

const AGENT = 'agent W { instructions: "Send it." stub: "ok" }\n';

describe('language server: var, set and wait until', () => {
  it('hover: a var shows its type and the lines that set it; the keywords var and until say what they do', async () => {
    const flow = `${AGENT}flow F {\n  var to<|>tal = 0\n  repeat max 3 {\n    set total = total + 1\n  } until total > 2\n}\n`;
    assert.equal(await hoverAt(flow), '**var** `total: number`  \nset on line 5');
    assert.equal(await hoverAt(flow.replace('to<|>tal', 'total').replace('set total = total + 1', 'set total = to<|>tal + 1')), '**var** `total: number`  \nset on line 5');
    assert.match((await hoverAt(`${AGENT}flow F {\n  v<|>ar total = 0\n}\n`)) ?? '', /^\*\*var\*\* — state of the block it is declared in/);
    assert.match((await hoverAt(`${AGENT}flow F {\n  var s = "a"\n  parallel {\n    set s = "b"\n    wait un<|>til s == "b"\n  }\n}\n`)) ?? '', /^\*\*wait until\*\* — a milestone/);
  });

  it('completion: after `set ` the vars in scope (not steps, let values, loop variables or vars of another branch); `until` after `wait `', async () => {
    const items = await completeAt(`${AGENT}flow F {\n  var total = 0\n  let fixed = 1\n  step a: W\n  if true {\n    var inner = 0\n  }\n  foreach i in [1] {\n    set <|>\n  }\n}\n`);
    const names = items.filter((i) => i.kind !== 14 /* keyword */).map((i) => i.label);
    assert.deepEqual(names, ['total']);
    assert.ok(items.some((i) => i.label === 'output'), 'set output.… is offered too');
    const waits = (await completeAt(`${AGENT}flow F {\n  wait <|>\n}\n`)).map((i) => i.label);
    assert.ok(waits.includes('until') && waits.includes('event'), waits.join(', '));
  });

  it('outline: a var is a variable, wait until a block with its on timeout', async () => {
    const { document } = await checkText(`${AGENT}flow F {\n  var stage = "new"\n  parallel {\n    set stage = "x"\n    wait until stage == "x" timeout 1h on timeout {\n      step late: W\n    }\n  }\n}\n`);
    const symbols = (await services.Baton.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: { uri: document.uri.toString() } })) as DocumentSymbol[];
    const flow = symbols.find((s) => s.name === 'F')!;
    const tree = (list: DocumentSymbol[]): unknown[] => list.map((s) => (s.children?.length ? [s.name, tree(s.children)] : s.name));
    assert.deepEqual(tree(flow.children!), ['stage', ['parallel', [['wait until stage == "x"', [['on timeout', ['late']]]]]]]);
    assert.equal(flow.children![0].kind, SymbolKind.Variable);
    assert.equal(flow.children![0].detail, 'var');
  });

  it('formatting lays them out like the other statements, and formatting twice changes nothing', async () => {
    const messy = `${AGENT}flow F {\nvar   total:number=0\nparallel {\nset total = total + 1\nwait until total > 0 timeout 1h on   timeout{\nstep late: W\n}\n}\n}\n`;
    const formatted = await format(messy);
    assert.equal(formatted, `${AGENT}flow F {\n  var total: number=0\n  parallel {\n    set total = total + 1\n    wait until total > 0 timeout 1h on timeout {\n      step late: W\n    }\n  }\n}\n`);
    assert.equal(await format(formatted), formatted);
  });
});
