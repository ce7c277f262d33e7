import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IssueCodes } from '../../language/src/index.js';
import { AGENTS, check, type Problem } from './helpers.js';

/*
 * One test per check of the spec's section 4 (see README.md for the table). Each compares the complete
 * list of errors (or warnings) with the expected one, so it pins the code, the exact range
 * ([startLine, startCharacter, endLine, endCharacter], 0-based, end exclusive), the text under the range
 * and the message — and proves that the problem gives exactly one diagnostic, with no cascade.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Checks `flowBody` inside `flow F { … }` after the shared agents (and `extra` declarations). */
async function checkFlow(flowBody: string, extra = '') {
  return check(`${AGENTS}${extra}flow F {\n${flowBody}\n}\n`);
}
/** 0-based line of the flow body's first line in {@link checkFlow} (without `extra`). */
const BODY = AGENTS.split('\n').length;

/** An expected error or warning. */
function p(code: string, range: Problem['range'], text: string, message: string): Problem {
  return { code, range, text, message };
}

describe('checker: the spec example', () => {
  it('the spec\'s complete example checks without errors', async () => {
    const { errors } = await check(readFileSync(path.join(HERE, 'fixtures', 'spec-example.flow'), 'utf8'));
    assert.deepEqual(errors, []);
  });
});

describe('checker: unknown names', () => {
  it('unknown agent in a step: on the name, with a did-you-mean', async () => {
    const { errors } = await checkFlow('  step a: Intak { prompt: "x" }');
    assert.deepEqual(errors, [p('unknown-agent', [BODY, 10, BODY, 15], 'Intak', 'unknown agent or flow `Intak`; did you mean `Intake`?')]);
  });

  it('unknown agent in compensate:', async () => {
    const { errors } = await checkFlow('  step a: Intake { compensate: Notifer { prompt: "undo" } }\n  let x = a.output');
    assert.deepEqual(errors, [p('unknown-agent', [BODY, 31, BODY, 38], 'Notifer', 'unknown agent `Notifer`; did you mean `Notifier`?')]);
  });

  it('unknown agent in a test\'s stub', async () => {
    const { errors } = await check(`${AGENTS}flow F {\n  step a: Notifier\n}\ntest "t" { flow: F stub Notifer: "x" expect: true }\n`);
    assert.deepEqual(errors, [p('unknown-agent', [BODY + 2, 24, BODY + 2, 31], 'Notifer', 'unknown agent `Notifer`; did you mean `Notifier`?')]);
  });

  it('unknown flow in a test\'s flow:', async () => {
    const { errors } = await check(`${AGENTS}test "t" { flow: Nope expect: true }\n`);
    assert.deepEqual(errors, [p('unknown-flow', [6, 17, 6, 21], 'Nope', 'unknown flow `Nope`')]);
  });

  it('unknown type', async () => {
    const { errors } = await check(`${AGENTS}type T = Missing\n`);
    assert.deepEqual(errors, [p('unknown-type', [6, 9, 6, 16], 'Missing', 'unknown type `Missing`')]);
  });

  it('unknown step (a name in an expression)', async () => {
    const { errors } = await checkFlow('  step a: Intake { prompt: "${nope.output}" }');
    assert.deepEqual(errors, [p('unknown-name', [BODY, 30, BODY, 34], 'nope', 'unknown name `nope`: no step, approval, let value, var or loop variable of this flow is called that')]);
  });

  it('unknown step in a test\'s expect', async () => {
    const { errors } = await check(`${AGENTS}flow F {\n  step a: Notifier\n}\ntest "t" { flow: F expect: b.status == "succeeded" }\n`);
    assert.deepEqual(errors, [p('unknown-name', [BODY + 2, 27, BODY + 2, 28], 'b', 'unknown name `b`: no step, approval, let value, var or loop variable of this flow is called that')]);
  });

  it('unknown input (input.x) lists the flow\'s inputs', async () => {
    const { errors } = await checkFlow('  input request: string\n  step a: Intake { prompt: "${input.reqest}" }');
    assert.deepEqual(errors, [p('unknown-input', [BODY + 1, 36, BODY + 1, 42], 'reqest', 'unknown input `reqest`; the flow\'s inputs are request')]);
  });

  it('unknown output (set output.x) lists the flow\'s outputs', async () => {
    const { errors } = await checkFlow('  output status: string\n  set output.stauts = "x"');
    assert.deepEqual(errors, [p('unknown-output', [BODY + 1, 13, BODY + 1, 19], 'stauts', "unknown output `stauts`; the flow's outputs are status")]);
  });

  it('unknown function suggests the closest one', async () => {
    const { errors } = await checkFlow('  let a = lowr("x")');
    assert.deepEqual(errors, [p('unknown-function', [BODY, 10, BODY, 14], 'lowr', 'unknown function `lowr()`; did you mean `lower`?')]);
  });

  it('a function called with the wrong number of arguments', async () => {
    const { errors } = await checkFlow('  let b = upper("a", "b")');
    assert.deepEqual(errors, [p('wrong-argument-count', [BODY, 10, BODY, 15], 'upper', 'upper(text) takes 1 argument, not 2')]);
  });

  it('a parse error is reported once, where the text goes wrong, in words', async () => {
    const { errors } = await checkFlow('  step a Intake');
    assert.deepEqual(errors, [p('parse-error', [BODY, 9, BODY, 15], 'Intake', 'expected `:` but found `Intake`')]);
  });
});

describe('checker: duplicate names', () => {
  it('duplicate step names: on the second name', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  if true {\n    step a: Notifier\n  }');
    assert.deepEqual(errors, [p('duplicate-name', [BODY + 2, 9, BODY + 2, 10], 'a', 'duplicate name `a`: a step, approval, event wait, region, let value, var or loop variable of this flow already has it')]);
  });

  it('duplicate declarations in a file: on the second, without an unused-agent warning for it', async () => {
    const { errors, warnings } = await check('agent A { stub: "x" }\nagent A { stub: "y" }\n');
    assert.deepEqual(errors, [p('duplicate-name', [1, 6, 1, 7], 'A', 'duplicate name `A`: it is already declared in this file')]);
    assert.deepEqual(warnings, [p('unused-agent', [0, 6, 0, 7], 'A', 'agent `A` is never used by a step')]);
  });

  it('duplicate inputs and outputs of a flow', async () => {
    const { errors } = await check('flow F {\n  input a: string\n  input a: number\n  output o: string\n  output o: string\n}\n');
    assert.deepEqual(errors, [
      p('duplicate-name', [2, 8, 2, 9], 'a', 'duplicate input `a`'),
      p('duplicate-name', [4, 9, 4, 10], 'o', 'duplicate output `o`'),
    ]);
  });

  it('duplicate test names', async () => {
    const { errors } = await check(`${AGENTS}flow F {\n}\ntest "t" { flow: F expect: true }\ntest "t" { flow: F expect: true }\n`);
    assert.deepEqual(errors, [p('duplicate-name', [9, 5, 9, 8], '"t"', 'duplicate test name "t"')]);
  });

  it('a webhook path used by two flows', async () => {
    const { errors } = await check('flow F {\n  trigger webhook "/x"\n}\nflow G {\n  trigger webhook "/x"\n}\n');
    assert.deepEqual(errors, [p('duplicate-name', [4, 18, 4, 22], '"/x"', 'webhook path "/x" is already used by flow `F`')]);
  });

  it('duplicate property in one block: on the second key', async () => {
    const { errors } = await checkFlow('  step a: Intake { timeout: 5s timeout: 10s }');
    assert.deepEqual(errors, [p('duplicate-property', [BODY, 31, BODY, 38], 'timeout', '`timeout` is given twice in this block')]);
  });

  it('a second budget in a flow', async () => {
    const { errors } = await checkFlow('  budget tokens 10\n  budget tokens 20');
    assert.deepEqual(errors, [p('duplicate-property', [BODY + 1, 2, BODY + 1, 18], 'budget tokens 20', 'a flow has at most one `budget`')]);
  });
});

describe('checker: a step used before it can have run', () => {
  it('a step read before its own statement', async () => {
    const { errors } = await checkFlow('  step a: Notifier { prompt: "${b.output}" }\n  step b: Notifier');
    assert.deepEqual(errors, [p('step-used-before-run', [BODY, 32, BODY, 33], 'b', 'step `b` runs later in the flow, so its output is not available here')]);
  });

  it('a step reading its own result', async () => {
    const { errors } = await checkFlow('  step a: Intake { prompt: "${a.output.severity}" }');
    assert.deepEqual(errors, [p('step-used-before-run', [BODY, 30, BODY, 31], 'a', 'step `a` reads its own result before it has run (only its `compensate:` may)')]);
  });

  it('a step read in the condition of the if that holds it', async () => {
    const { errors } = await checkFlow('  if b.status == "succeeded" {\n    step b: Notifier\n  }');
    assert.deepEqual(errors, [p('step-used-before-run', [BODY, 5, BODY, 6], 'b', 'step `b` runs inside this `if`, after its condition is evaluated, so it has not run here')]);
  });

  it('a step in another branch of an if', async () => {
    const { errors } = await checkFlow('  if true {\n    step a: Intake\n  } else {\n    step b: Notifier { prompt: "${a.output.severity}" }\n  }');
    assert.deepEqual(errors, [p('step-used-before-run', [BODY + 3, 34, BODY + 3, 35], 'a', 'step `a` is in another branch of this `if`, so it never runs when this code does')]);
  });

  it('a step in another case of a switch', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  switch a.output.severity {\n    case "LOW" { step b: Notifier }\n    default { step c: Notifier { prompt: "${b.output}" } }\n  }');
    assert.deepEqual(errors, [p('step-used-before-run', [BODY + 3, 44, BODY + 3, 45], 'b', 'step `b` is in another branch of this `switch`, so it never runs when this code does')]);
  });

  it('a step from one parallel branch read in a sibling branch', async () => {
    const { errors } = await checkFlow('  parallel {\n    step p1: Intake\n    step p2: Notifier { prompt: "${p1.output.severity}" }\n  }');
    assert.deepEqual(errors, [p('step-in-sibling-branch', [BODY + 2, 35, BODY + 2, 37], 'p1', 'step `p1` runs in a sibling branch of this `parallel`, so its output is not available here')]);
  });

  it('a step inside an if read after it without ?? or a status check', async () => {
    const { errors } = await checkFlow('  output s: string\n  if true {\n    step a: Intake\n  }\n  set output.s = a.output.severity');
    assert.deepEqual(errors, [
      p('step-maybe-skipped', [BODY + 4, 17, BODY + 4, 18], 'a', 'step `a` may not have run (it is inside a branch); read it with `??` (e.g. `a.output.x ?? default`) or check `a.status` first'),
    ]);
  });

  it('a step with when: read without ?? or a status check', async () => {
    const { errors } = await checkFlow('  step a: Intake { when: true }\n  let x = a.output.severity');
    assert.deepEqual(errors, [
      p('step-maybe-skipped', [BODY + 1, 10, BODY + 1, 11], 'a', 'step `a` may not have run (it has `when:`); read it with `??` (e.g. `a.output.x ?? default`) or check `a.status` first'),
    ]);
  });

  it('?? , a status check and an enclosing if on the status all guard a possibly skipped step', async () => {
    const { errors } = await checkFlow(
      '  output s: string\n  step w: Intake { when: false }\n  set output.s = w.output.severity ?? "none"\n  let ok = w.status == "succeeded" && w.output.severity == "LOW"\n  if w.status == "succeeded" {\n    step n: Notifier { prompt: "${w.output.severity}" }\n  }',
    );
    assert.deepEqual(errors, []);
  });

  it('a compensation reads its own step; a foreach step is read by index after the loop', async () => {
    const { errors } = await checkFlow(
      '  step a: Intake { compensate: Notifier { prompt: "undo ${a.output.severity}" } }\n  foreach s in a.output.systems {\n    step m: Intake { prompt: "${s}" }\n  }\n  let x = m[0].output.severity\n  let n = len(m)',
    );
    assert.deepEqual(errors, []);
  });

  it('a foreach in a branch that may not run: after the loop its step is a list (empty when skipped), read without a guard; the unknown-field advice checks clean', async () => {
    const loop = '  output n: number\n  step a: Intake\n  if a.output.severity == "HIGH" {\n    foreach s in a.output.systems {\n      step work: Intake { prompt: "${s}" }\n    }\n  }\n';
    for (const read of ['len(work)', 'len(work ?? [])', 'work[0].status == "succeeded" ? 1 : 0', 'len(work) > 0 ? 1 : 0']) {
      const { errors } = await checkFlow(`${loop}  set output.n = ${read}`);
      assert.deepEqual(errors, [], read);
    }
    const { errors } = await checkFlow(`${loop}  set output.n = work.status == "succeeded" ? 1 : 0`);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['unknown-field', 'after its foreach, `work` is the list of its iterations: use `work[0].status` or `len(work)`']]);
  });

  it('a step in a branch inside a foreach body: the list needs no guard, an iteration does — and the advice given checks clean', async () => {
    const loop = '  output s: string\n  output n: number\n  step a: Intake\n  foreach x in a.output.systems {\n    if x == "crm" {\n      step work: Intake { prompt: "${x}" }\n    }\n  }\n';
    const { errors } = await checkFlow(`${loop}  set output.s = work[0].output.severity`);
    assert.deepEqual(errors, [
      p('step-maybe-skipped', [BODY + 8, 17, BODY + 8, 21], 'work', 'step `work` may not have run in every iteration of its `foreach` (it is inside a branch); read an iteration with `??` (e.g. `work[0].output.x ?? default`) or check its `status` first (`work[0].status`)'),
    ]);
    for (const read of ['output.s = work[0].output.severity ?? "none"', 'output.s = work[0].status == "succeeded" ? work[0].output.severity : "none"', 'output.n = len(work)']) {
      const { errors: advised } = await checkFlow(`${loop}  set ${read}`);
      assert.deepEqual(advised, [], read);
    }
  });

  it('an unreachable statement after fail: on the whole statement', async () => {
    const { errors } = await checkFlow('  fail "stop"\n  step a: Notifier');
    assert.deepEqual(errors, [p('unreachable-statement', [BODY + 1, 2, BODY + 1, 18], 'step a: Notifier', 'this statement can never run: the `fail` above always ends the run')]);
  });
});

describe('checker: let values and loop variables where they have no value', () => {
  it('a let value read before its let', async () => {
    const { errors } = await checkFlow('  let x = y\n  let y = 1');
    assert.deepEqual(errors, [p('not-in-scope', [BODY, 10, BODY, 11], 'y', `\`y\` is set later in the flow (line ${BODY + 2}), so it has no value here`)]);
  });

  it('a let value reading itself', async () => {
    const { errors } = await checkFlow('  let z = z');
    assert.deepEqual(errors, [p('not-in-scope', [BODY, 10, BODY, 11], 'z', '`let z` reads `z` before it is set')]);
  });

  it('a loop variable read after its foreach', async () => {
    const { errors } = await checkFlow('  foreach s in ["a", "b"] {\n    let t = s\n  }\n  let x = s');
    assert.deepEqual(errors, [p('not-in-scope', [BODY + 3, 10, BODY + 3, 11], 's', `\`s\` is the variable of a \`foreach\` (line ${BODY + 1}), so it exists only inside that loop's body`)]);
  });

  it('a let value of a branch read after the if', async () => {
    const { errors } = await checkFlow('  if true {\n    let v = 1\n  }\n  let w = v + 1');
    assert.deepEqual(errors, [
      p('not-in-scope', [BODY + 3, 10, BODY + 3, 11], 'v', `\`v\` is set inside a branch (line ${BODY + 2}), so it has no value when that branch did not run; compute it outside the branch instead (e.g. \`let x = cond ? a : b\`)`),
    ]);
  });

  it('a let value of a loop body read after the loop', async () => {
    const { errors } = await checkFlow('  foreach s in ["a"] {\n    let q = s\n  }\n  let r = q');
    assert.deepEqual(errors, [
      p('not-in-scope', [BODY + 3, 10, BODY + 3, 11], 'q', `\`q\` is set inside a loop (line ${BODY + 2}), so it exists only in that loop's body; after the loop, read the loop's steps instead (\`step[0].output\`, \`len(step)\`)`),
    ]);
  });

  it('a let value of one parallel branch read in a sibling branch (but fine after the parallel)', async () => {
    const { errors } = await checkFlow('  parallel {\n    let p = 1\n    let p2 = p\n  }\n  let p3 = p');
    assert.deepEqual(errors, [p('not-in-scope', [BODY + 2, 13, BODY + 2, 14], 'p', `\`p\` is set in a sibling branch of this \`parallel\` (line ${BODY + 2}), so it may have no value here`)]);
  });

  it('a let value of another branch of an if', async () => {
    const { errors } = await checkFlow('  if true {\n    let v = 1\n  } else {\n    let w = v\n  }');
    assert.deepEqual(errors, [p('not-in-scope', [BODY + 3, 12, BODY + 3, 13], 'v', `\`v\` is set in another branch of this \`if\` (line ${BODY + 2}), so it has no value when this code runs`)]);
  });

  it('a repeat\'s until reads the let values of its body', async () => {
    const { errors } = await checkFlow('  repeat max 3 {\n    let u = 1\n  } until u == 1');
    assert.deepEqual(errors, []);
  });

  it('a test\'s expect cannot read a loop variable or a let value of a loop body', async () => {
    const { errors } = await check('flow F {\n  foreach s in ["a"] {\n    let q = s\n  }\n}\ntest "t" { flow: F expect: q == s }\n');
    assert.deepEqual(errors, [
      p('not-in-scope', [5, 27, 5, 28], 'q', '`q` is set inside a loop (line 3) and exists only in that loop\'s body, not after the run'),
      p('not-in-scope', [5, 32, 5, 33], 's', '`s` is the variable of a `foreach` (line 2), so it exists only inside that loop\'s body, not after the run'),
    ]);
  });
});

describe('checker: fields and types', () => {
  it('a field the agent\'s output type does not have, with the fields it has', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  step b: Notifier { prompt: "${a.output.sevrity}" }');
    assert.deepEqual(errors, [p('unknown-field', [BODY + 1, 41, BODY + 1, 48], 'sevrity', 'agent `Intake`\'s output has no field `sevrity`; it has process_type, severity, amount, systems')]);
  });

  it('a field a sub-flow\'s outputs do not have', async () => {
    const { errors } = await check('flow Sub {\n  output total: number\n}\nflow Main {\n  step c: Sub\n  let x = c.output.totl\n}\n');
    assert.deepEqual(errors, [p('unknown-field', [5, 19, 5, 23], 'totl', 'flow `Sub` has no output `totl`; its outputs are total')]);
  });

  it('fields are followed through lists (systems[0].name on a string)', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  let x = a.output.systems[0].name');
    assert.deepEqual(errors, [p('unknown-field', [BODY + 1, 30, BODY + 1, 34], 'name', '`a.output.systems[0]` is string, which has no field `name`')]);
  });

  it('a foreach step read after the loop must be indexed', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  foreach s in a.output.systems {\n    step m: Intake\n  }\n  let x = m.output');
    assert.deepEqual(errors, [p('unknown-field', [BODY + 4, 12, BODY + 4, 18], 'output', 'after its foreach, `m` is the list of its iterations: use `m[0].output` or `len(m)`')]);
  });

  it('comparing a number with a string: on the comparison', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  let x = a.output.amount == "ten"');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 10, BODY + 1, 34], 'a.output.amount == "ten"', 'cannot compare number with "ten": the two sides never match')]);
  });

  it('comparing a literal union with a value outside it: on the value', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  let x = a.output.severity == "CRIT"');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 31, BODY + 1, 37], '"CRIT"', '`a.output.severity` is "LOW" | "HIGH" | "CRITICAL", never "CRIT"')]);
  });

  it('an approval\'s decision compared with a value it never has', async () => {
    const { errors } = await checkFlow('  approval ok { prompt: "?" }\n  let x = ok.output.decision == "maybe"');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 32, BODY + 1, 39], '"maybe"', '`ok.output.decision` is "approved" | "rejected" | "timeout", never "maybe"')]);
  });

  it('ordering (<) a list', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  let y = a.output.systems < a.output.systems');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 10, BODY + 1, 26], 'a.output.systems', '`<` compares numbers or text, not string[]')]);
  });

  it('arithmetic on text: on the offending side', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  let x = 10 - a.output.severity');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 15, BODY + 1, 32], 'a.output.severity', '`-` needs numbers, but this is "LOW" | "HIGH" | "CRITICAL"')]);
  });

  it('a switch case its subject can never equal: on the case value', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  switch a.output.severity {\n    case "CRIT" { step n: Notifier }\n    case 1 { step m: Notifier }\n    case "LOW", "HIGH" { step o: Notifier }\n  }');
    assert.deepEqual(errors, [
      p('type-mismatch', [BODY + 2, 9, BODY + 2, 15], '"CRIT"', 'this case never matches: `a.output.severity` is "LOW" | "HIGH" | "CRITICAL", never "CRIT"'),
      p('type-mismatch', [BODY + 3, 9, BODY + 3, 10], '1', 'this case never matches: `a.output.severity` is "LOW" | "HIGH" | "CRITICAL", but this is number'),
    ]);
  });

  it('foreach over a non-list: on the expression', async () => {
    const { errors } = await checkFlow('  step a: Intake\n  foreach s in a.output.severity {\n    step n: Notifier\n  }');
    assert.deepEqual(errors, [p('foreach-not-list', [BODY + 1, 15, BODY + 1, 32], 'a.output.severity', 'foreach needs a list, but this is "LOW" | "HIGH" | "CRITICAL"')]);
  });

  it('set output with a value of the wrong type', async () => {
    const { errors } = await checkFlow('  output n: number\n  set output.n = "many"');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 1, 17, BODY + 1, 23], '"many"', 'output `n` is number, but this value is "many"')]);
  });

  it('an input default of the wrong type', async () => {
    const { errors } = await checkFlow('  input n: number = "x"');
    assert.deepEqual(errors, [p('type-mismatch', [BODY, 20, BODY, 23], '"x"', 'the default of input `n` does not fit its type number: got "x"')]);
  });

  it('a stub value that does not fit the output type', async () => {
    const { errors } = await check('agent A { output: { n: number } stub: { n: "one" } }\n');
    assert.deepEqual(errors, [p('type-mismatch', [0, 38, 0, 50], '{ n: "one" }', 'this stub value does not fit the agent\'s output type { n: number }: field n: got "one"')]);
  });

  it('a test input of the wrong type', async () => {
    const { errors } = await check('flow F {\n  input n: number\n}\ntest "t" { flow: F input: { n: "x" } expect: true }\n');
    assert.deepEqual(errors, [p('type-mismatch', [3, 31, 3, 34], '"x"', 'input `n` expects number: got "x"')]);
  });
});

describe('checker: sub-flow calls and tests', () => {
  const SUB = 'flow Sub {\n  input a: string\n  input b: number = 1\n}\n';
  /** 0-based line of `step call` in `${AGENTS}${SUB}flow Main {\n  step call…`. */
  const CALL = BODY + 4;

  it('a sub-flow call missing a required input: on the flow name', async () => {
    const { errors } = await check(`${AGENTS}${SUB}flow Main {\n  step call: Sub { input: { b: 2 } }\n}\n`);
    assert.deepEqual(errors, [p('missing-input', [CALL, 13, CALL, 16], 'Sub', 'the call of flow `Sub` is missing required input `a`')]);
  });

  it('a sub-flow call naming an unknown input: on the key', async () => {
    const { errors } = await check(`${AGENTS}${SUB}flow Main {\n  step call: Sub { input: { a: "x", c: 1 } }\n}\n`);
    assert.deepEqual(errors, [p('unknown-input', [CALL, 36, CALL, 37], 'c', 'flow `Sub` has no input `c`')]);
  });

  it('a test missing a required input of its flow', async () => {
    const { errors } = await check('flow F {\n  input a: string\n}\ntest "t" { flow: F expect: true }\n');
    assert.deepEqual(errors, [p('missing-input', [3, 5, 3, 8], '"t"', 'test "t" is missing required input `a` of flow `F`')]);
  });

  it('a test naming an unknown input', async () => {
    const { errors } = await check('flow F {\n  input a: string = "x"\n}\ntest "t" { flow: F input: { b: 1 } expect: true }\n');
    assert.deepEqual(errors, [p('unknown-input', [3, 28, 3, 29], 'b', 'flow `F` has no input `b`')]);
  });

  it('a test without flow: or without expect:', async () => {
    const { errors } = await check('flow F {\n}\ntest "no flow" { expect: true }\ntest "no expect" { flow: F }\n');
    assert.deepEqual(errors, [
      p('incomplete-test', [2, 5, 2, 14], '"no flow"', 'test "no flow" needs `flow:` naming the flow it runs'),
      p('incomplete-test', [3, 5, 3, 16], '"no expect"', 'test "no expect" needs `expect:` — the condition that must hold after the run'),
    ]);
  });
});

describe('checker: values and settings', () => {
  it('invalid duration: a number without a unit', async () => {
    const { errors } = await checkFlow('  step a: Notifier { timeout: 30 }');
    assert.deepEqual(errors, [p('invalid-duration', [BODY, 30, BODY, 32], '30', 'a duration needs a unit: 30s, 30m, 30h (units: ms, s, m, h, d)')]);
  });

  it('invalid duration: an unknown unit, in a setting and in an expression', async () => {
    const { errors } = await checkFlow('  step a: Notifier { timeout: 5x }\n  let d = 5x');
    assert.deepEqual(errors, [
      p('invalid-duration', [BODY, 30, BODY, 32], '5x', 'invalid duration `5x`: use a number with ms, s, m, h or d (e.g. 30s)'),
      p('invalid-duration', [BODY + 1, 10, BODY + 1, 12], '5x', 'invalid duration `5x`: use a number with ms, s, m, h or d (e.g. 30s)'),
    ]);
  });

  it('invalid duration: zero where time must pass (wait 0s is fine)', async () => {
    const { errors } = await checkFlow('  step a: Notifier { timeout: 0s }\n  wait 0s');
    assert.deepEqual(errors, [p('invalid-duration', [BODY, 30, BODY, 32], '0s', 'a duration of `0s` is not allowed here: it must be more than 0')]);
  });

  it('invalid cron expression: wrong number of fields', async () => {
    const { errors } = await checkFlow('  trigger schedule "0 9 * *"');
    assert.deepEqual(errors, [p('invalid-cron', [BODY, 19, BODY, 28], '"0 9 * *"', 'invalid cron expression "0 9 * *": it has 4 fields; a schedule has 5: minute hour day-of-month month day-of-week')]);
  });

  it('invalid cron expression: a value out of range', async () => {
    const { errors } = await checkFlow('  trigger schedule "0 25 * * *"');
    assert.deepEqual(errors, [p('invalid-cron', [BODY, 19, BODY, 31], '"0 25 * * *"', 'invalid cron expression "0 25 * * *": invalid value for hour: 25')]);
  });

  it('invalid webhook paths', async () => {
    const { errors } = await checkFlow('  trigger webhook "process"\n  trigger webhook "/a?b"\n  trigger webhook "/x/../y"\n  trigger webhook "/a*b"');
    assert.deepEqual(errors, [
      p('invalid-webhook-path', [BODY, 18, BODY, 27], '"process"', 'invalid webhook path "process": it must start with /'),
      p('invalid-webhook-path', [BODY + 1, 18, BODY + 1, 24], '"/a?b"', 'invalid webhook path "/a?b": it may not contain spaces, ? or #'),
      p('invalid-webhook-path', [BODY + 2, 18, BODY + 2, 27], '"/x/../y"', 'invalid webhook path "/x/../y": it may not contain ..'),
      p('invalid-webhook-path', [BODY + 3, 18, BODY + 3, 24], '"/a*b"', 'invalid webhook path "/a*b": use letters, digits and - . _ ~ / : only'),
    ]);
  });

  it('retry out of range', async () => {
    const { errors } = await checkFlow('  step a: Intake { retry: 11 }');
    assert.deepEqual(errors, [p('out-of-range', [BODY, 26, BODY, 28], '11', 'retry must be a whole number from 0 to 10, not 11')]);
  });

  it('concurrency out of range', async () => {
    const { errors } = await checkFlow('  foreach s in ["a"] concurrency 0 {\n    step n: Notifier\n  }');
    assert.deepEqual(errors, [p('out-of-range', [BODY, 33, BODY, 34], '0', 'concurrency must be a whole number from 1 to 100, not 0')]);
  });

  it('temperature, max_tokens, budget and repeat max out of range', async () => {
    const { errors } = await check('agent A { stub: "x" temperature: 3 max_tokens: 0 }\nflow F {\n  budget tokens 0\n  step a: A\n  repeat max 0 {\n  } until true\n}\n');
    assert.deepEqual(errors, [
      p('out-of-range', [0, 33, 0, 34], '3', 'temperature must be from 0 to 2, not 3'),
      p('out-of-range', [0, 47, 0, 48], '0', 'max_tokens must be a whole number from 1 to 1,000,000, not 0'),
      p('out-of-range', [2, 16, 2, 17], '0', 'budget tokens must be a whole number above 0, not 0'),
      p('out-of-range', [4, 13, 4, 14], '0', 'repeat max must be a whole number from 1 to 1000, not 0'),
    ]);
  });

  it('repeat without max: on the keyword', async () => {
    const { errors } = await checkFlow('  repeat {\n    step r: Notifier\n  } until true');
    assert.deepEqual(errors, [p('repeat-without-max', [BODY, 2, BODY, 8], 'repeat', '`repeat` needs a bound: write `repeat max N { … } until …`')]);
  });

  it('an agent with neither model nor stub', async () => {
    const { errors } = await check('agent A { instructions: "x" }\n');
    assert.deepEqual(errors, [p('agent-without-model', [0, 6, 0, 7], 'A', 'agent `A` needs a `model` (a real agent) or a `stub` (an offline one)')]);
  });

  it('a model without a known provider', async () => {
    const { errors } = await check('agent A { model: "acme/x" stub: "x" }\nagent B { model: "gpt-4o" stub: "x" }\n');
    assert.deepEqual(errors, [
      p('unknown-provider', [0, 17, 0, 25], '"acme/x"', 'model "acme/x" must be written provider/model with a provider among openai, anthropic, ollama, http, command'),
      p('unknown-provider', [1, 17, 1, 25], '"gpt-4o"', 'model "gpt-4o" must be written provider/model with a provider among openai, anthropic, ollama, http, command'),
    ]);
  });

  it('a stub, an input default or a test input that is not a constant: on the value', async () => {
    const { errors } = await check('agent A { instructions: "x" stub: { n: input.x } }\nflow F {\n  input x: number = 1 + 2\n  step s: A\n}\ntest "t" { flow: F input: { x: input.x } expect: true }\n');
    assert.deepEqual(errors, [
      p('not-constant', [0, 34, 0, 48], '{ n: input.x }', 'a stub value must be a constant (text, numbers, booleans, null, lists and records) or error("message")'),
      p('not-constant', [2, 20, 2, 25], '1 + 2', 'an input default must be a constant'),
      p('not-constant', [5, 26, 5, 40], '{ x: input.x }', 'a test `input` must be a constant record of the flow\'s inputs'),
    ]);
  });
});

describe('checker: warnings', () => {
  it('an agent with no stub and no output', async () => {
    const { errors, warnings } = await check('agent A { model: "openai/x" }\nflow F {\n  step s: A\n}\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [p('agent-without-stub', [0, 6, 0, 7], 'A', 'agent `A` has no `stub` and no `output` type, so stub mode can only return placeholder text')]);
  });

  it('an unused agent', async () => {
    const { errors, warnings } = await check('agent A { stub: "x" }\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [p('unused-agent', [0, 6, 0, 7], 'A', 'agent `A` is never used by a step')]);
  });

  it('a step whose output is never read and whose agent names no side effect', async () => {
    const { errors, warnings } = await check('agent Scorer { model: "openai/x" output: { n: number } stub: { n: 1 } }\nflow F {\n  step s: Scorer\n}\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [p('unused-step-output', [2, 7, 2, 8], 's', 'the output of step `s` is never read, and agent `Scorer` names no side effect; read `s.output`, drop the step, or, if the step is for its effect, name the effect in the agent\'s `instructions` (send, update, create, notify, …) or remove its `output`')]);
  });

  it('each way the unread-output warning offers silences it: naming the effect in instructions, removing the output', async () => {
    const named = await check('agent Scorer { model: "openai/x" instructions: "Update the score in the CRM." output: { n: number } stub: { n: 1 } }\nflow F {\n  step s: Scorer\n}\n');
    const noOutput = await check('agent Scorer { model: "openai/x" stub: { n: 1 } }\nflow F {\n  step s: Scorer\n}\n');
    assert.deepEqual([named.warnings, noOutput.warnings], [[], []]);
  });

  it('no unread-output warning when the output is read, read by a test, or the agent names a side effect', async () => {
    const { warnings } = await check(
      'agent Scorer { model: "openai/x" output: { n: number } stub: { n: 1 } }\nagent Mailer { instructions: "Send the mail." output: { id: string } stub: { id: "1" } }\n' +
        'flow F {\n  output n: number\n  step a: Scorer\n  step b: Scorer\n  step c: Mailer\n  set output.n = a.output.n\n}\ntest "t" { flow: F expect: b.output.n == 1 }\n',
    );
    assert.deepEqual(warnings, []);
  });
});

describe('checker: signed numbers in settings', () => {
  it('`retry: -2` is a range error naming the setting, not a parse error; so are other negative settings', async () => {
    const { errors } = await check('agent A { stub: "x", retry: -2, temperature: -1 }\nflow F {\n  step a: A\n  foreach x in [1] concurrency -3 { }\n}\n');
    assert.deepEqual(
      errors.map((e) => [e.code, e.text, e.message]),
      [
        ['out-of-range', '-2', 'retry must be a whole number from 0 to 10, not -2'],
        ['out-of-range', '-1', 'temperature must be from 0 to 2, not -1'],
        ['out-of-range', '-3', 'concurrency must be a whole number from 1 to 100, not -3'],
      ],
    );
  });
});

describe('checker: every issue code is tested', () => {
  it('each code of IssueCodes is asserted by a test of test/language', () => {
    const sources = ['checker.test.ts', 'parser.test.ts', 'resilience.test.ts', 'build-isolation.test.ts', 'nesting.test.ts', 'recursion.test.ts', 'events.test.ts', 'joins.test.ts', 'state.test.ts', 'locks.test.ts', 'signals.test.ts', 'choice.test.ts', 'regions.test.ts', 'event-loops.test.ts', 'sla.test.ts', 'tools.test.ts', 'generate.test.ts'].map((f) => readFileSync(path.join(HERE, f), 'utf8')).join('\n');
    const untested = Object.values(IssueCodes).filter((code) => !sources.includes(`'${code}', [`) && !sources.includes(`['${code}', `) && !sources.includes(`{ code: '${code}', range: [`));
    assert.deepEqual(untested, []);
  });
});
