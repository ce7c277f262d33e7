import assert from 'node:assert/strict';
import { EmptyFileSystem, URI } from 'langium';
import type { CodeLens } from 'vscode-languageserver-types';
import { createBatonServices, flowTestsOf } from '../../../language/src/index.js';
import { checkText, services } from '../helpers.js';
import { compileFlows } from '../../../packages/language-server/src/baton-flows-request.js';

const TEXT = `agent A { stub: { n: 1 } output: { n: number } }
/** The main flow. */
flow Main {
  output n: number
  step s: A
  set output.n = s.output.n
}
flow Other { step t: A }
test "n is one" {
  flow: Main
  expect: output.n == 1
}
test "other runs" { flow: Other }
`;

/** A lens as the test pins it: `[line, startCharacter, endCharacter]` (0-based), title, command, arguments. */
function pin(lenses: CodeLens[] | undefined): [number, number, number, string, string, unknown[]][] {
  return (lenses ?? []).map((l) => [l.range.start.line, l.range.start.character, l.range.end.character, l.command!.title, l.command!.command, l.command!.arguments ?? []]);
}

describe('language server: CodeLens and the baton/tests request', () => {
  // The lenses name the VS Code extension's commands: they are offered to a client that says it runs them.
  before(() => services.Baton.baton.ClientOptions.read({ runCommands: true }));
  after(() => services.Baton.baton.ClientOptions.read({}));

  it('puts Run and Run with inputs… over each flow name and Run test over each test name, with [uri, name]', async () => {
    const { document } = await checkText(TEXT);
    const uri = document.uri.toString();
    const lenses = await services.Baton.lsp.CodeLensProvider!.provideCodeLens(document, { textDocument: { uri } });
    assert.deepEqual(pin(lenses), [
      [2, 5, 9, 'Run', 'baton.flow.run', [uri, 'Main']],
      [2, 5, 9, 'Run with inputs…', 'baton.flow.runWithInputs', [uri, 'Main']],
      [7, 5, 10, 'Run', 'baton.flow.run', [uri, 'Other']],
      [7, 5, 10, 'Run with inputs…', 'baton.flow.runWithInputs', [uri, 'Other']],
      [8, 5, 15, 'Run test', 'baton.test.run', [uri, 'n is one']],
      [12, 5, 17, 'Run test', 'baton.test.run', [uri, 'other runs']],
    ]);
  });

  it('adds a Graph lens only when the client said it has the graph panel (initializationOptions.graphPanel)', async () => {
    const own = createBatonServices(EmptyFileSystem);
    own.Baton.baton.ClientOptions.read({ graphPanel: 'yes' });
    assert.equal(own.Baton.baton.ClientOptions.graphPanel, false, 'only `true` turns it on');
    own.Baton.baton.ClientOptions.read({ graphPanel: true });
    const withoutRun = own.shared.workspace.LangiumDocumentFactory.fromString('flow Main { wait 1s }\n', URI.parse('file:///graph/alone.flow'));
    own.shared.workspace.LangiumDocuments.addDocument(withoutRun);
    await own.shared.workspace.DocumentBuilder.build([withoutRun]);
    assert.deepEqual(pin(await own.Baton.lsp.CodeLensProvider!.provideCodeLens(withoutRun, { textDocument: { uri: withoutRun.uri.toString() } })).map((l) => l[3]), ['Graph'], 'without runCommands only the Graph lens');
    own.Baton.baton.ClientOptions.read({ graphPanel: true, runCommands: true });
    const document = own.shared.workspace.LangiumDocumentFactory.fromString('flow Main { wait 1s }\n', URI.parse('file:///graph/main.flow'));
    own.shared.workspace.LangiumDocuments.addDocument(document);
    await own.shared.workspace.DocumentBuilder.build([document]);
    const lenses = await own.Baton.lsp.CodeLensProvider!.provideCodeLens(document, { textDocument: { uri: document.uri.toString() } });
    assert.deepEqual(pin(lenses), [
      [0, 5, 9, 'Run', 'baton.flow.run', ['file:///graph/main.flow', 'Main']],
      [0, 5, 9, 'Run with inputs…', 'baton.flow.runWithInputs', ['file:///graph/main.flow', 'Main']],
      [0, 5, 9, 'Graph', 'baton.graph.open', ['file:///graph/main.flow', 'Main']],
    ]);
  });

  it('lists each test with its flow, block range and name range', async () => {
    const { document } = await checkText(TEXT);
    assert.deepEqual(flowTestsOf(document), [
      { name: 'n is one', flow: 'Main', range: { start: { line: 8, character: 0 }, end: { line: 11, character: 1 } }, nameRange: { start: { line: 8, character: 5 }, end: { line: 8, character: 15 } } },
      { name: 'other runs', flow: 'Other', range: { start: { line: 12, character: 0 }, end: { line: 12, character: 33 } }, nameRange: { start: { line: 12, character: 5 }, end: { line: 12, character: 17 } } },
    ]);
  });

  it('keeps listing the tests (and their lenses) while the file has a parse error elsewhere', async () => {
    const broken = TEXT.replace('  step t: A }', '  step t: A {{ }').replace('expect: output.n == 1', 'expect: output.n ==');
    const { document, diagnostics } = await checkText(broken);
    assert.ok(diagnostics.some((d) => d.severity === 1), 'the file has errors');
    assert.deepEqual(flowTestsOf(document).map((t) => [t.name, t.flow, t.nameRange.start.line]), [
      ['n is one', 'Main', 8],
      ['other runs', 'Other', 12],
    ]);
    const lenses = await services.Baton.lsp.CodeLensProvider!.provideCodeLens(document, { textDocument: { uri: document.uri.toString() } });
    assert.deepEqual(pin(lenses).filter((l) => l[4] === 'baton.test.run').map((l) => l[5][1]), ['n is one', 'other runs']);
  });

  it('lists a test without a flow yet with an empty flow, and a file without tests as []', async () => {
    const { document } = await checkText('test "draft" {\n}\n');
    assert.deepEqual(flowTestsOf(document).map((t) => [t.name, t.flow]), [['draft', '']]);
    assert.deepEqual(flowTestsOf((await checkText('flow F { wait 1s }\n')).document), []);
  });

  it('lists a test whose `flow:` has no flow name yet (parser recovery left the reference out) instead of failing the CodeLens request', async () => {
    // found by the LSP fuzzer (seed 1102967307): `flow:é== …` parses to a TestFlowProperty without `flow`
    for (const source of ['test "t" {\n  flow:é== 1\n}\n', 'test "t" { flow: }\n']) {
      const { document } = await checkText(source);
      assert.deepEqual(flowTestsOf(document).map((t) => [t.name, t.flow]), [['t', '']], source);
      const lenses = await services.Baton.lsp.CodeLensProvider!.provideCodeLens(document, { textDocument: { uri: document.uri.toString() } });
      assert.deepEqual(pin(lenses).map((l) => l[5][1]), ['t'], source);
    }
  });

  it('still lists the flows of a file whose half-typed test has no flow or stub agent name yet (the IR builder skips the missing reference)', async () => {
    const { document } = await checkText('agent A { stub: { n: 1 } output: { n: number } }\nflow Main { step s: A }\ntest "t" {\n  flow:\n}\ntest "u" {\n  stub : { n: 2 }\n}\n');
    assert.deepEqual(compileFlows(document, [document], services.Baton).map((f) => f.name), ['Main']);
  });
});
