import assert from 'node:assert/strict';
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createBatonServices } from '../../language/src/index.js';
import { collectGarbageWhenIdle } from '../../packages/language-server/src/baton-idle-gc.js';

const TEXT = 'agent A { stub: "a" }\nflow F {\n  step a: A { prompt: "hi" }\n}\n';

/** A stand-in for Node's `gc`: records `minor` or `major` per call. */
function recordingGc(): { gc: NodeJS.GCFunction; calls: string[] } {
  const calls: string[] = [];
  const gc = ((options?: { type?: string }) => {
    calls.push(options?.type === 'minor' ? 'minor' : 'major');
  }) as NodeJS.GCFunction;
  return { gc, calls };
}

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(done(), what);
}

const uri = URI.parse('file:///w/idle.flow');

/** Services with `TEXT` open in the editor (as the language server's text documents). */
function openDocument(): { shared: ReturnType<typeof createBatonServices>['shared']; document: LangiumDocument } {
  const { shared } = createBatonServices(EmptyFileSystem);
  shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', 1, TEXT));
  const document = shared.workspace.LangiumDocumentFactory.fromTextDocument(shared.workspace.TextDocuments!.get(uri.toString())!);
  shared.workspace.LangiumDocuments.addDocument(document);
  return { shared, document };
}

describe('the language server collects garbage once idle', function () {
  this.timeout(30_000);

  it('after a build: a scavenge, then a full collection (once)', async () => {
    const { shared, document } = openDocument();
    const { gc, calls } = recordingGc();
    collectGarbageWhenIdle(shared, gc, { minorAfterMs: 20, majorAfterMs: 60 });
    assert.deepEqual(calls, []);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    await until(() => calls.length >= 2, 'both collections ran');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(calls, ['minor', 'major']);
  });

  it('an update before the full collection puts it off until after the next build', async () => {
    const { shared, document } = openDocument();
    const { gc, calls } = recordingGc();
    collectGarbageWhenIdle(shared, gc, { minorAfterMs: 20, majorAfterMs: 2_000 });
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    await until(() => calls.length === 1, 'the scavenge ran');
    // an edit: the document builder's update (as the language server's didChange)
    shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', 2, TEXT.replace('"hi"', '"hello"')));
    await shared.workspace.DocumentBuilder.update([uri], []);
    assert.ok(document.textDocument.getText().includes('"hello"'), 'the edit was built');
    await until(() => calls.length >= 3, 'the collections after the second build ran');
    assert.deepEqual(calls, ['minor', 'minor', 'major'], 'the first build\'s full collection never ran');
  });
});
