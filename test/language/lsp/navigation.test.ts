import assert from 'node:assert/strict';
import { TestWorkspace, type Spot } from './workspace-helpers.js';

/** Where go to definition at the i-th cursor of `file` leads, as `file:line:char-line:char name` (the target's name). */
async function definition(ws: TestWorkspace, file: string, i: number): Promise<Spot[]> {
  const links = (await ws.services.Baton.lsp.DefinitionProvider!.getDefinition(ws.document(file), ws.cursor(file, i))) ?? [];
  return links.map((l) => ws.spot({ uri: l.targetUri, range: l.targetSelectionRange }));
}

/** Find references at the i-th cursor of `file`, sorted. */
async function references(ws: TestWorkspace, file: string, i: number, includeDeclaration = true): Promise<Spot[]> {
  const locations = await ws.services.Baton.lsp.ReferencesProvider!.findReferences(ws.document(file), { ...ws.cursor(file, i), context: { includeDeclaration } });
  return locations.map((l) => ws.spot(l)).sort();
}

const LIB = `/** Sends a message. */
agent Notifier { stub: "sent" }
type Level = "LOW" | "HIGH"
flow Notify {
  input who: string
  input level: Level = "LOW"
  output done: Level
  step send: Notifier { prompt: "hi \${input.who}" }
  set output.done = "LOW"
}
`;

const MAIN = `import "./agents/lib.flow"
flow Main {
  input request: string
  step call: Notify { input: { "who": input.request, level: "HIGH" } }
  let doneLevel = call.output.done
  foreach item in ["a", "b"] {
    step each: Notifier { prompt: "\${item} \${doneLevel}" }
  }
  approval ok { prompt: "\${call.output.done}?" }
}
test "notify" {
  flow: Notify
  input: { who: "ann" }
  expect: output.done == "LOW" && send.status == "succeeded"
}
`;

describe('language server: go to definition', () => {
  let ws: TestWorkspace;
  before(async () => {
    ws = await TestWorkspace.of({
      'agents/lib.flow': LIB,
      'main.flow': MAIN.replace('step call: Notify { input: { "who": input.req', 'step call: Not<|>ify { input: { "w<|>ho": input.re<|>q')
        .replace('call.output.done', 'call.output.do<|>ne')
        .replace('step each: Notifier { prompt: "${item} ${doneLevel}', 'step each: Noti<|>fier { prompt: "${it<|>em} ${done<|>Level}')
        .replace('"${call.output', '"${ca<|>ll.output')
        .replace('flow: Notify', 'flow: No<|>tify')
        .replace('input: { who: "ann" }', 'input: { w<|>ho: "ann" }')
        .replace('expect: output.done', 'expect: output.d<|>one')
        .replace('&& send.status', '&& se<|>nd.status'),
    });
    const diagnostics = [...ws.documents.values()].flatMap((d) => d.diagnostics ?? []).filter((d) => d.severity === 1);
    assert.deepEqual(diagnostics.map((d) => d.message), [], 'the fixture checks clean');
  });

  it('a sub-flow call and a test\'s flow: lead to the flow in the imported file', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 0), ['agents/lib.flow:3:5-3:11 Notify']);
    assert.deepEqual(await definition(ws, 'main.flow', 8), ['agents/lib.flow:3:5-3:11 Notify']);
  });

  it('an agent used in another file leads to its declaration in the imported file', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 4), ['agents/lib.flow:1:6-1:14 Notifier']);
  });

  it('a key of a sub-flow call\'s input record (quoted or not) and of a test\'s input lead to the flow\'s input', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 1), ['agents/lib.flow:4:8-4:11 who']);
    assert.deepEqual(await definition(ws, 'main.flow', 9), ['agents/lib.flow:4:8-4:11 who']);
  });

  it('input.x leads to the input declaration', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 2), ['main.flow:2:8-2:15 request']);
  });

  it('the member after step.output. of a sub-flow call and output.x in a test lead to the flow\'s output', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 3), ['agents/lib.flow:6:9-6:13 done']);
    assert.deepEqual(await definition(ws, 'main.flow', 10), ['agents/lib.flow:6:9-6:13 done']);
  });

  it('a loop variable, a let value and a step read in templates lead to their declarations', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 5), ['main.flow:5:10-5:14 item']);
    assert.deepEqual(await definition(ws, 'main.flow', 6), ['main.flow:4:6-4:15 doneLevel']);
    assert.deepEqual(await definition(ws, 'main.flow', 7), ['main.flow:3:7-3:11 call']);
  });

  it('a step named in a test\'s expect leads to the step of the tested flow in the other file', async () => {
    assert.deepEqual(await definition(ws, 'main.flow', 11), ['agents/lib.flow:7:7-7:11 send']);
  });
});

describe('language server: find references', () => {
  it('an agent: its declaration and every use in the files that import it, not a same-named agent of an unrelated file', async () => {
    const ws = await TestWorkspace.of({
      'agents/lib.flow': 'agent [|Noti<|>fier|] { stub: "sent" }\nflow Inner {\n  step a: [|Notifier|]\n}\n',
      'main.flow': 'import "./agents/lib.flow"\nflow Main {\n  step b: [|Notifier|] { compensate: [|Notifier|] }\n}\ntest "t" { flow: Main stub [|Notifier|]: "x" expect: true }\n',
      'other.flow': 'agent Notifier { stub: "other" }\nflow Other {\n  step c: Notifier\n}\n',
    });
    assert.deepEqual(await references(ws, 'agents/lib.flow', 0), ws.allRanges());
    assert.deepEqual(await references(ws, 'agents/lib.flow', 0, false), ws.allRanges().filter((s) => !s.startsWith('agents/lib.flow:0:')));
  });

  it('an input: its declaration, input.x, the keys of sub-flow calls (inside quotes) and of tests, in every file', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'agent N { stub: "x" }\nflow Sub {\n  input [|w<|>ho|]: string\n  step s: N { prompt: "${input.[|who|]}" }\n}\n',
      'main.flow': 'import "./lib.flow"\nflow Main {\n  step a: Sub { input: { [|who|]: "x" } }\n  step b: Sub { input: { "[|who|]": "y" } }\n}\ntest "t" { flow: Sub input: { [|who|]: "z" } expect: true }\n',
    });
    assert.deepEqual(await references(ws, 'lib.flow', 0), ws.allRanges());
  });

  it('an output: set output.x, step.output.x of every sub-flow call (also per item of a foreach), output.x in a test', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'flow Sub {\n  output [|do<|>ne|]: string\n  set output.[|done|] = "y"\n}\n',
      'main.flow': 'import "./lib.flow"\nflow Main {\n  step a: Sub\n  let x = a.output.[|done|]\n  foreach i in [1] {\n    step b: Sub\n  }\n  let y = b[0].output.[|done|]\n}\ntest "t" { flow: Sub expect: output.[|done|] == "y" }\n',
    });
    assert.deepEqual(await references(ws, 'lib.flow', 0), ws.allRanges());
  });

  it('a step: its declaration, its reads in expressions and templates, and a test\'s expect', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': 'agent N { stub: { v: 1 } output: { v: number } }\nflow F {\n  step [|cl<|>assify|]: N\n  let v = [|classify|].output.v\n  step t: N { prompt: "${[|classify|].status}" }\n}\ntest "t" { flow: F expect: [|classify|].output.v == 1 }\n',
    });
    assert.deepEqual(await references(ws, 'main.flow', 0), ws.allRanges());
  });

  it('a type: its declaration and its uses in other types, agents and inputs of importing files', async () => {
    const ws = await TestWorkspace.of({
      'types.flow': 'type [|Lev<|>el|] = "LOW" | "HIGH"\ntype Levels = [|Level|][]\n',
      'main.flow': 'import "./types.flow"\nagent A { stub: "LOW" output: [|Level|] }\nflow F {\n  input l: [|Level|]\n  step a: A\n}\n',
    });
    assert.deepEqual(await references(ws, 'types.flow', 0), ws.allRanges());
  });

  it('an approval, a let value and a loop variable: each with its reads only', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': 'agent N { stub: "x" }\nflow F {\n  approval [|o<|>k|] { prompt: "?" }\n  let <|>v = [|ok|].output.decision\n  foreach <|>i in [v] {\n    step s: N { prompt: "${i} ${v}" }\n  }\n}\n',
    });
    assert.deepEqual(await references(ws, 'main.flow', 0), ws.allRanges());
    assert.deepEqual(await references(ws, 'main.flow', 1), ['main.flow:3:6-3:7 v', 'main.flow:4:16-4:17 v', 'main.flow:5:32-5:33 v']);
    assert.deepEqual(await references(ws, 'main.flow', 2), ['main.flow:4:10-4:11 i', 'main.flow:5:27-5:28 i']);
  });
});
