import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-languageserver';
import { RENAME_REFUSED } from '../../../language/src/index.js';
import { TestWorkspace, type Spot } from './workspace-helpers.js';

/** The edits of renaming at the i-th cursor of `file` to `newName`, as sorted `Spot → newText` lines. */
async function rename(ws: TestWorkspace, file: string, i: number, newName: string): Promise<string[]> {
  const edit = await ws.services.Baton.lsp.RenameProvider!.rename(ws.document(file), { ...ws.cursor(file, i), newName });
  assert.ok(edit?.changes, 'the rename answers edits');
  const lines: string[] = [];
  for (const [uri, edits] of Object.entries(edit.changes)) for (const e of edits) lines.push(`${ws.spot({ uri, range: e.range })} → ${e.newText}`);
  return lines.sort();
}

/** Every `[| … |]` range of the workspace, each to be replaced by `newName`. */
function expected(ws: TestWorkspace, newName: string): string[] {
  return ws.allRanges().map((s: Spot) => `${s} → ${newName}`);
}

/** The message of the refused rename (asserting it is refused with RENAME_REFUSED). */
async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof ResponseError, `a ResponseError, not ${String(error)}`);
    assert.equal(error.code, RENAME_REFUSED);
    return error.message;
  }
  assert.fail('the rename was not refused');
}

describe('language server: rename', () => {
  it('an agent, from a use in the importing file: the declaration and every use in both files', async () => {
    const ws = await TestWorkspace.of({
      'agents/lib.flow': 'agent [|Notifier|] { stub: "sent" }\nflow Inner {\n  step a: [|Notifier|]\n}\n',
      'main.flow': 'import "./agents/lib.flow"\nflow Main {\n  step b: [|Noti<|>fier|] { compensate: [|Notifier|] }\n}\ntest "t" { flow: Main stub [|Notifier|]: "x" expect: true }\n',
    });
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'Messenger'), expected(ws, 'Messenger'));
  });

  it('a region: its declaration, its cancel and complete, and reads of its status (also in a test)', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': 'agent W { stub: "ok" }\nflow Main {\n  output s: string\n  region [|ful<|>fil|] {\n    step a: W\n    cancel [|fulfil|]\n  }\n  parallel {\n    region other {\n      step b: W\n    }\n    complete [|fulfil|]\n  }\n  set output.s = [|fulfil|].status\n}\ntest "t" { flow: Main expect: [|fulfil|].status == "cancelled" }\n',
    });
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'delivery'), expected(ws, 'delivery'));
  });

  it('a flow: its declaration, sub-flow calls and tests in other files', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'flow [|S<|>ub|] {\n  input x: string = "a"\n}\n',
      'main.flow': 'import "./lib.flow"\nflow Main {\n  step s: [|Sub|]\n}\ntest "t" { flow: [|Sub|] expect: true }\n',
    });
    assert.deepEqual(await rename(ws, 'lib.flow', 0, 'Child'), expected(ws, 'Child'));
  });

  it('a type: its declaration and its uses in importing files', async () => {
    const ws = await TestWorkspace.of({
      'types.flow': 'type [|Level|] = "LOW" | "HIGH"\n',
      'main.flow': 'import "./types.flow"\nagent A { stub: "LOW" output: [|Le<|>vel|] }\nflow F {\n  input l: [|Level|][]\n  step a: A\n}\n',
    });
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'Severity'), expected(ws, 'Severity'));
  });

  it('an input, from input.x: the declaration, input.x, and the keys of sub-flow calls (keeping quotes) and tests', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'agent N { stub: "x" }\nflow Sub {\n  input [|who|]: string\n  step s: N { prompt: "${input.[|w<|>ho|]}" }\n}\n',
      'main.flow': 'import "./lib.flow"\nflow Main {\n  step a: Sub { input: { [|who|]: "x" } }\n  step b: Sub { input: { "[|who|]": "y" } }\n}\ntest "t" { flow: Sub input: { [|who|]: "z" } expect: true }\n',
    });
    assert.deepEqual(await rename(ws, 'lib.flow', 0, 'recipient'), expected(ws, 'recipient'));
  });

  it('an output, from a step.output.x in the calling file: set output.x, every step.output.x and a test\'s output.x', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'flow Sub {\n  output [|done|]: string\n  set output.[|done|] = "y"\n}\n',
      'main.flow': 'import "./lib.flow"\nflow Main {\n  step a: Sub\n  let x = a.output.[|do<|>ne|]\n}\ntest "t" { flow: Sub expect: output.[|done|] == "y" }\n',
    });
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'finished'), expected(ws, 'finished'));
  });

  it('a step, an approval, a let value and a loop variable, each within its flow and a test', async () => {
    const ws = await TestWorkspace.of({
      'main.flow': 'agent N { stub: { v: 1 } output: { v: number } }\nflow F {\n  step [|cl<|>assify|]: N\n  approval <|>ok { prompt: "${[|classify|].output.v}" }\n  let <|>v = ok.output.decision\n  foreach <|>i in [v] {\n    step s: N { prompt: "${i} ${v}" }\n  }\n}\ntest "t" { flow: F expect: [|classify|].output.v == 1 && ok.status == "succeeded" }\n',
    });
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'triage'), expected(ws, 'triage'));
    assert.deepEqual(await rename(ws, 'main.flow', 1, 'signoff'), ['main.flow:3:11-3:13 ok → signoff', 'main.flow:4:10-4:12 ok → signoff', 'main.flow:9:53-9:55 ok → signoff']);
    assert.deepEqual(await rename(ws, 'main.flow', 2, 'decision'), ['main.flow:4:6-4:7 v → decision', 'main.flow:5:16-5:17 v → decision', 'main.flow:6:32-6:33 v → decision']);
    assert.deepEqual(await rename(ws, 'main.flow', 3, 'item'), ['main.flow:5:10-5:11 i → item', 'main.flow:6:27-6:28 i → item']);
  });

  it('a soft keyword may become a step\'s name (`budget`), and an input may be renamed to `status`', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': 'agent N { stub: "x" }\nflow F {\n  input <|>x: string\n  step <|>a: N { prompt: "${input.x}" }\n}\n' });
    assert.deepEqual(await rename(ws, 'main.flow', 1, 'budget'), ['main.flow:3:7-3:8 a → budget']);
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'status'), ['main.flow:2:8-2:9 x → status', 'main.flow:3:31-3:32 x → status']);
  });

  it('refuses a new name that is not a name, or a keyword that cannot name the declaration', async () => {
    const ws = await TestWorkspace.of({ 'main.flow': 'agent <|>N { stub: "x" }\nflow F {\n  step <|>a: N\n}\n' });
    const provider = ws.services.Baton.lsp.RenameProvider!;
    assert.equal(await refusal(() => provider.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 0), newName: '9lives' })), '`9lives` is not a valid name: a name starts with a letter or `_` and has only letters, digits and `_`.');
    assert.equal(await refusal(() => provider.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 0), newName: 'Note-taker' })), '`Note-taker` is not a valid name: a name starts with a letter or `_` and has only letters, digits and `_`.');
    assert.equal(await refusal(() => provider.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 1), newName: 'if' })), '`if` is a keyword of the language and cannot name a step of flow `F`.');
    assert.equal(await refusal(() => provider.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 1), newName: 'status' })), '`status` is a keyword of the language and cannot name a step of flow `F`.');
  });

  it('refuses a name already taken where the renamed one is visible: in an imported file, in the flow, among the inputs', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'type Level = "LOW" | "HIGH"\nagent Notifier { stub: "x" }\n',
      'main.flow': 'import "./lib.flow"\nagent <|>Helper { stub: "y" }\nflow F {\n  input <|>a: string\n  input b: string\n  output b: string\n  step <|>s: Helper\n  let t = 1\n  step n: Notifier\n}\n',
      'unrelated.flow': 'agent Other { stub: "z" }\n',
    });
    const provider = ws.services.Baton.lsp.RenameProvider!;
    const at = (i: number, newName: string) => () => provider.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', i), newName });
    assert.equal(await refusal(at(0, 'Level')), '`Level` is already the name of a type (lib.flow, line 1); pick another name.');
    assert.equal(await refusal(at(1, 'b')), '`b` is already the name of an input of flow `F` (line 5); pick another name.');
    assert.equal(await refusal(at(2, 't')), '`t` is already the name of a `let` value of flow `F` (line 8); pick another name.');
    // not a clash: an agent of a file main.flow does not import, an output named like the new input name… of another kind
    assert.deepEqual(await rename(ws, 'main.flow', 0, 'Other'), ['main.flow:1:6-1:12 Helper → Other', 'main.flow:6:10-6:16 Helper → Other']);
  });

  it('refuses to rename, in a file that imports it, an agent to a name the importing file declares', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'agent <|>Notifier { stub: "x" }\n',
      'main.flow': 'import "./lib.flow"\nagent Pager { stub: "y" }\nflow F {\n  step n: Notifier\n  step p: Pager\n}\n',
    });
    const message = await refusal(() => ws.services.Baton.lsp.RenameProvider!.rename(ws.document('lib.flow'), { ...ws.cursor('lib.flow', 0), newName: 'Pager' }));
    assert.equal(message, '`Pager` is already the name of an agent (main.flow, line 2); pick another name.');
  });
});

describe('language server: prepare rename', () => {
  let ws: TestWorkspace;
  before(async () => {
    ws = await TestWorkspace.of({
      'main.flow': 'agent <|>[|N|] { stub: "x" output: { f<|>ield: string } }\nflow Sub {\n  input who: string\n}\nflow F {\n  step a: [|N<|>|]\n  step b: Sub { input: { "[|w<|>ho|]": "x" } }\n  let v = <|>"text"\n}\ntest "na<|>me" { flow: F expect: true }\n',
    });
  });
  const prepare = (i: number) => ws.services.Baton.lsp.RenameProvider!.prepareRename(ws.document('main.flow'), ws.cursor('main.flow', i));

  it('answers the range of the name at a declaration, at a use (cursor at its end) and inside the quotes of a record key', async () => {
    assert.deepEqual(await prepare(0), ws.range('main.flow', 0));
    assert.deepEqual(await prepare(2), ws.range('main.flow', 1));
    assert.deepEqual(await prepare(3), ws.range('main.flow', 2));
  });

  it('answers nothing where there is no name (a string literal)', async () => {
    assert.equal(await prepare(4), undefined);
  });

  it('refuses a test name (a string) and a field of a record type, saying why', async () => {
    assert.equal(await refusal(() => prepare(5)), 'A test\'s name is a string, not a name other code refers to: edit it between the quotes.');
    assert.equal(await refusal(() => prepare(1)), '`field` is a field of a record type; renaming fields is not supported (its uses in expressions are not linked to it).');
  });
});
