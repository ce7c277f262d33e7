import assert from 'node:assert/strict';
import { SymbolKind, type DocumentSymbol, type Hover } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TestWorkspace } from './workspace-helpers.js';

const EVENTS = `/** The bank confirmed a payment. */
event "payment.received" {
  data: { order_id: string, amount: number }
  buffer: 2d max 5
}
event "door.open" { buffer: none }
`;

const MAIN = `import "./events.flow"
agent Ledger { instructions: "Book it." stub: "ok" }
flow Order {
  input order_id: string
  wait event "payment.rec<|>eived" as pay<|>ment where <|>order_id == input.order_id timeout 3d on timeout {
    fail "late"
  }
  step book: Ledger { prompt: "Book \${payment.<|>data.amount} \${payment.data.<|>}" }
}
`;

async function workspace(main = MAIN): Promise<TestWorkspace> {
  return TestWorkspace.of({ 'events.flow': EVENTS, 'main.flow': main });
}

describe('language server: typed events (completion, hover, definition, references, outline, formatting)', () => {
  it('completes the declared data fields after `payment.data.`, `data`/`status`/`at` after `payment.`, and the data fields after `where`', async () => {
    const ws = await workspace();
    const complete = async (i: number) => ((await ws.services.Baton.lsp.CompletionProvider!.getCompletion(ws.document('main.flow'), ws.cursor('main.flow', i)))?.items ?? []).map((c) => [c.label, c.detail]);
    assert.deepEqual(await complete(4), [['order_id', 'string'], ['amount', 'number']]);
    assert.deepEqual((await complete(3)).map(([label]) => label), ['data', 'status', 'at']);
    assert.deepEqual((await complete(2)).filter(([, detail]) => detail !== undefined), [['order_id', 'string'], ['amount', 'number']]);
  });

  it('completes the declared event names inside `wait event "`, from the file and its imports', async () => {
    const ws = await TestWorkspace.of({ 'events.flow': EVENTS, 'main.flow': 'import "./events.flow"\nflow F {\n  wait event "pay<|>\n}\n' });
    const list = await ws.services.Baton.lsp.CompletionProvider!.getCompletion(ws.document('main.flow'), ws.cursor('main.flow', 0));
    assert.deepEqual(list?.items.map((i) => [i.label, i.detail, i.textEdit && 'range' in i.textEdit ? i.textEdit.range.start.character : -1]), [
      ['payment.received', 'event: { order_id: string, amount: number }', 14],
      ['door.open', 'event: any', 14],
    ]);
  });

  it('hover on the event name shows its declaration (doc, data, buffer); on the wait\'s name, what it reads', async () => {
    const ws = await workspace();
    const hover = async (i: number) => ((await ws.services.Baton.lsp.HoverProvider!.getHoverContent(ws.document('main.flow'), ws.cursor('main.flow', i))) as Hover | undefined)?.contents as { value: string } | undefined;
    assert.equal((await hover(0))?.value, '**event** "payment.received"  \ndata: `{ order_id: string, amount: number }`  \nbuffer: kept 2d, at most 5 per run, until a wait takes it\n\n---\n\nThe bank confirmed a payment.');
    assert.equal((await hover(1))?.value, '**event wait** `payment` — event "payment.received"  \nreads: `{ data: { order_id: string, amount: number }, status: "received" | "timeout" | "waiting" | "skipped", at: string | null }`');
  });

  it('go to definition on the event name leads to its declaration in the imported file; references list every wait for it', async () => {
    const ws = await workspace();
    const links = (await ws.services.Baton.lsp.DefinitionProvider!.getDefinition(ws.document('main.flow'), ws.cursor('main.flow', 0))) ?? [];
    assert.deepEqual(links.map((l) => ws.spot({ uri: l.targetUri, range: l.targetSelectionRange })), ['events.flow:1:6-1:24 "payment.received"']);
    const refs = await ws.services.Baton.lsp.ReferencesProvider!.findReferences(ws.document('main.flow'), { ...ws.cursor('main.flow', 0), context: { includeDeclaration: true } });
    assert.deepEqual(refs.map((l) => ws.spot(l)).sort(), ['events.flow:1:7-1:23 payment.received', 'main.flow:4:14-4:30 payment.received']);
  });

  it('the outline shows event declarations and named waits with their on timeout arm', async () => {
    const ws = await workspace();
    const symbols = (await ws.services.Baton.lsp.DocumentSymbolProvider!.getSymbols(ws.document('events.flow'), { textDocument: { uri: ws.document('events.flow').uri.toString() } })) as DocumentSymbol[];
    assert.deepEqual(symbols.map((s) => [s.name, s.kind, s.detail]), [['payment.received', SymbolKind.Event, 'event: { order_id: string, amount: number }'], ['door.open', SymbolKind.Event, 'event']]);
    const main = (await ws.services.Baton.lsp.DocumentSymbolProvider!.getSymbols(ws.document('main.flow'), { textDocument: { uri: ws.document('main.flow').uri.toString() } })) as DocumentSymbol[];
    const wait = main.find((s) => s.name === 'Order')?.children?.find((s) => s.name === 'payment');
    assert.deepEqual([wait?.kind, wait?.detail, wait?.children?.map((c) => c.name)], [SymbolKind.Event, 'event "payment.received"', ['on timeout']]);
  });

  it('formats declarations and waits to one layout, and formatting again changes nothing', async () => {
    const messy = 'event   "x"{data:{ id : string }  buffer:1d   max 3}\nflow F {\ninput id: string\nwait   event "x"  as   got where  id  ==  input.id   timeout  2d   on   timeout{\nfail "late"\n}\n}\n';
    const format = async (text: string): Promise<string> => {
      const ws = await TestWorkspace.of({ 'f.flow': text });
      const document = ws.document('f.flow');
      const edits = await ws.services.Baton.lsp.Formatter!.formatDocument(document, { textDocument: { uri: document.uri.toString() }, options: { tabSize: 2, insertSpaces: true } });
      return TextDocument.applyEdits(TextDocument.create('file:///x.flow', 'baton', 1, text), edits);
    };
    const once = await format(messy);
    assert.equal(once, 'event "x" { data: { id: string } buffer: 1d max 3 }\nflow F {\n  input id: string\n  wait event "x" as got where id == input.id timeout 2d on timeout {\n    fail "late"\n  }\n}\n');
    assert.equal(await format(once), once);
  });

  it('renames an event at a wait: the declaration and every wait for it, inside the quotes; a bad event name is refused', async () => {
    const ws = await workspace();
    const params = { ...ws.cursor('main.flow', 0), newName: 'payment.settled' };
    const edit = await ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), params);
    const spots = Object.entries(edit?.changes ?? {}).flatMap(([uri, edits]) => edits.map((e) => `${ws.spot({ uri, range: e.range })} → ${e.newText}`)).sort();
    assert.deepEqual(spots, ['events.flow:1:7-1:23 payment.received → payment.settled', 'main.flow:4:14-4:30 payment.received → payment.settled']);
    await assert.rejects(async () => ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), { ...params, newName: 'pay ment' }), /"pay ment" is not a valid event name/);
    await assert.rejects(async () => ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), { ...params, newName: 'door.open' }), /"door.open" is already the name of an event/);
  });

  it('renames a named wait and its reads; a name another step has is refused', async () => {
    const ws = await workspace();
    const edit = await ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 1), newName: 'paid' });
    const spots = (edit?.changes?.[ws.document('main.flow').uri.toString()] ?? []).map((e) => `${ws.spot({ uri: ws.document('main.flow').uri.toString(), range: e.range })} → ${e.newText}`);
    assert.deepEqual(spots, ['main.flow:4:35-4:42 payment → paid', 'main.flow:7:38-7:45 payment → paid', 'main.flow:7:61-7:68 payment → paid']);
    await assert.rejects(async () => ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 1), newName: 'book' }), /`book` is already the name of a step of flow `Order`/);
  });
});
