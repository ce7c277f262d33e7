import assert from 'node:assert/strict';
import { check, type Problem } from './helpers.js';

/** An expected error. */
function p(code: string, range: Problem['range'], text: string, message: string): Problem {
  return { code, range, text, message };
}

const advice = 'nothing stops the recursion, so every run fails with FLOW_DEPTH_EXCEEDED; put the call inside an `if` (or give it a `when:`) that is false at some depth';

describe('checker: a flow that always calls itself (unbounded-recursion)', () => {
  it('direct recursion with nothing around the call: on the call\'s target, with the cycle and what to do', async () => {
    const { errors } = await check('flow R {\n  output x: number\n  step again: R\n  set output.x = again.output.x ?? 0\n}\n');
    assert.deepEqual(errors, [p('unbounded-recursion', [2, 14, 2, 15], 'R', `flow \`R\` always calls itself (R → R): ${advice}`)]);
  });

  it('through another flow, a parallel branch and a repeat body (they always run): on each flow of the cycle', async () => {
    const { errors } = await check('agent W { stub: "w" }\nflow A {\n  step w: W { prompt: "a" }\n  parallel {\n    step b: B\n    step w2: W { prompt: "x" }\n  }\n}\nflow B {\n  repeat max 3 {\n    step a: A\n  } until true\n}\n');
    assert.deepEqual(errors, [
      p('unbounded-recursion', [4, 12, 4, 13], 'B', `flow \`A\` always calls itself (A → B → A): ${advice}`),
      p('unbounded-recursion', [10, 12, 10, 13], 'A', `flow \`B\` always calls itself (B → A → B): ${advice}`),
    ]);
  });

  it('recursion that can stop is accepted: under an if, a switch, a foreach, with when:, with on error: continue, after a fail', async () => {
    const stops = [
      'if input.n > 0 {\n    step again: R { input: { n: input.n - 1 } }\n  }',
      'switch input.n {\n    case 0 { }\n    default { step again: R { input: { n: input.n - 1 } } }\n  }',
      'foreach i in [] {\n    step again: R { input: { n: i } }\n  }',
      'step again: R { input: { n: input.n - 1 } when: input.n > 0 }',
      'step again: R { input: { n: input.n - 1 } on error: continue }',
      'fail "stop"\n  step again: R { input: { n: input.n - 1 } }',
    ];
    for (const body of stops) {
      const { errors } = await check(`flow R {\n  input n: number\n  ${body}\n}\n`);
      assert.deepEqual(errors.filter((e) => e.code === 'unbounded-recursion'), [], body);
    }
  });
});

describe('checker: a recursive call that passes its guard\'s inputs on unchanged (recursion-without-progress)', () => {
  const message = (names: string, first: string) =>
    `flow \`R\` calls itself passing on ${names.includes(',') ? 'the inputs' : 'the input'} its condition reads (${names}) unchanged: the condition is the same at every depth, so a run that makes this call recurses until limits.maxFlowDepth and fails with FLOW_DEPTH_EXCEEDED; pass a value that moves toward the end (e.g. \`${first}: input.${first} - 1\`)`;

  it('under an if, or with when:, reading inputs passed on as they are: a warning on the call\'s target', async () => {
    const { errors, warnings } = await check('flow R {\n  input n: number\n  input go: boolean\n  if input.n > 0 {\n    step again: R { input: { n: input.n, go: input.go } when: input.go }\n  }\n}\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [p('recursion-without-progress', [4, 16, 4, 17], 'R', message('`go`, `n`', 'go'))]);
  });

  it('a changed input, a guard reading a step or a function, or no guard input: no warning', async () => {
    const progress = [
      'if input.n > 0 {\n    step again: R { input: { n: input.n - 1, go: input.go } }\n  }',
      'step look: R2\n  if look.output.more {\n    step again: R { input: { n: input.n, go: input.go } }\n  }',
      'step again: R { input: { n: input.n, go: input.go } when: len("x") > input.n }',
    ];
    for (const body of progress) {
      const { warnings } = await check(`flow R2 {\n  output more: boolean\n  set output.more = false\n}\nflow R {\n  input n: number\n  input go: boolean\n  ${body}\n}\n`);
      assert.deepEqual(warnings.filter((w) => w.code === 'recursion-without-progress'), [], body);
    }
  });
});
