import assert from 'node:assert/strict';
import { AGENTS, check, type Problem } from './helpers.js';

/*
 * The checker's rules for loop-carried state (`var`, `set <var> = …`) and milestones (`wait until`): each
 * test pins the complete list of errors (or warnings) — code, exact range, text and message.
 */

async function checkFlow(flowBody: string, extra = '') {
  return check(`${AGENTS}${extra}flow F {\n${flowBody}\n}\n`);
}
const BODY = AGENTS.split('\n').length;

function p(code: string, range: Problem['range'], text: string, message: string): Problem {
  return { code, range, text, message };
}

describe('checker: var and set', () => {
  it('a var carried through a repeat, read in `until` and after the loop, checks clean', async () => {
    const { errors, warnings } = await checkFlow([
      '  var total = 0',
      '  var names: string[] = []',
      '  repeat max 5 {',
      '    step a: Intake { prompt: "after ${total}" }',
      '    set total = total + 1',
      '    set names = names + [a.output.severity]',
      '  } until total >= 3 || len(names) > 4',
      '  step n: Notifier { prompt: "${total} ${names[0]}" }',
    ].join('\n'));
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings.filter((w) => w.code !== 'unused-agent'), []);
  });

  it('set of a step, a let value or a loop variable: not-assignable, on the name', async () => {
    const { errors } = await checkFlow([
      '  let x = 1',
      '  set x = 2',
      '  foreach i in [1] {',
      '    set i = 3',
      '  }',
      '  step a: Notifier',
      '  set a = 4',
    ].join('\n'));
    assert.deepEqual(errors, [
      p('not-assignable', [BODY + 1, 6, BODY + 1, 7], 'x', '`x` is a `let` value, which cannot change: only a `var` can be set (declare `var x = …`)'),
      p('not-assignable', [BODY + 3, 8, BODY + 3, 9], 'i', '`i` is a loop variable, which cannot change: only a `var` can be set (declare `var i = …`)'),
      p('not-assignable', [BODY + 6, 6, BODY + 6, 7], 'a', '`a` is a step, which cannot change: only a `var` can be set (declare `var a = …`)'),
    ]);
  });

  it('set of an undeclared name: unknown-name, with the hint to declare it', async () => {
    const { errors } = await checkFlow('  set count = 1');
    assert.deepEqual(errors, [p('unknown-name', [BODY, 6, BODY, 11], 'count', 'unknown name `count`: no `var` of this flow is called that; declare it first (`var count = …`)')]);
  });

  it('a value of the wrong type: type-mismatch, on the value (declared and inferred types; a literal is widened)', async () => {
    const { errors } = await checkFlow([
      '  var total = 0',
      '  var stage = "new"',
      '  var level: "low" | "high" = "low"',
      '  set total = "many"',
      '  set stage = "packed"',
      '  set level = "mid"',
      '  set stage = 3',
    ].join('\n'));
    assert.deepEqual(errors, [
      p('type-mismatch', [BODY + 3, 14, BODY + 3, 20], '"many"', 'var `total` is number, but this value is "many"'),
      p('type-mismatch', [BODY + 5, 14, BODY + 5, 19], '"mid"', 'var `level` is "low" | "high", never "mid"'),
      p('type-mismatch', [BODY + 6, 14, BODY + 6, 15], '3', 'var `stage` is string, but this value is number'),
    ]);
  });

  it('var x = null or [] without a type: var-needs-type; with a type (`any` for null) it checks, and a wrong initial value is a type-mismatch', async () => {
    const { errors } = await checkFlow([
      '  var best = null',
      '  var seen = []',
      '  var ok: any = null',
      '  var n: number = "one"',
      '  step a: Notifier { prompt: "${best} ${seen} ${ok} ${n}" }',
    ].join('\n'));
    assert.deepEqual(errors, [
      p('var-needs-type', [BODY, 13, BODY, 17], 'null', '`var best` starts as null, which says nothing of what it will hold: give it a type (`var best: any = null`)'),
      p('var-needs-type', [BODY + 1, 13, BODY + 1, 15], '[]', '`var seen` starts as an empty list, which says nothing of what it will hold: give it a type (`var seen: string[] = []`)'),
      p('type-mismatch', [BODY + 3, 18, BODY + 3, 23], '"one"', 'var `n` is number, but this value is "one"'),
    ]);
  });

  it('a var set in two branches of one parallel, or in a concurrent foreach: var-set-concurrently on the later set', async () => {
    const { errors } = await checkFlow([
      '  var stage = "new"',
      '  parallel {',
      '    set stage = "a"',
      '    if true { set stage = "b" }',
      '  }',
      '  foreach i in [1, 2] concurrency 2 {',
      '    set stage = "c"',
      '  }',
      '  foreach j in [1, 2] {',
      '    set stage = "d"',
      '  }',
    ].join('\n'));
    assert.deepEqual(errors, [
      p('var-set-concurrently', [BODY + 3, 18, BODY + 3, 23], 'stage', `\`stage\` is also set in branch 1 of this \`parallel\` (line ${BODY + 2}): the branches run at once, so which value stays would depend on timing; set it in one branch, or after the \`parallel\``),
      p('var-set-concurrently', [BODY + 6, 8, BODY + 6, 13], 'stage', `\`stage\` is set in a \`foreach\` with concurrency 2 (line ${BODY + 6}): its iterations run at once, so which value stays would depend on timing; collect the values as the loop's steps instead, or run the loop with concurrency 1`),
    ]);
  });

  it('branches of `parallel concurrency 1` run one after the other: setting a var in two of them is no race', async () => {
    const { errors } = await checkFlow('  var stage = "new"\n  parallel concurrency 1 {\n    set stage = "a"\n    branch {\n      set stage = "b"\n    }\n  }');
    assert.deepEqual(errors, []);
  });

  it('a var declared inside a concurrent iteration is that iteration\'s own: no var-set-concurrently', async () => {
    const { errors } = await checkFlow([
      '  foreach i in [1, 2] concurrency 2 {',
      '    var mine = 0',
      '    set mine = mine + i',
      '  }',
    ].join('\n'));
    assert.deepEqual(errors, []);
  });

  it('a var read or set outside its block, or before its declaration: not-in-scope', async () => {
    const { errors } = await checkFlow([
      '  step a: Notifier { prompt: "${early}" }',
      '  var early = 1',
      '  repeat max 2 {',
      '    var inner = 0',
      '    set inner = inner + 1',
      '  } until inner > 0',
      '  set inner = 5',
      '  step b: Notifier { prompt: "${inner}" }',
    ].join('\n'));
    assert.deepEqual(errors, [
      p('not-in-scope', [BODY, 32, BODY, 37], 'early', `\`early\` is declared later in the flow (line ${BODY + 2}), so it has no value here`),
      p('not-in-scope', [BODY + 6, 6, BODY + 6, 11], 'inner', `\`inner\` is declared inside a loop (line ${BODY + 4}), so it exists only in that loop's body; after the loop, read the loop's steps instead (\`step[0].output\`, \`len(step)\`)`),
      p('not-in-scope', [BODY + 7, 32, BODY + 7, 37], 'inner', `\`inner\` is declared inside a loop (line ${BODY + 4}), so it exists only in that loop's body; after the loop, read the loop's steps instead (\`step[0].output\`, \`len(step)\`)`),
    ]);
  });

  it('a top-level var is readable in a test\'s expect; one of a loop body is not-in-scope there', async () => {
    const { errors } = await check(`${AGENTS}flow F {\n  var total = 0\n  repeat max 2 {\n    var inner = 1\n    set total = total + inner\n  } until total > 1\n}\ntest "t" { flow: F expect: total == 2 && inner == 1 }\n`);
    assert.deepEqual(errors, [p('not-in-scope', [BODY + 6, 41, BODY + 6, 46], 'inner', `\`inner\` is declared inside a loop (line ${BODY + 3}) and exists only in that loop's body, not after the run`)]);
  });

  it('a var shares the flow\'s names: a step of the same name is a duplicate-name', async () => {
    const { errors } = await checkFlow('  var a = 1\n  step a: Notifier');
    assert.deepEqual(errors, [p('duplicate-name', [BODY + 1, 7, BODY + 1, 8], 'a', 'duplicate name `a`: a step, approval, event wait, region, let value, var or loop variable of this flow already has it')]);
  });

  it('`var` is a reserved word: a step cannot be called var, an input can', async () => {
    const { errors } = await check(`${AGENTS}flow F {\n  input var: string\n  step n: Notifier { prompt: "\${input.var}" }\n}\nflow G {\n  step var: Notifier\n}\n`);
    // flow F (an input named var, read as input.var) has none; `step var` is refused where it is written
    assert.deepEqual(errors.filter((e) => e.range[0] < BODY + 4), []);
    assert.deepEqual([errors[0].code, errors[0].range[0], errors[0].text], ['parse-error', BODY + 4, 'var']);
  });
});

describe('checker: wait until', () => {
  it('a milestone over a var another branch sets checks clean, with its timeout arm', async () => {
    const { errors, warnings } = await checkFlow([
      '  var stage = "new"',
      '  parallel {',
      '    set stage = "packed"',
      '    wait until stage == "packed" timeout 1h on timeout {',
      '      step late: Notifier { prompt: "late" }',
      '    }',
      '  }',
    ].join('\n'));
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings.filter((w) => w.code !== 'unused-agent'), []);
  });

  it('a condition reading no var that is ever set: wait-until-never-changes (warning), on the condition', async () => {
    const { errors, warnings } = await checkFlow('  var stage = "new"\n  step a: Notifier\n  wait until stage == "packed" || a.status == "failed"');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings.filter((w) => w.code !== 'unused-agent'), [p('wait-until-never-changes', [BODY + 2, 13, BODY + 2, 54], 'stage == "packed" || a.status == "failed"', '`wait until` waits for a `var` another statement sets, but this condition reads none: it holds at once or never (the run would fail with DEADLOCK); read a `var` that a `set` in another branch changes')]);
  });

  it('the condition is type-checked like any expression', async () => {
    const { errors } = await checkFlow('  var stage = "new"\n  parallel {\n    set stage = "x"\n    wait until stage == 3\n  }');
    assert.deepEqual(errors, [p('type-mismatch', [BODY + 3, 15, BODY + 3, 25], 'stage == 3', 'cannot compare string with number: the two sides never match')]);
  });
});
