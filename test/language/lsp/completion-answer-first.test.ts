import assert from 'node:assert/strict';
import { DocumentState, EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../../language/src/index.js';

const TEXT = `agent Intake {
  output: { severity: "LOW" | "HIGH", note: string }
  stub: { severity: "LOW", note: "" }
}
flow F {
  step intake: Intake
  let s = intake.output.
}
`;

describe('language server: completion is answered before the build validates', () => {
  it('a completion started when the document is linked is answered and written out before validation starts', async () => {
    const { shared, Baton } = createBatonServices(EmptyFileSystem);
    const provider = Baton.lsp.CompletionProvider!;
    const document = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('file:///answer-first/main.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    const builder = shared.workspace.DocumentBuilder;
    const events: string[] = [];
    const offset = TEXT.indexOf('output.') + 'output.'.length;
    // as the language server's handler does: the request waited for Linked, computes its answer at once, and the
    // connection writes it a turn of the event loop later
    builder.onDocumentPhase(DocumentState.Linked, (linked) => {
      void Promise.resolve(provider.getCompletion(linked, { textDocument: { uri: linked.uri.toString() }, position: linked.textDocument.positionAt(offset) })).then((list) => {
        events.push(`answered ${(list?.items ?? []).map((i) => i.label).join(',')}`);
        setImmediate(() => events.push('written'));
      });
    });
    builder.onBuildPhase(DocumentState.IndexedReferences, () => {
      events.push('validation starts');
    });
    builder.onBuildPhase(DocumentState.Validated, () => {
      events.push('validated');
    });
    await builder.build([document], { validation: true });
    // without the wait the build went on at once: validation started before the answer was written
    assert.deepEqual(events, ['answered severity,note', 'written', 'validation starts', 'validated']);
    assert.equal(document.state, DocumentState.Validated);
  });

});
