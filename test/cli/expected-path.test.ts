import assert from 'node:assert/strict';
import { ExpectedPath } from '../../packages/cli/src/output/expected-path.js';
import { compile } from '../runtime/helpers.js';

describe('baton run: step i/N counts the path the run may still take (ExpectedPath)', () => {
  it('drops the branches not taken, says ≤N while a branch or a loop may still leave steps out, ignores decisions inside loops', async () => {
    const def = await compile(`
agent A { stub: "x" }
flow F {
  input kind: string
  input items: string[]
  step first: A { prompt: "a" }
  if input.kind == "x" {
    step x1: A { prompt: "a" }
    step x2: A { prompt: "a" }
  } else {
    step y1: A { prompt: "a" }
  }
  foreach i in input.items {
    if i == "z" {
      step inner: A { prompt: "a" }
    }
  }
  step last: A { prompt: "a" }
}`);
    const flow = def.flows.F;
    const ifNode = flow.body.find((s) => s.kind === 'if')!.id;
    const innerIf = (flow.body.find((s) => s.kind === 'foreach') as { body: { kind: string; id: string }[] }).body[0].id;
    const path = new ExpectedPath(flow);
    // 6 steps: first, x1, x2, y1, inner, last — x1/x2/y1 wait for the if, inner for the loop
    assert.equal(path.reached('F/first'), 'step 1/≤6');
    path.taken(ifNode, '', 1);
    assert.equal(path.reached('F/y1'), 'step 2/≤4');
    // a decision inside the loop (scope [0]) changes nothing: another item may take the other way
    path.taken(innerIf, '[0]', -1);
    assert.equal(path.reached('F/inner'), 'step 3/4');
    assert.equal(path.reached('F/last'), 'step 4/4');
    // a node that is not one of the flow's own steps (a sub-flow's) shows nothing
    assert.equal(path.reached('G/other'), '');
  });

  it('a flow without branches or loops counts exactly from the start; a switch without a matching case drops every case', async () => {
    const def = await compile(`
agent A { stub: "x" }
flow F {
  input kind: string
  step a: A { prompt: "a" }
  switch input.kind {
    case "p" { step p: A { prompt: "a" } }
    case "q" { step q: A { prompt: "a" } }
  }
  step b: A { prompt: "a" }
}
flow Plain {
  step a: A { prompt: "a" }
  parallel {
    step b: A { prompt: "a" }
    step c: A { prompt: "a" }
  }
}`);
    const plain = new ExpectedPath(def.flows.Plain);
    assert.deepEqual(['Plain/a', 'Plain/b', 'Plain/c'].map((n) => plain.reached(n)), ['step 1/3', 'step 2/3', 'step 3/3']);
    const path = new ExpectedPath(def.flows.F);
    assert.equal(path.reached('F/a'), 'step 1/≤4');
    path.taken(def.flows.F.body.find((s) => s.kind === 'switch')!.id, '', -1);
    assert.equal(path.reached('F/b'), 'step 2/2');
  });
});
