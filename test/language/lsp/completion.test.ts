import assert from 'node:assert/strict';
import type { CompletionItem } from 'vscode-languageserver-types';
import { checkText, services } from '../helpers.js';

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
    assert.deepEqual([...items].sort(), ['compensate', 'input', 'max_tokens', 'on', 'prompt', 'retry', 'temperature', 'timeout', 'when']);
  });

  it('where a step names its target, offers agents and flows in scope', async () => {
    const items = await labels(`${AGENTS}flow F {\n  step a: <|>\n}`);
    assert.ok(items.includes('Intake') && items.includes('Notifier') && items.includes('F'));
  });
});
