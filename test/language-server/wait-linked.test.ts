import assert from 'node:assert/strict';
import { DocumentState, EmptyFileSystem, URI } from 'langium';
import { CancellationTokenSource } from 'vscode-languageserver';
import { createBatonServices } from '../../language/src/index.js';
import { compileFlows } from '../../packages/language-server/src/baton-flows-request.js';
import { ensureDocument, waitUntilLinked } from '../../packages/language-server/src/baton-wait-linked.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { flowTestsOf } from '../../language/src/index.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { NormalizedTextDocuments } from 'langium/lsp';

const TEXT = 'agent A { stub: "a" }\nflow F {\n  step a: A { prompt: "hi" }\n}\n';

describe('custom requests wait for linking, but not forever', function () {
  this.timeout(20_000);

  it('answers at once for a linked document', async () => {
    const { shared, Baton } = createBatonServices(EmptyFileSystem);
    const document = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('file:///w/linked.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    const builds: string[] = [];
    shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Parsed, (documents) => {
      builds.push(...documents.map((d) => d.uri.path));
    });
    await waitUntilLinked(shared, document.uri, new CancellationTokenSource().token);
    assert.deepEqual(builds, [], 'nothing is built again');
    assert.equal(compileFlows(document, [document], Baton)[0]?.name, 'F');
  });

  it('builds a document no build is coming for, and answers from it linked (never resolving references before its scopes)', async () => {
    const { shared, Baton } = createBatonServices(EmptyFileSystem);
    const document = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('file:///w/stuck.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    assert.ok(document.state < DocumentState.Linked, 'the document is only parsed: no build is coming');
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      await waitUntilLinked(shared, document.uri, new CancellationTokenSource().token);
      assert.ok(document.state >= DocumentState.Linked, `linked: state ${DocumentState[document.state]}`);
      const flows = compileFlows(document, [document], Baton);
      assert.deepEqual(flows.map((f) => [f.name, f.nodes.map((n) => n.id)]), [['F', ['F/a']]]);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
  });

  it('a request right after an edit waits for the linking of the new text, not the old linked one', async () => {
    const { shared, Baton } = createBatonServices(EmptyFileSystem);
    const uri = URI.parse('file:///w/edited.flow');
    const textDocuments = shared.workspace.TextDocuments as NormalizedTextDocuments<TextDocument>;
    textDocuments.set(TextDocument.create(uri.toString(), 'baton', 1, TEXT));
    const document = shared.workspace.LangiumDocumentFactory.fromString(TEXT, uri);
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document]);
    assert.ok(document.state >= DocumentState.Linked, 'linked from the old text');
    // the editor has the new text; the server's update has not run yet (a build in progress holds the lock)
    const edited = TEXT.replace('step a: A { prompt: "hi" }', 'step a: A { prompt: "hi" }\n  step b: A { prompt: "again" }');
    textDocuments.set(TextDocument.create(uri.toString(), 'baton', 2, edited));
    const waiting = waitUntilLinked(shared, uri, new CancellationTokenSource().token).then(() => compileFlows(document, [document], Baton)[0]?.nodes.map((n) => n.id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await shared.workspace.DocumentBuilder.update([uri], []);
    assert.deepEqual(await waiting, ['F/a', 'F/b'], 'answered from the new text');
  });

  it('rejects when the request is cancelled', async () => {
    const { shared } = createBatonServices(EmptyFileSystem);
    const document = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('file:///w/cancelled.flow'));
    shared.workspace.LangiumDocuments.addDocument(document);
    const source = new CancellationTokenSource();
    const waiting = waitUntilLinked(shared, document.uri, source.token);
    source.cancel();
    await assert.rejects(waiting);
  });

  it('a .flow file written to disk before the server heard of it is loaded and built when asked about', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-ensure-'));
    try {
      const { shared } = createBatonServices(NodeFileSystem);
      const file = path.join(dir, 'hello.flow');
      writeFileSync(file, `${TEXT}test "greets" {\n  run F\n  expect a.status == "succeeded"\n}\n`);
      const uri = URI.file(file);
      assert.equal(shared.workspace.LangiumDocuments.hasDocument(uri), false, 'no watched-file notification came');
      assert.equal(await ensureDocument(shared, uri), true);
      const document = shared.workspace.LangiumDocuments.getDocument(uri)!;
      assert.ok(document.state >= DocumentState.Validated, `built as a watched-file change would (state ${document.state})`);
      assert.deepEqual(flowTestsOf(document).map((t) => t.name), ['greets']);
      assert.equal(await ensureDocument(shared, URI.file(path.join(dir, 'missing.flow'))), false, 'a missing file');
      writeFileSync(path.join(dir, 'notes.txt'), 'not a flow');
      assert.equal(await ensureDocument(shared, URI.file(path.join(dir, 'notes.txt'))), false, 'a file no language handles');
      assert.equal(shared.workspace.LangiumDocuments.all.count(), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
