import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LangiumDocument } from 'langium';
import { URI } from 'langium';
import { EmptyFileSystem } from 'langium';
import { BatonCompletionProvider, createBatonServices, type BatonServices } from '@baton/language';
import { completionText, reduceForCompletion, type ReducedText } from '../../../language/src/lsp/baton-completion-text.js';
import { forEachPrefix } from '../helpers.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

/** Langium's completion as it is: the whole text tokenized and re-parsed up to the cursor. */
class WholeTextCompletionProvider extends BatonCompletionProvider {
  protected override completionParseText(): ReducedText | undefined {
    return undefined;
  }
}

/** What a client sees of the items at `offset`. */
async function items(provider: BatonCompletionProvider, document: LangiumDocument, offset: number): Promise<string> {
  const list = await provider.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) });
  return JSON.stringify(list?.items ?? []);
}

async function build(text: string): Promise<{ document: LangiumDocument; Baton: BatonServices }> {
  const own = createBatonServices(EmptyFileSystem);
  const document = own.shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse('file:///completion-text/main.flow'));
  own.shared.workspace.LangiumDocuments.addDocument(document);
  await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
  return { document, Baton: own.Baton };
}

describe('language server: completion on the reduced text', () => {
  const blank = (text: string, ...parts: string[]): string => parts.reduce((t, part) => t.replace(part, ' '.repeat(part.length)), text);

  it('blanks the declarations and statements before the one at the cursor and those after it, keeping the length', async () => {
    const text = 'agent A { stub: "a" }\nagent B { stub: "b" }\nflow F {\n  step a: A\n  step b: A\n  step c: B { prompt: "${b.output}" }\n  step d: A\n}\n';
    const { document } = await build(text);
    assert.equal(completionText(document, text.indexOf('b.output')), blank(text, 'agent A { stub: "a" }', 'agent B { stub: "b" }', 'step a: A', 'step b: A', 'step d: A'));
  });

  it('gives the completion parser a compact text: each blanked run, with the whitespace between runs, shortened to one space', async () => {
    const text = 'agent A { stub: "a" }\nagent B { stub: "b" }\nflow F {\n  step a: A\n  step b: A\n  step c: B { prompt: "${b.output}" }\n  step d: A\n}\n';
    const { document } = await build(text);
    const cursor = text.indexOf('b.output');
    const reduced = reduceForCompletion(document, cursor)!;
    assert.equal(reduced.reduced, completionText(document, cursor));
    assert.equal(reduced.compact, ' \nflow F {\n   \n  step c: B { prompt: "${b.output}" }\n   \n}\n');
    // offsets of kept text map to the same characters; one inside a blanked run maps to just after its space
    for (const kept of ['flow F', 'step c', 'b.output', '}\n']) assert.equal(reduced.compact.slice(reduced.compactOffset(text.lastIndexOf(kept))).startsWith(kept), true, kept);
    assert.equal(reduced.compactOffset(text.indexOf('step a') + 2), reduced.compact.indexOf('flow F') + 'flow F {\n  '.length + 1);
  });

  it('keeps the element before the cursor when the cursor is on the first token of the next one', async () => {
    const text = 'agent A { stub: "a" }\nflow F {\n  step a: A\n  step b: A\n  step c: A\n}\n';
    const { document } = await build(text);
    // in `step` of step c: the token before the cursor is step b's last one, so b stays
    assert.equal(completionText(document, text.indexOf('step c') + 2), blank(text, 'agent A { stub: "a" }', 'step a: A'));
  });

  it('leaves a list with commas between its elements as it is', async () => {
    const text = 'agent A { stub: "a", model: "openai/x", temperature: 0.1 }\nflow F {\n  step a: A\n}\n';
    const { document } = await build(text);
    // the agent's properties keep their commas; only the flow after the cursor goes
    assert.equal(completionText(document, text.indexOf('temperature')), blank(text, 'flow F {\n  step a: A\n}'));
  });

  it('keeps every element that ends after the first parse error', async () => {
    const text = 'agent A { stub: "a" }\nflow F {\n  step a: A\n  step b: A {\n    prompt: \n  }\n  step c: A\n  step d: A { prompt: "${c.output}" }\n}\n';
    const { document } = await build(text);
    assert.ok(document.parseResult.parserErrors.length > 0);
    assert.equal(completionText(document, text.indexOf('c.output')), blank(text, 'agent A { stub: "a" }', 'step a: A'));
  });

  for (const [file, stride] of [['dispatcher.flow', 7], ['incident-saga.flow', 2]] as const) {
    it(`offers exactly the items of Langium's whole-text completion at every ${stride === 2 ? 'second' : `${stride}th`} offset of ${file}`, async function () {
      this.timeout(120_000);
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      const { document, Baton } = await build(text);
      const reduced = Baton.lsp.CompletionProvider as BatonCompletionProvider;
      const whole = new WholeTextCompletionProvider(Baton);
      for (let offset = 0; offset <= text.length; offset += stride) {
        assert.equal(await items(reduced, document, offset), await items(whole, document, offset), `at offset ${offset} (${JSON.stringify(text.slice(Math.max(0, offset - 20), offset))}|)`);
      }
    });
  }

  it("offers exactly the items of Langium's whole-text completion at the end of every prefix of an example (half-written files)", async function () {
    this.timeout(120_000);
    const text = readFileSync(path.join(EXAMPLES, 'process-orchestrator.flow'), 'utf8');
    await forEachPrefix(text, 41, async (document, length, own) => {
      const whole = new WholeTextCompletionProvider(own.Baton);
      const reduced = own.Baton.lsp.CompletionProvider as BatonCompletionProvider;
      for (const offset of [length, Math.max(0, length - 3)]) {
        assert.equal(await items(reduced, document, offset), await items(whole, document, offset), `prefix ${length}, offset ${offset}`);
      }
    });
  });
});
