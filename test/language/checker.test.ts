import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENTS, checkText, withCode } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Checks `flowBody` inside `flow F { … }` after the shared agents; line numbers below count from AGENTS' end. */
async function checkFlow(flowBody: string, extra = '') {
  return checkText(`${AGENTS}${extra}flow F {\n${flowBody}\n}\n`);
}
/** 0-based line of the flow body's first line. */
const BODY = AGENTS.split('\n').length;

describe('checker: names and references', () => {
  it('the spec\'s complete example checks without errors', async () => {
    const text = readFileSync(path.join(HERE, 'fixtures', 'spec-example.flow'), 'utf8');
    const { diagnostics } = await checkText(text);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => `${d.code}: ${d.message}`), []);
  });

  it('an unknown agent is reported on the name with a did-you-mean', async () => {
    const { diagnostics } = await checkFlow('  step a: Intak { prompt: "x" }');
    assert.deepEqual(withCode(diagnostics, 'unknown-agent'), [
      { line: BODY, character: 10, message: 'unknown agent or flow `Intak`; did you mean `Intake`?' },
    ]);
  });

  it('an unknown step name in an expression is reported', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake { prompt: "${nope.output}" }');
    assert.equal(withCode(diagnostics, 'unknown-name')[0].message, 'unknown name `nope`: no step, approval, let value or loop variable of this flow is called that');
  });

  it('an unknown input lists the flow\'s inputs', async () => {
    const { diagnostics } = await checkFlow('  input request: string\n  step a: Intake { prompt: "${input.reqest}" }');
    assert.deepEqual(withCode(diagnostics, 'unknown-input'), [{ line: BODY + 1, character: 36, message: 'unknown input `reqest`; the flow\'s inputs are request' }]);
  });

  it('an unknown type and an unknown flow in a test are reported', async () => {
    const { diagnostics } = await checkText(`${AGENTS}type T = Missing\ntest "t" { flow: Nope expect: true }\n`);
    assert.equal(withCode(diagnostics, 'unknown-type')[0].message, 'unknown type `Missing`');
    assert.equal(withCode(diagnostics, 'unknown-flow')[0].message, 'unknown flow `Nope`');
  });

  it('duplicate step names are reported on the second name', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  if true {\n    step a: Notifier\n  }');
    assert.deepEqual(withCode(diagnostics, 'duplicate-name'), [
      { line: BODY + 2, character: 9, message: 'duplicate name `a`: a step, approval, let value or loop variable of this flow already has it' },
    ]);
  });

  it('a duplicate property is reported on the second', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake { timeout: 5s timeout: 10s }');
    assert.deepEqual(withCode(diagnostics, 'duplicate-property'), [{ line: BODY, character: 31, message: '`timeout` is given twice in this block' }]);
  });

  it('an unknown function suggests the closest one; a wrong argument count is reported', async () => {
    const { diagnostics } = await checkFlow('  let a = lowr("x")\n  let b = upper("a", "b")');
    assert.equal(withCode(diagnostics, 'unknown-function')[0].message, 'unknown function `lowr()`; did you mean `lower`?');
    assert.equal(withCode(diagnostics, 'wrong-argument-count')[0].message, 'upper(text) takes 1 argument, not 2');
  });
});

describe('checker: order of execution', () => {
  it('a step read before its own statement is reported', async () => {
    const { diagnostics } = await checkFlow('  step a: Notifier { prompt: "${b.output}" }\n  step b: Notifier');
    assert.deepEqual(withCode(diagnostics, 'step-used-before-run'), [{ line: BODY, character: 32, message: 'step `b` runs later in the flow, so its output is not available here' }]);
  });

  it('a step from one parallel branch read in a sibling branch is reported', async () => {
    const { diagnostics } = await checkFlow('  parallel {\n    step p1: Intake\n    step p2: Notifier { prompt: "${p1.output.severity}" }\n  }');
    assert.deepEqual(withCode(diagnostics, 'step-in-sibling-branch'), [
      { line: BODY + 2, character: 35, message: 'step `p1` runs in a sibling branch of this `parallel`, so its output is not available here' },
    ]);
  });

  it('a step inside an if read after it without ?? or a status check is reported', async () => {
    const { diagnostics } = await checkFlow('  output s: string\n  if true {\n    step a: Intake\n  }\n  set output.s = a.output.severity');
    assert.deepEqual(withCode(diagnostics, 'step-maybe-skipped').map((d) => [d.line, d.character]), [[BODY + 4, 17]]);
  });

  it('?? , a status check and an enclosing if on the status all guard a possibly skipped step', async () => {
    const { diagnostics } = await checkFlow(
      '  output s: string\n  step w: Intake { when: false }\n  set output.s = w.output.severity ?? "none"\n  let ok = w.status == "succeeded" && w.output.severity == "LOW"\n  if w.status == "succeeded" {\n    step n: Notifier { prompt: "${w.output.severity}" }\n  }',
    );
    assert.deepEqual(withCode(diagnostics, 'step-maybe-skipped'), []);
  });

  it('a step in another branch of an if is reported', async () => {
    const { diagnostics } = await checkFlow('  if true {\n    step a: Intake\n  } else {\n    step b: Notifier { prompt: "${a.output.severity}" }\n  }');
    assert.equal(withCode(diagnostics, 'step-used-before-run')[0].message, 'step `a` is in another branch of this `if`, so it never runs when this code does');
  });

  it('a statement after fail is unreachable', async () => {
    const { diagnostics } = await checkFlow('  fail "stop"\n  step a: Notifier');
    assert.deepEqual(withCode(diagnostics, 'unreachable-statement'), [{ line: BODY + 1, character: 2, message: 'this statement can never run: the `fail` above always ends the run' }]);
  });
});

describe('checker: types', () => {
  it('a field the agent\'s output type does not have is reported with the fields it has', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  step b: Notifier { prompt: "${a.output.sevrity}" }');
    assert.deepEqual(withCode(diagnostics, 'unknown-field'), [
      { line: BODY + 1, character: 41, message: 'agent `Intake`\'s output has no field `sevrity`; it has process_type, severity, amount, systems' },
    ]);
  });

  it('fields are followed through lists (systems[0].x on a string is reported)', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.systems[0].name');
    assert.equal(withCode(diagnostics, 'unknown-field')[0].message, '`a.output.systems[0]` is string, which has no field `name`');
  });

  it('comparing a number with a string is a type mismatch', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.amount == "ten"');
    assert.equal(withCode(diagnostics, 'type-mismatch')[0].message, 'cannot compare number with "ten": the two sides never match');
  });

  it('comparing a literal union with a value outside it is a type mismatch', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.severity == "CRIT"');
    assert.equal(withCode(diagnostics, 'type-mismatch')[0].message, '`a.output.severity` is "LOW" | "HIGH" | "CRITICAL", never "CRIT"');
  });

  it('foreach over a non-list is reported', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  foreach s in a.output.severity {\n    step n: Notifier\n  }');
    assert.deepEqual(withCode(diagnostics, 'foreach-not-list'), [{ line: BODY + 1, character: 15, message: 'foreach needs a list, but this is "LOW" | "HIGH" | "CRITICAL"' }]);
  });

  it('a foreach step read after the loop must be indexed', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake\n  foreach s in a.output.systems {\n    step m: Intake\n  }\n  let x = m.output');
    assert.equal(withCode(diagnostics, 'unknown-field')[0].message, 'after its foreach, `m` is the list of its iterations: use `m[0].output` or `len(m)`');
  });

  it('a stub value that does not fit the output type is reported', async () => {
    const { diagnostics } = await checkText('agent A { output: { n: number } stub: { n: "one" } }\n');
    assert.equal(withCode(diagnostics, 'type-mismatch')[0].message, 'this stub value does not fit the agent\'s output type { n: number }: field n: got "one"');
  });

  it('set output with a value of the wrong type is reported', async () => {
    const { diagnostics } = await checkFlow('  output n: number\n  set output.n = "many"');
    assert.equal(withCode(diagnostics, 'type-mismatch')[0].message, 'output `n` is number, but this value is "many"');
  });
});

describe('checker: sub-flows, settings and tests', () => {
  it('a sub-flow call missing a required input or naming an unknown one is reported', async () => {
    const sub = 'flow Sub {\n  input a: string\n  input b: number = 1\n}\n';
    const { diagnostics } = await checkText(`${AGENTS}${sub}flow Main {\n  step call: Sub { input: { c: 1 } }\n}\n`);
    assert.equal(withCode(diagnostics, 'missing-input')[0].message, 'the call of flow `Sub` is missing required input `a`');
    assert.equal(withCode(diagnostics, 'unknown-input')[0].message, 'flow `Sub` has no input `c`');
  });

  it('invalid durations, cron expressions and webhook paths are reported', async () => {
    const { diagnostics } = await checkFlow('  trigger schedule "0 9 * *"\n  trigger webhook "process"\n  step a: Notifier { timeout: 30 }\n  step b: Notifier { timeout: 5x }');
    assert.equal(withCode(diagnostics, 'invalid-cron')[0].message, 'invalid cron expression "0 9 * *": it has 4 fields; a schedule has 5: minute hour day-of-month month day-of-week');
    assert.equal(withCode(diagnostics, 'invalid-webhook-path')[0].message, 'invalid webhook path "process": it must start with /');
    assert.deepEqual(withCode(diagnostics, 'invalid-duration').map((d) => d.message), [
      'a duration needs a unit: 30s, 30m, 30h (units: ms, s, m, h, d)',
      'invalid duration `5x`: use a number with ms, s, m, h or d (e.g. 30s)',
    ]);
  });

  it('retry and concurrency out of range, and repeat without max, are reported', async () => {
    const { diagnostics } = await checkFlow('  step a: Intake { retry: 11 }\n  foreach s in a.output.systems concurrency 0 {\n    step n: Notifier\n  }\n  repeat {\n    step r: Notifier\n  } until true');
    assert.deepEqual(withCode(diagnostics, 'out-of-range').map((d) => d.message), ['retry must be a whole number from 0 to 10, not 11', 'concurrency must be a whole number from 1 to 100, not 0']);
    assert.deepEqual(withCode(diagnostics, 'repeat-without-max'), [{ line: BODY + 4, character: 2, message: '`repeat` needs a bound: write `repeat max N { … } until …`' }]);
  });

  it('an agent with neither model nor stub is an error; an unknown provider is an error', async () => {
    const { diagnostics } = await checkText('agent A { instructions: "x" }\nagent B { model: "acme/x" }\n');
    assert.equal(withCode(diagnostics, 'agent-without-model')[0].message, 'agent `A` needs a `model` (a real agent) or a `stub` (an offline one)');
    assert.match(withCode(diagnostics, 'unknown-provider')[0].message, /model "acme\/x" must be written provider\/model/);
  });

  it('warns about an agent with no stub and no output, an unused agent and an unread step output', async () => {
    const { diagnostics } = await checkText('agent A { model: "openai/x" }\nagent Scorer { model: "openai/x" output: { n: number } }\nflow F {\n  step s: Scorer\n}\n');
    assert.ok(diagnostics.filter((d) => d.code === 'agent-without-stub').every((d) => d.severity === 2));
    assert.equal(withCode(diagnostics, 'agent-without-stub')[0].message, 'agent `A` has no `stub` and no `output` type, so stub mode can only return placeholder text');
    assert.equal(withCode(diagnostics, 'unused-agent')[0].message, 'agent `A` is never used by a step');
    assert.equal(withCode(diagnostics, 'unused-step-output')[0].message, 'the output of step `s` is never read, and agent `Scorer` names no side effect; read it, or drop the step');
  });

  it('a test without flow or expect, or with an unknown input, is reported', async () => {
    const { diagnostics } = await checkText(`${AGENTS}flow F {\n  input a: string = "x"\n}\ntest "no expect" { flow: F input: { b: 1 } }\n`);
    assert.equal(withCode(diagnostics, 'incomplete-test')[0].message, 'test "no expect" needs `expect:` — the condition that must hold after the run');
    assert.equal(withCode(diagnostics, 'unknown-input')[0].message, 'flow `F` has no input `b`');
  });
});
