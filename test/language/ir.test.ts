import assert from 'node:assert/strict';
import type { Statement, WorkflowDefinition } from '@baton/protocol';
import { checkText, services } from './helpers.js';

const FLOW = `agent W { instructions: "x" stub: "ok" }
flow F {
  output o: string
  step a: W { prompt: "hi" }
  if a.status == "succeeded" {
    parallel {
      step b: W
      step c: W
    }
  }
  foreach x in ["1"] { step d: W { prompt: "\${x}" } }
  approval ok { prompt: "?" }
  set output.o = "x"
}`;

async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

/** Every statement of a body, depth first, as `kind id line:column`. */
function outline(body: Statement[]): string[] {
  const out: string[] = [];
  const visit = (s: Statement): void => {
    out.push(`${s.kind} ${s.id} ${s.range?.start.line}:${s.range?.start.column}`);
    if (s.kind === 'if') for (const b of s.branches) b.body.forEach(visit);
    if (s.kind === 'parallel') s.branches.forEach(visit);
    if (s.kind === 'foreach' || s.kind === 'repeat') s.body.forEach(visit);
  };
  body.forEach(visit);
  return out;
}

describe('IR: the WorkflowDefinition', () => {
  it('gives every node a stable id and its 1-based source range', async () => {
    const def = await build(FLOW);
    assert.deepEqual(outline(def.flows.F.body), [
      'step F/a 4:3',
      'if F/if@1 5:3',
      'parallel F/parallel@1.0.0 6:5',
      'step F/b 7:7',
      'step F/c 8:7',
      'foreach F/foreach@2 11:3',
      'step F/d 11:24',
      'approval F/ok 12:3',
      'set F/set@4 13:3',
    ]);
  });

  it('is plain JSON: it survives a JSON round trip unchanged', async () => {
    const def = await build(FLOW);
    assert.deepEqual(JSON.parse(JSON.stringify(def)), def);
  });

  it('keeps ids when lines are added above or text around changes', async () => {
    const before = outline((await build(FLOW)).flows.F.body).map((l) => l.split(' ')[1]);
    const edited = FLOW.replace('flow F {', '// a comment\n\nflow F {').replace('prompt: "hi"', 'prompt: "hello there"');
    const after = outline((await build(edited)).flows.F.body).map((l) => l.split(' ')[1]);
    assert.deepEqual(after, before);
  });

  it('ids are unique within a definition', async () => {
    const ids = outline((await build(FLOW)).flows.F.body).map((l) => l.split(' ')[1]);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('IR: doc comments', () => {
  it('keeps the /** … */ comment before an agent, a flow and a statement, and nothing else', async () => {
    const def = await build(`/** Sends the messages. */
agent W { instructions: "x" stub: "ok" }
// not a doc comment
/**
 * The main flow.
 * Second line.
 */
flow F {
  /** Says hello. */
  step a: W { prompt: "hi" }
  /* plain block comment */
  step b: W { prompt: "again \${a.output}" }
  step c: W { prompt: "\${b.output}" }
}`);
    assert.equal(def.agents.W.doc, 'Sends the messages.');
    assert.equal(def.flows.F.doc, 'The main flow.\nSecond line.');
    const [a, b, c] = def.flows.F.body as { doc?: string }[];
    assert.equal(a.doc, 'Says hello.');
    assert.equal(b.doc, undefined);
    assert.equal(c.doc, undefined);
  });
});

describe('IR: if statements', () => {
  /** Whether each `if` of the flow's body (top level) has an else arm, and how many statements it holds. */
  const elseArms = (def: WorkflowDefinition): (number | 'none')[] =>
    def.flows.F.body.filter((s) => s.kind === 'if').map((s) => (s.kind === 'if' && s.else ? s.else.length : 'none'));

  it('an if whose body holds an if/else has no else arm itself', async () => {
    const def = await build(`agent W { stub: "ok" }
flow F {
  input go: boolean
  if input.go {
    if input.go { step a: W } else { step b: W }
  }
}`);
    assert.deepEqual(elseArms(def), ['none']);
  });

  it('a step named `elsewhere` does not give its if an else arm', async () => {
    const def = await build(`agent W { stub: "ok" }
flow F {
  input go: boolean
  if input.go { step elsewhere: W }
}`);
    assert.deepEqual(elseArms(def), ['none']);
  });

  it('an empty `else { }` is an empty else arm; `else if` chains end in the last one', async () => {
    const def = await build(`agent W { stub: "ok" }
flow F {
  input go: boolean
  if input.go { step a: W } else { }
  if input.go { step b: W } else if !input.go { step c: W } else { step d: W }
  if input.go { step e: W } else if !input.go { step f: W }
}`);
    assert.deepEqual(elseArms(def), [0, 1, 'none']);
  });
});
