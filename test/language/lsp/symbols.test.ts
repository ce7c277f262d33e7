import assert from 'node:assert/strict';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver-types';
import { EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../../language/src/index.js';
import { TestWorkspace } from './workspace-helpers.js';

/** A symbol tree as indented lines: `name [kind] detail @startLine-endLine sel line:char-char`. */
function outline(symbols: DocumentSymbol[], indent = ''): string[] {
  return symbols.flatMap((s) => [
    `${indent}${s.name} [${kindName(s.kind)}]${s.detail ? ` ${s.detail}` : ''} @${s.range.start.line}-${s.range.end.line} sel ${s.selectionRange.start.line}:${s.selectionRange.start.character}-${s.selectionRange.end.character}`,
    ...outline(s.children ?? [], `${indent}  `),
  ]);
}

const kindName = (kind: number): string => Object.entries(SymbolKind).find(([, v]) => v === kind)?.[0] ?? String(kind);

const FILE = `agent Intake {
  model: "openai/gpt-4o-mini"
  stub: "x"
}
type Level = "LOW" | "HIGH"
flow F {
  input request: string
  output level: Level
  step intake: Intake
  if request == "a" {
    step a: Intake
  } else if request == "b" {
    approval ok { prompt: "?" }
  } else {
    parallel {
      step p: Intake
      let q = 1
    }
  }
  switch request {
    case "x", "y" {
      step c: Intake
    }
    default {
      wait 1s
    }
  }
  foreach item in ["a"] {
    step each: Intake
  }
  repeat max 3 {
    step r: Intake
  } until r.status == "succeeded"
}
test "runs" {
  flow: F
  input: { request: "a" }
  expect: true
}
`;

describe('language server: outline (document symbols)', () => {
  it('lists agents, types, flows and tests; a flow holds its inputs, outputs and steps nested in their blocks', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': FILE });
    const symbols = (await ws.services.Baton.lsp.DocumentSymbolProvider!.getSymbols(ws.document('main.flow'), { textDocument: { uri: ws.document('main.flow').uri.toString() } })) as DocumentSymbol[];
    assert.deepEqual(outline(symbols), [
      'Intake [Class] openai/gpt-4o-mini @0-3 sel 0:6-12',
      'Level [Interface] "LOW" | "HIGH" @4-4 sel 4:5-10',
      'F [Function] @5-33 sel 5:5-6',
      '  request [Property] input: string @6-6 sel 6:8-15',
      '  level [Field] output: Level @7-7 sel 7:9-14',
      '  intake [Method] → Intake @8-8 sel 8:7-13',
      '  if request == "a" [Namespace] @9-11 sel 9:2-4',
      '    a [Method] → Intake @10-10 sel 10:9-10',
      '  else if request == "b" [Namespace] @11-13 sel 11:9-11',
      '    ok [Event] approval @12-12 sel 12:13-15',
      '  else [Namespace] @13-18 sel 13:4-8',
      '    parallel [Namespace] @14-17 sel 14:4-12',
      '      p [Method] → Intake @15-15 sel 15:11-12',
      '      q [Variable] let @16-16 sel 16:10-11',
      '  switch request [Namespace] @19-26 sel 19:2-8',
      '    case "x", "y" [Namespace] @20-22 sel 20:4-8',
      '      c [Method] → Intake @21-21 sel 21:11-12',
      '    default [Namespace] @23-25 sel 23:4-11',
      '  foreach item in ["a"] [Namespace] @27-29 sel 27:2-9',
      '    item [Variable] loop variable @27-27 sel 27:10-14',
      '    each [Method] → Intake @28-28 sel 28:9-13',
      '  repeat until r.status == "succeeded" [Namespace] @30-32 sel 30:2-8',
      '    r [Method] → Intake @31-31 sel 31:9-10',
      'runs [Method] test @34-38 sel 34:5-11',
    ]);
  });

  it('a half-written file still has an outline: the declarations and steps the parser recovered', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': 'agent Intake { stub: "x" }\nflow F {\n  step a: Intake {{\n  step b: Intake\n  if {\n}\nflow G {\n  step c: Int' });
    const symbols = (await ws.services.Baton.lsp.DocumentSymbolProvider!.getSymbols(ws.document('main.flow'), { textDocument: { uri: ws.document('main.flow').uri.toString() } })) as DocumentSymbol[];
    const names = (list: DocumentSymbol[]): unknown[] => list.map((s) => (s.children?.length ? [s.name, names(s.children)] : s.name));
    assert.deepEqual(names(symbols), ['Intake', ['F', ['a', 'b', 'if { }']], ['G', ['c']]]);
  });

  it('asked for a document not linked yet (a file just opened), waits for its linking: no reference resolved mid-build', async () => {
    const services = createBatonServices(EmptyFileSystem);
    const { LangiumDocumentFactory, LangiumDocuments, DocumentBuilder, WorkspaceLock } = services.shared.workspace;
    const document = LangiumDocumentFactory.fromString('agent Lookup { stub: "x" }\nflow Refund { }\nagent A { stub: "x", tools: [Lookup, Refund] }\n', URI.parse('file:///ws/open.flow'));
    LangiumDocuments.addDocument(document);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      // the server builds under the workspace lock (as on didOpen); Langium answers documentSymbol from the Parsed
      // state, so the request arrives before the build links the document
      const built = WorkspaceLock.write((token) => DocumentBuilder.build([document], { validation: true }, token));
      const asked = services.Baton.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: { uri: document.uri.toString() } });
      await built;
      const symbols = (await asked) as DocumentSymbol[];
      assert.deepEqual(symbols.find((s) => s.name === 'A')?.children?.map((c) => `${c.name} (${c.detail})`), ['Lookup (tool: agent)', 'Refund (tool: flow)']);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
    // a document no build is coming for (left out of one): answered at once, without resolving references
    const alone = LangiumDocumentFactory.fromString('agent Lookup { stub: "x" }\nagent A { stub: "x", tools: [Lookup] }\n', URI.parse('file:///ws/alone.flow'));
    LangiumDocuments.addDocument(alone);
    const outline = (await services.Baton.lsp.DocumentSymbolProvider!.getSymbols(alone, { textDocument: { uri: alone.uri.toString() } })) as DocumentSymbol[];
    assert.deepEqual(outline.find((s) => s.name === 'A')?.children?.map((c) => `${c.name} (${c.detail})`), ['Lookup (tool)']);
  });
});

describe('language server: workspace symbols', () => {
  it('finds the agents, flows, types and tests of every file, with kinds and the name\'s location, filtered by the query', async () => {
    const ws = await TestWorkspace.of({
      'agents/lib.flow': 'agent Notifier { stub: "x" }\ntype NoteKind = "A" | "B"\n',
      'main.flow': 'import "./agents/lib.flow"\nflow Notify {\n  step n: Notifier\n}\ntest "notify works" { flow: Notify expect: true }\n',
    });
    const provider = ws.services.shared.lsp.WorkspaceSymbolProvider!;
    const all = await provider.getSymbols({ query: '' });
    const rows = all.map((s) => `${s.name} [${kindName(s.kind)}] ${ws.spot(s.location as { uri: string; range: never })}`).sort();
    assert.deepEqual(rows, [
      'NoteKind [Interface] agents/lib.flow:1:5-1:13 NoteKind',
      'Notifier [Class] agents/lib.flow:0:6-0:14 Notifier',
      'Notify [Function] main.flow:1:5-1:11 Notify',
      'notify works [Method] main.flow:4:5-4:19 "notify works"',
    ]);
    assert.deepEqual((await provider.getSymbols({ query: 'ntfr' })).map((s) => s.name).sort(), ['Notifier', 'notify works']);
    assert.deepEqual((await provider.getSymbols({ query: 'kind' })).map((s) => s.name), ['NoteKind']);
  });
});

describe('language server: folding ranges', () => {
  it('folds blocks to the line before their closing bracket, """ strings, comment runs, block comments and imports', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': `import "./a.flow"
import "./b.flow"
// first line
// second line
/**
 * An agent.
 */
agent A {
  instructions: """
    Be brief.
    Be kind.
    """
  stub: [
    "x",
    "y"
  ]
}
flow F {
  // one line only
  step s: A { prompt: """Hi
    \${input.x}
    bye""" }
  if true {
    step t: A
  }
}
`,
    });
    const ranges = await ws.services.Baton.lsp.FoldingRangeProvider!.getFoldingRanges(ws.document('main.flow'), { textDocument: { uri: ws.document('main.flow').uri.toString() } });
    assert.deepEqual(ranges.map((r) => [r.startLine, r.endLine, r.kind ?? 'region']), [
      [0, 1, 'imports'],
      [2, 3, 'comment'],
      [4, 6, 'comment'],
      [7, 15, 'region'],
      [8, 10, 'region'],
      [12, 14, 'region'],
      [17, 24, 'region'],
      [19, 20, 'region'],
      [22, 23, 'region'],
    ]);
  });
});
