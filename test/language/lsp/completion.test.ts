import assert from 'node:assert/strict';
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type TextEdit } from 'vscode-languageserver-types';
import { checkText, services } from '../helpers.js';
import { TestWorkspace } from './workspace-helpers.js';

/** The completion labels at `<|>` (the marker is removed from the text). */
async function completeAt(textWithCursor: string): Promise<CompletionItem[]> {
  const offset = textWithCursor.indexOf('<|>');
  assert.ok(offset >= 0, 'the text marks the cursor with <|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text);
  const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, {
    textDocument: { uri: document.uri.toString() },
    position: document.textDocument.positionAt(offset),
  });
  return list?.items ?? [];
}
const labels = async (text: string): Promise<string[]> => (await completeAt(text)).map((i) => i.label);

const AGENTS = `agent Intake {
  model: "openai/gpt-4o-mini"
  output: { severity: "LOW" | "HIGH", systems: { name: string, rows: number }[] }
  stub: { severity: "LOW", systems: [] }
}
agent Notifier { instructions: "Send it." stub: "sent" }
`;

describe('language server: completion', () => {
  it('in a document nested too deep for the parser, answers an empty list (not a stack overflow) at any cursor', async () => {
    const deep = `flow F {\n  let x = ${'('.repeat(400)}1${')'.repeat(400)}\n  let y = <|>\n}`;
    assert.deepEqual(await labels(deep), []);
    const unclosed = `flow F {\n  let x = ${'('.repeat(400)}<|>`;
    assert.deepEqual(await labels(unclosed), []);
  });

  it("offers the fields of a step's output type after `step.output.`, with their types", async () => {
    const items = await completeAt(`${AGENTS}flow F {\n  step intake: Intake\n  let s = intake.output.<|>\n}`);
    assert.deepEqual(items.map((i) => [i.label, i.detail]), [['severity', '"LOW" | "HIGH"'], ['systems', '{ name: string, rows: number }[]']]);
  });

  it('follows lists: after `systems[0].` it offers the item fields, also inside a template and mid-word', async () => {
    assert.deepEqual(await labels(`${AGENTS}flow F {\n  step intake: Intake\n  step n: Notifier { prompt: "\${intake.output.systems[0].<|>}" }\n}`), ['name', 'rows']);
    assert.deepEqual(await labels(`${AGENTS}flow F {\n  step intake: Intake\n  let s = intake.output.sev<|>\n}`), ['severity']);
  });

  it('after a step name and a dot, offers what a step reads as', async () => {
    assert.deepEqual(await labels(`${AGENTS}flow F {\n  step intake: Intake\n  let s = intake.<|>\n}`), ['output', 'status', 'error', 'duration', 'tokens', 'attempts']);
  });

  it('where an expression starts, offers the names readable here and the functions — not later steps nor a sibling branch', async () => {
    const items = await labels(`${AGENTS}flow F {
  input request: string
  step first: Intake
  parallel {
    step left: Notifier
    step right: Notifier { prompt: "\${<|>}" }
  }
  step later: Notifier
}`);
    assert.ok(items.includes('first'), 'an earlier step');
    assert.ok(!items.includes('left'), 'not a sibling branch');
    assert.ok(!items.includes('right'), 'not the step being written');
    assert.ok(!items.includes('later'), 'not a later step');
    assert.ok(items.includes('input') && items.includes('len') && items.includes('join'));
    assert.ok(!items.includes('budget') && !items.includes('tokens'), 'names-only soft keywords are not proposed');
  });

  it('proposes functions with their signature, inserted as a snippet', async () => {
    const join = (await completeAt(`${AGENTS}flow F {\n  let s = <|>\n}`)).find((i) => i.label === 'join');
    assert.equal(join?.detail, 'join(items, separator?) → string');
    assert.equal(join?.insertText, 'join($1)');
  });

  it('inside a step block, offers the properties a step may have', async () => {
    const items = await labels(`${AGENTS}flow F {\n  step a: Intake {\n    <|>\n  }\n}`);
    assert.deepEqual([...items].sort(), ['compensate', 'generate', 'input', 'max_tokens', 'on', 'prompt', 'retry', 'temperature', 'timeout', 'when']);
  });

  it('where a step names its target, offers agents and flows in scope', async () => {
    const items = await labels(`${AGENTS}flow F {\n  step a: <|>\n}`);
    assert.ok(items.includes('Intake') && items.includes('Notifier') && items.includes('F'));
  });
});

describe('language server: completion across files', () => {
  const complete = async (ws: TestWorkspace, file: string, i = 0, triggerCharacter?: string) =>
    (await ws.services.Baton.lsp.CompletionProvider!.getCompletion(ws.document(file), { ...ws.cursor(file, i), context: triggerCharacter ? { triggerKind: 2, triggerCharacter } : undefined }))?.items ?? [];

  it('offers the agents and flows of imported files (transitively) where a step names its target, and types where a type goes — not those of a file not imported', async () => {
    const ws = await TestWorkspace.of({
      'agents/common.flow': 'import "./base.flow"\nagent Notifier { stub: "x" }\ntype Level = "LOW" | "HIGH"\nflow Sub {\n  input who: string\n}\n',
      'agents/base.flow': 'agent Pager { stub: "p" }\n',
      'other.flow': 'agent Hidden { stub: "h" }\ntype Secret = string\n',
      'main.flow': 'import "./agents/common.flow"\nflow Main {\n  input level: <|>\n  step a: <|>\n}\n',
    });
    assert.deepEqual((await complete(ws, 'main.flow', 0)).map((i) => i.label), ['string', 'number', 'boolean', 'any', 'Level']);
    assert.deepEqual((await complete(ws, 'main.flow', 1)).map((i) => [i.label, i.kind]).sort(), [['Main', CompletionItemKind.Function], ['Notifier', CompletionItemKind.Class], ['Pager', CompletionItemKind.Class], ['Sub', CompletionItemKind.Function], ['run', CompletionItemKind.Keyword]]);
  });

  it('offers the flow\'s inputs after `input.`, in a flow and in a test of that flow', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': 'flow F {\n  input request: string\n  input level: number = 1\n  output o: string\n  let v = input.<|>\n}\ntest "t" { flow: F expect: input.<|> }\n',
    });
    assert.deepEqual((await complete(ws, 'main.flow', 0, '.')).map((i) => [i.label, i.kind]), [['request', CompletionItemKind.Property], ['level', CompletionItemKind.Property]]);
    assert.deepEqual((await complete(ws, 'main.flow', 1)).map((i) => i.label), ['request', 'level']);
  });

  it('inside `import "`, offers the other .flow files not imported yet, relative to the file, replacing the text between the quotes', async () => {
    const ws = await TestWorkspace.of({
      'flows/main.flow': 'import "../agents/common.flow"\nimport "./<|>"\nimport "../ag<|>\n',
      'flows/sibling.flow': '',
      'agents/common.flow': '',
      'agents/more.flow': '',
    });
    const items = await complete(ws, 'flows/main.flow', 0, '/');
    assert.deepEqual(items.map((i) => [i.label, i.kind, JSON.stringify(i.textEdit)]), [
      ['../agents/more.flow', CompletionItemKind.File, JSON.stringify({ range: { start: { line: 1, character: 8 }, end: { line: 1, character: 10 } }, newText: '../agents/more.flow' })],
      ['./sibling.flow', CompletionItemKind.File, JSON.stringify({ range: { start: { line: 1, character: 8 }, end: { line: 1, character: 10 } }, newText: './sibling.flow' })],
    ]);
    const unterminated = await complete(ws, 'flows/main.flow', 1);
    assert.deepEqual(unterminated.map((i) => [i.label, JSON.stringify((i.textEdit as TextEdit | undefined)?.range)]), [
      ['../agents/more.flow', JSON.stringify({ start: { line: 2, character: 8 }, end: { line: 2, character: 13 } })],
      ['./sibling.flow', JSON.stringify({ start: { line: 2, character: 8 }, end: { line: 2, character: 13 } })],
    ]);
  });

  it('a quote or a slash typed outside an import opens no completion', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': 'agent A { stub: "x" }\nflow F {\n  step a: A { prompt: "<|>" }\n}\n' });
    assert.deepEqual(await complete(ws, 'main.flow', 0, '"'), []);
  });

  it('offers keyword snippets only where the keyword is valid: declarations at the top level, statements in a flow, none in a step block', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': '<|>\nagent A { stub: "x" }\nflow F {\n  <|>\n  step a: A {\n    <|>\n  }\n}\n' });
    const snippets = async (i: number) => (await complete(ws, 'main.flow', i)).filter((item) => item.kind === CompletionItemKind.Snippet).map((item) => item.label);
    assert.deepEqual(await snippets(0), ['agent …', 'flow …', 'test …']);
    assert.deepEqual(await snippets(1), ['step …', 'if …', 'parallel …', 'foreach …', 'approval …', 'lock …', 'region …']);
    assert.deepEqual(await snippets(2), []);
    const step = (await complete(ws, 'main.flow', 1)).find((i) => i.label === 'step …');
    assert.equal(step?.insertText, 'step ${1:name}: ${2:Agent} {\n  prompt: "$3"\n}');
    assert.equal(step?.insertTextFormat, InsertTextFormat.Snippet);
  });

  it('offers no keyword snippets to a client that contributes its own (initializationOptions keywordSnippets: false), the keywords still', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': 'agent A { stub: "x" }\nflow F {\n  <|>\n}\n' });
    ws.services.Baton.baton.ClientOptions.read({ keywordSnippets: false });
    const items = await complete(ws, 'main.flow', 0);
    assert.deepEqual(items.filter((item) => item.kind === CompletionItemKind.Snippet).map((item) => item.label), []);
    assert.ok(items.some((item) => item.label === 'step' && item.kind === CompletionItemKind.Keyword), 'the keyword `step` is still offered');
  });
});
