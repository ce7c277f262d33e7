import assert from 'node:assert/strict';
import { DocumentState, EmptyFileSystem, isOperationCancelled, URI, type LangiumDocument } from 'langium';
import { CancellationTokenSource } from 'vscode-languageserver';
import { createBatonServices, IssueCodes } from '../../language/src/index.js';

/** Fresh services (these tests make their checker throw) and a helper that builds texts together. */
function servicesWithHostileChecker() {
  const services = createBatonServices(EmptyFileSystem);
  // the next checker defect: a recursive walk that overflows the stack on one file (here: in scope computation)
  const scopes = services.Baton.references.ScopeComputation;
  const collect = scopes.collectLocalSymbols.bind(scopes);
  scopes.collectLocalSymbols = (document, token) => {
    if (document.textDocument.getText().includes('Boom')) throw new RangeError('Maximum call stack size exceeded');
    return collect(document, token);
  };
  // and a parse that throws on one string (as deep nesting overflowed the parser's recursion)
  const converter = services.Baton.parser.ValueConverter;
  const convert = converter.convert.bind(converter);
  converter.convert = (input, cstNode) => {
    if (input.includes('PARSER-BOOM')) throw new RangeError('Maximum call stack size exceeded');
    return convert(input, cstNode);
  };
  let n = 0;
  const build = async (...texts: string[]): Promise<LangiumDocument[]> => {
    const documents = texts.map((text) => {
      const document = services.shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///isolation/doc${n++}.flow`));
      services.shared.workspace.LangiumDocuments.addDocument(document);
      return document;
    });
    await services.shared.workspace.DocumentBuilder.build(documents, { validation: true });
    return documents;
  };
  return { services, build };
}

const GOOD = 'flow Fine {\n  step a: Missing\n}\n';

function summary(document: LangiumDocument): string[] {
  return (document.diagnostics ?? []).map((d) => `${d.range.start.line}:${d.range.start.character} ${String(d.code)}: ${d.message}`);
}

describe('a document the checker fails on is isolated', () => {
  it('a build phase that throws gives its document one check-failed diagnostic and the other documents their own', async () => {
    const { build } = servicesWithHostileChecker();
    const [bad, good] = await build('flow Boom { wait 1s }\n', GOOD);
    assert.deepEqual((bad.diagnostics ?? []).map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character]), [['check-failed', 1, 0, 0]]);
    assert.deepEqual(summary(bad), [`0:0 ${IssueCodes.CheckFailed}: this file could not be checked: Maximum call stack size exceeded (while scoping); other files are checked as usual`]);
    assert.deepEqual(summary(good), ['1:10 unknown-agent: unknown agent or flow `Missing`']);
  });

  it('a parse that throws gives its document one check-failed diagnostic and leaves the parser working for every later file', async () => {
    const { build } = servicesWithHostileChecker();
    const [bad] = await build('flow F {\n  step a: A { prompt: "PARSER-BOOM" }\n}\n');
    assert.deepEqual(summary(bad), [`0:0 ${IssueCodes.CheckFailed}: this file could not be checked: Maximum call stack size exceeded (while parsing); other files are checked as usual`]);
    assert.equal(bad.textDocument.getText().includes('PARSER-BOOM'), true, 'the document keeps its text');
    const [good] = await build(GOOD);
    assert.deepEqual(summary(good), ['1:10 unknown-agent: unknown agent or flow `Missing`']);
  });

  it('is checked again from scratch once its text changes', async () => {
    const { services, build } = servicesWithHostileChecker();
    const [bad] = await build('flow Boom { wait 1s }\n');
    assert.equal(summary(bad).length, 1);
    const fixed = services.shared.workspace.LangiumDocumentFactory.fromString('flow Calm {\n  step a: Missing\n}\n', bad.uri);
    services.shared.workspace.LangiumDocuments.deleteDocument(bad.uri);
    services.shared.workspace.LangiumDocuments.addDocument(fixed);
    await services.shared.workspace.DocumentBuilder.build([fixed], { validation: true });
    assert.deepEqual(summary(fixed), ['1:10 unknown-agent: unknown agent or flow `Missing`']);
  });
});

describe('the document builder and requests that wait for the workspace', () => {
  it('tells a waiter that the workspace reached a state also after an update that rebuilt no document', async () => {
    const { shared } = createBatonServices(EmptyFileSystem);
    const builder = shared.workspace.DocumentBuilder;
    const update = builder.update([], [URI.parse('file:///gone/closed.flow')]);
    let reached = false;
    const waiting = builder.waitUntil(DocumentState.IndexedReferences).then(() => (reached = true));
    await update;
    await Promise.race([waiting, new Promise((resolve) => setImmediate(resolve))]);
    assert.equal(reached, true, 'the waiter was told (Langium waited for the next build with documents)');
  });

  it('tells a request waiting for a document to be linked when the build is cancelled just as the document is linked', async () => {
    // A completion request waits for its document to be linked (Langium's `waitUntil(Linked, uri)`). An edit or a
    // custom request that starts a new build cancels the running one; when that happened while the linked
    // document was being announced, Langium skipped every listener left, and the next build, finding the
    // document linked already, never announced it again: the request was never answered (LSP fuzz, seed 1103167932).
    const { shared } = createBatonServices(EmptyFileSystem);
    const builder = shared.workspace.DocumentBuilder;
    const document = shared.workspace.LangiumDocumentFactory.fromString('agent A { stub: "a" }\nflow F {\n  step a: A\n}\n', URI.parse('file:///w/cancelled.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    const build = new CancellationTokenSource();
    builder.onDocumentPhase(DocumentState.Linked, () => build.cancel()); // the next build starts as the document is linked
    let linked = false;
    const waiting = builder.waitUntil(DocumentState.Linked, document.uri).then(() => (linked = true));
    await builder.build([document], { validation: true }, build.token).catch((error: unknown) => assert.ok(isOperationCancelled(error), String(error)));
    assert.equal(document.state, DocumentState.Linked, 'the build stopped right after linking the document');
    await builder.update([], []); // the next build: the document is linked already, so it is not linked again
    assert.equal(document.state, DocumentState.Validated);
    await Promise.race([waiting, new Promise((resolve) => setImmediate(resolve))]);
    assert.equal(linked, true, 'the request waiting for the document to be linked was told');
  });

  it('tells a request that starts waiting for a workspace state while the build announces that state', async () => {
    // Langium recorded the workspace's state only after telling the listeners; a request that arrived while they
    // ran (at a turn of the event loop between them) found the state not reached yet, waited for the next
    // build, and in an idle editor was never answered (LSP fuzz: prepareRename, seed 1103167932 replayed).
    const { shared } = createBatonServices(EmptyFileSystem);
    const builder = shared.workspace.DocumentBuilder;
    const document = shared.workspace.LangiumDocumentFactory.fromString('flow F {\n  wait 1s\n}\n', URI.parse('file:///w/announced.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    let reached = false;
    let waiting: Promise<unknown> | undefined;
    builder.onBuildPhase(DocumentState.IndexedReferences, () => {
      waiting ??= builder.waitUntil(DocumentState.IndexedReferences).then(() => (reached = true)); // a rename request arrives
    });
    await builder.update([document.uri], []);
    assert.ok(waiting, 'the request started while the state was announced');
    await Promise.race([waiting, new Promise((resolve) => setImmediate(resolve))]);
    assert.equal(reached, true, 'the request waiting for the workspace state was told');
  });
});
