/**
 * The graph builder, construct by construct: the exact nodes (id, kind, label, detail, container) and edges
 * (source, target, kind, label, branch number) built for a small flow of each construct.
 */
import assert from 'node:assert/strict';
import type { FlowGraph } from '@baton/protocol';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { checkText, services } from '../language/helpers.js';

const A = `agent A { output: { ok: boolean, n: number } stub: { ok: true, n: 1 } }
agent U { stub: "undone" }
`;
const CASES = {
  chain: `${A}flow F {\n  step a: A { prompt: "1" }\n  step b: A { prompt: "2" }\n}\n`,
  ifElse: `${A}flow F {\n  step a: A { prompt: "1" }\n  if a.output.ok {\n    step b: A { prompt: "2" }\n  } else if a.output.n > 2 {\n    step c: A { prompt: "3" }\n  } else {\n    step d: A { prompt: "4" }\n  }\n}\n`,
  ifNoElse: `${A}flow F {\n  step a: A { prompt: "1" }\n  if a.output.ok {\n    step b: A { prompt: "2" }\n  }\n}\n`,
  switch: `${A}flow F {\n  input kind: "X" | "Y" = "X"\n  switch input.kind {\n    case "X" { step x: A { prompt: "x" } }\n    default { step y: A { prompt: "y" } }\n  }\n}\n`,
  parallel: `${A}flow F {\n  parallel {\n    step a: A { prompt: "1" }\n    step b: A { prompt: "2" }\n  }\n}\n`,
  foreach: `${A}flow F {\n  foreach item in ["p", "q"] concurrency 2 {\n    step a: A { prompt: "\${item}" }\n  }\n}\n`,
  repeat: `${A}flow F {\n  repeat max 3 {\n    step a: A { prompt: "1" }\n  } until a.output.ok\n}\n`,
  approvalWaitEvent: `${A}flow F {\n  approval ok { prompt: "Go?" timeout: 1h }\n  wait 5m\n  wait event "paid" timeout 1d\n}\n`,
  setLetFail: `${A}flow F {\n  output n: number\n  step a: A { prompt: "1" }\n  let twice = a.output.n * 2\n  set output.n = twice\n  if twice > 10 {\n    fail "too big"\n  }\n}\n`,
  triggers: `${A}flow F {\n  trigger webhook "/f"\n  trigger schedule "0 9 * * 1-5"\n  trigger event "go"\n  step a: A { prompt: "1" }\n}\n`,
  compensation: `${A}flow F {\n  step a: A { prompt: "1" compensate: U { prompt: "undo" } }\n}\n`,
  subflow: `${A}flow Inner {\n  step i: A { prompt: "1" }\n}\nflow F {\n  step call: Inner\n}\n`,
} as const;

async function graphOf(text: string): Promise<FlowGraph> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), [], 'the case has no checker error');
  return buildFlowGraph(services.Baton.ir.WorkflowBuilder.build([document]), 'F');
}

const nodesOf = (g: FlowGraph) => g.nodes.map((n) => [n.id, n.kind, n.label, ...(n.detail !== undefined ? [n.detail] : []), ...(n.parent ? ['parent:' + n.parent] : [])]);
const edgesOf = (g: FlowGraph) => g.edges.map((e) => [e.source, e.target, e.kind, ...(e.label ? [e.label] : []), ...(e.branch !== undefined ? [e.branch] : [])]);

describe('graph: the nodes and edges of each construct', () => {
  it("a chain of steps: start \u2192 a \u2192 b \u2192 end", async () => {
    const graph = await graphOf(CASES.chain);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/a","step","a","A"],["F/b","step","b","A"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/a","flow"],["F/a","F/b","flow"],["F/b","F/end","flow"]]);
  });
  it("if / else if / else: a decision with one numbered, labelled edge per arm and a merge", async () => {
    const graph = await graphOf(CASES.ifElse);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/a","step","a","A"],["F/if@1","decision","if","a.output.ok"],["F/b","step","b","A"],["F/c","step","c","A"],["F/d","step","d","A"],["F/if@1/merge","merge",""],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/a","flow"],["F/a","F/if@1","flow"],["F/if@1","F/b","branch","then",0],["F/if@1","F/c","branch","else if a.output.n > 2",1],["F/if@1","F/d","branch","else",2],["F/b","F/if@1/merge","flow"],["F/c","F/if@1/merge","flow"],["F/d","F/if@1/merge","flow"],["F/if@1/merge","F/end","flow"]]);
  });
  it("if without else: an `else` edge straight from the decision to its merge", async () => {
    const graph = await graphOf(CASES.ifNoElse);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/a","step","a","A"],["F/if@1","decision","if","a.output.ok"],["F/b","step","b","A"],["F/if@1/merge","merge",""],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/a","flow"],["F/a","F/if@1","flow"],["F/if@1","F/b","branch","then",0],["F/b","F/if@1/merge","flow"],["F/if@1","F/if@1/merge","branch","else",1],["F/if@1/merge","F/end","flow"]]);
  });
  it("switch: a decision with `case` and `default` edges", async () => {
    const graph = await graphOf(CASES.switch);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/switch@0","decision","switch","input.kind"],["F/x","step","x","A"],["F/y","step","y","A"],["F/switch@0/merge","merge",""],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/switch@0","flow"],["F/switch@0","F/x","branch","case \"X\"",0],["F/switch@0","F/y","branch","default",1],["F/x","F/switch@0/merge","flow"],["F/y","F/switch@0/merge","flow"],["F/switch@0/merge","F/end","flow"]]);
  });
  it("parallel: fork \u2192 branches \u2192 join", async () => {
    const graph = await graphOf(CASES.parallel);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/parallel@0/fork","fork","parallel"],["F/a","step","a","A"],["F/b","step","b","A"],["F/parallel@0/join","join",""],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/parallel@0/fork","flow"],["F/parallel@0/fork","F/a","flow"],["F/parallel@0/fork","F/b","flow"],["F/a","F/parallel@0/join","flow"],["F/b","F/parallel@0/join","flow"],["F/parallel@0/join","F/end","flow"]]);
  });
  it("foreach: a loop container holding its body, labelled with the list and concurrency", async () => {
    const graph = await graphOf(CASES.foreach);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/foreach@0","loop","foreach","item in [\"p\", \"q\"] · 2 at once"],["F/a","step","a","A","parent:F/foreach@0"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/foreach@0","flow"],["F/foreach@0","F/a","flow"],["F/foreach@0","F/end","flow"]]);
  });
  it("repeat: a loop container, its body looping back (\"again\")", async () => {
    const graph = await graphOf(CASES.repeat);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/repeat@0","loop","repeat","max 3 until a.output.ok"],["F/a","step","a","A","parent:F/repeat@0"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/repeat@0","flow"],["F/repeat@0","F/a","flow"],["F/a","F/repeat@0","loop","again"],["F/repeat@0","F/end","flow"]]);
  });
  it("approval, wait and wait event: their own kinds with their durations", async () => {
    const graph = await graphOf(CASES.approvalWaitEvent);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/ok","approval","ok","approval · 1h"],["F/wait@1","wait","wait 5m"],["F/wait@2","event","event paid","timeout 1d"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/ok","flow"],["F/ok","F/wait@1","flow"],["F/wait@1","F/wait@2","flow"],["F/wait@2","F/end","flow"]]);
  });
  it("let, set and fail (which ends its path: no edge out of it)", async () => {
    const graph = await graphOf(CASES.setLetFail);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/a","step","a","A"],["F/let@1","let","twice","a.output.n * 2"],["F/set@2","set","output.n","twice"],["F/if@3","decision","if","twice > 10"],["F/fail@3.0.0","fail","fail","\"too big\""],["F/if@3/merge","merge",""],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/a","flow"],["F/a","F/let@1","flow"],["F/let@1","F/set@2","flow"],["F/set@2","F/if@3","flow"],["F/if@3","F/fail@3.0.0","branch","then",0],["F/if@3","F/if@3/merge","branch","else",1],["F/if@3/merge","F/end","flow"]]);
  });
  it("triggers: entry nodes leading into the start", async () => {
    const graph = await graphOf(CASES.triggers);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/trigger@0","trigger","POST /f","webhook"],["F/trigger@1","trigger","cron 0 9 * * 1-5","schedule"],["F/trigger@2","trigger","event go","event"],["F/a","step","a","A"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/trigger@0","F/start","flow"],["F/trigger@1","F/start","flow"],["F/trigger@2","F/start","flow"],["F/start","F/a","flow"],["F/a","F/end","flow"]]);
  });
  it("compensation: a dashed edge from the compensating step back to the step", async () => {
    const graph = await graphOf(CASES.compensation);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/a","step","a","A"],["F/a/compensate","step","undo a","U"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/a","flow"],["F/a/compensate","F/a","compensation","compensates"],["F/a","F/end","flow"]]);
  });
  it("a sub-flow call: a `subflow` node naming the flow", async () => {
    const graph = await graphOf(CASES.subflow);
    assert.deepEqual(nodesOf(graph), [["F/start","start","F"],["F/call","subflow","call","Inner"],["F/end","end","end"]]);
    assert.deepEqual(edgesOf(graph), [["F/start","F/call","flow"],["F/call","F/end","flow"]]);
  });
});
