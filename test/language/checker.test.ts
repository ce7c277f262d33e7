import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENTS, all, checkText, only } from './helpers.js';

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
    const { document, diagnostics } = await checkFlow('  step a: Intak { prompt: "x" }');
    assert.deepEqual(all(document, diagnostics, 'unknown-agent'), [
      { line: BODY, text: 'Intak', message: 'unknown agent or flow `Intak`; did you mean `Intake`?' },
    ]);
  });

  it('an unknown step name in an expression is reported', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake { prompt: "${nope.output}" }');
    assert.deepEqual(only(document, diagnostics, 'unknown-name'), { line: BODY, text: "nope", message: 'unknown name `nope`: no step, approval, let value or loop variable of this flow is called that' });
  });

  it('an unknown input lists the flow\'s inputs', async () => {
    const { document, diagnostics } = await checkFlow('  input request: string\n  step a: Intake { prompt: "${input.reqest}" }');
    assert.deepEqual(all(document, diagnostics, 'unknown-input'), [{ line: BODY + 1, text: 'reqest', message: 'unknown input `reqest`; the flow\'s inputs are request' }]);
  });

  it('an unknown type and an unknown flow in a test are reported', async () => {
    const { document, diagnostics } = await checkText(`${AGENTS}type T = Missing\ntest "t" { flow: Nope expect: true }\n`);
    assert.deepEqual(only(document, diagnostics, 'unknown-type'), { line: 6, text: "Missing", message: 'unknown type `Missing`' });
    assert.deepEqual(only(document, diagnostics, 'unknown-flow'), { line: BODY, text: "Nope", message: 'unknown flow `Nope`' });
  });

  it('duplicate step names are reported on the second name', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  if true {\n    step a: Notifier\n  }');
    assert.deepEqual(all(document, diagnostics, 'duplicate-name'), [
      { line: BODY + 2, text: 'a', message: 'duplicate name `a`: a step, approval, let value or loop variable of this flow already has it' },
    ]);
  });

  it('a duplicate property is reported on the second', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake { timeout: 5s timeout: 10s }');
    assert.deepEqual(all(document, diagnostics, 'duplicate-property'), [{ line: BODY, text: 'timeout', message: '`timeout` is given twice in this block' }]);
  });

  it('an unknown function suggests the closest one; a wrong argument count is reported', async () => {
    const { document, diagnostics } = await checkFlow('  let a = lowr("x")\n  let b = upper("a", "b")');
    assert.deepEqual(only(document, diagnostics, 'unknown-function'), { line: BODY, text: "lowr", message: 'unknown function `lowr()`; did you mean `lower`?' });
    assert.deepEqual(only(document, diagnostics, 'wrong-argument-count'), { line: BODY + 1, text: "upper", message: 'upper(text) takes 1 argument, not 2' });
  });
});

describe('checker: order of execution', () => {
  it('a step read before its own statement is reported', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Notifier { prompt: "${b.output}" }\n  step b: Notifier');
    assert.deepEqual(all(document, diagnostics, 'step-used-before-run'), [{ line: BODY, text: 'b', message: 'step `b` runs later in the flow, so its output is not available here' }]);
  });

  it('a step from one parallel branch read in a sibling branch is reported', async () => {
    const { document, diagnostics } = await checkFlow('  parallel {\n    step p1: Intake\n    step p2: Notifier { prompt: "${p1.output.severity}" }\n  }');
    assert.deepEqual(all(document, diagnostics, 'step-in-sibling-branch'), [
      { line: BODY + 2, text: 'p1', message: 'step `p1` runs in a sibling branch of this `parallel`, so its output is not available here' },
    ]);
  });

  it('a step inside an if read after it without ?? or a status check is reported', async () => {
    const { document, diagnostics } = await checkFlow('  output s: string\n  if true {\n    step a: Intake\n  }\n  set output.s = a.output.severity');
    assert.deepEqual(only(document, diagnostics, 'step-maybe-skipped'), {
      line: BODY + 4,
      text: 'a',
      message: 'step `a` may not have run (it is inside a branch); read it with `??` (e.g. `a.output.x ?? default`) or check `a.status` first',
    });
  });

  it('?? , a status check and an enclosing if on the status all guard a possibly skipped step', async () => {
    const { document, diagnostics } = await checkFlow(
      '  output s: string\n  step w: Intake { when: false }\n  set output.s = w.output.severity ?? "none"\n  let ok = w.status == "succeeded" && w.output.severity == "LOW"\n  if w.status == "succeeded" {\n    step n: Notifier { prompt: "${w.output.severity}" }\n  }',
    );
    assert.deepEqual(all(document, diagnostics, 'step-maybe-skipped'), []);
  });

  it('a step in another branch of an if is reported', async () => {
    const { document, diagnostics } = await checkFlow('  if true {\n    step a: Intake\n  } else {\n    step b: Notifier { prompt: "${a.output.severity}" }\n  }');
    assert.deepEqual(only(document, diagnostics, 'step-used-before-run'), { line: BODY + 3, text: "a", message: 'step `a` is in another branch of this `if`, so it never runs when this code does' });
  });

  it('a statement after fail is unreachable', async () => {
    const { document, diagnostics } = await checkFlow('  fail "stop"\n  step a: Notifier');
    assert.deepEqual(all(document, diagnostics, 'unreachable-statement'), [{ line: BODY + 1, text: 'step a: Notifier', message: 'this statement can never run: the `fail` above always ends the run' }]);
  });
});

describe('checker: types', () => {
  it('a field the agent\'s output type does not have is reported with the fields it has', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  step b: Notifier { prompt: "${a.output.sevrity}" }');
    assert.deepEqual(all(document, diagnostics, 'unknown-field'), [
      { line: BODY + 1, text: 'sevrity', message: 'agent `Intake`\'s output has no field `sevrity`; it has process_type, severity, amount, systems' },
    ]);
  });

  it('fields are followed through lists (systems[0].x on a string is reported)', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.systems[0].name');
    assert.deepEqual(only(document, diagnostics, 'unknown-field'), { line: BODY + 1, text: "name", message: '`a.output.systems[0]` is string, which has no field `name`' });
  });

  it('comparing a number with a string is a type mismatch', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.amount == "ten"');
    assert.deepEqual(only(document, diagnostics, 'type-mismatch'), { line: BODY + 1, text: "a.output.amount == \"ten\"", message: 'cannot compare number with "ten": the two sides never match' });
  });

  it('comparing a literal union with a value outside it is a type mismatch', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  let x = a.output.severity == "CRIT"');
    assert.deepEqual(only(document, diagnostics, 'type-mismatch'), { line: BODY + 1, text: "\"CRIT\"", message: '`a.output.severity` is "LOW" | "HIGH" | "CRITICAL", never "CRIT"' });
  });

  it('foreach over a non-list is reported', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  foreach s in a.output.severity {\n    step n: Notifier\n  }');
    assert.deepEqual(all(document, diagnostics, 'foreach-not-list'), [{ line: BODY + 1, text: 'a.output.severity', message: 'foreach needs a list, but this is "LOW" | "HIGH" | "CRITICAL"' }]);
  });

  it('a foreach step read after the loop must be indexed', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  foreach s in a.output.systems {\n    step m: Intake\n  }\n  let x = m.output');
    assert.deepEqual(only(document, diagnostics, 'unknown-field'), { line: BODY + 4, text: "output", message: 'after its foreach, `m` is the list of its iterations: use `m[0].output` or `len(m)`' });
  });

  it('a stub value that does not fit the output type is reported', async () => {
    const { document, diagnostics } = await checkText('agent A { output: { n: number } stub: { n: "one" } }\n');
    assert.deepEqual(only(document, diagnostics, 'type-mismatch'), { line: 0, text: "{ n: \"one\" }", message: 'this stub value does not fit the agent\'s output type { n: number }: field n: got "one"' });
  });

  it('set output with a value of the wrong type is reported', async () => {
    const { document, diagnostics } = await checkFlow('  output n: number\n  set output.n = "many"');
    assert.deepEqual(only(document, diagnostics, 'type-mismatch'), { line: BODY + 1, text: "\"many\"", message: 'output `n` is number, but this value is "many"' });
  });
});

describe('checker: sub-flows, settings and tests', () => {
  it('a sub-flow call missing a required input or naming an unknown one is reported', async () => {
    const sub = 'flow Sub {\n  input a: string\n  input b: number = 1\n}\n';
    const { document, diagnostics } = await checkText(`${AGENTS}${sub}flow Main {\n  step call: Sub { input: { c: 1 } }\n}\n`);
    assert.deepEqual(only(document, diagnostics, 'missing-input'), { line: BODY + 4, text: "Sub", message: 'the call of flow `Sub` is missing required input `a`' });
    assert.deepEqual(only(document, diagnostics, 'unknown-input'), { line: BODY + 4, text: "c", message: 'flow `Sub` has no input `c`' });
  });

  it('invalid durations, cron expressions and webhook paths are reported', async () => {
    const { document, diagnostics } = await checkFlow('  trigger schedule "0 9 * *"\n  trigger webhook "process"\n  step a: Notifier { timeout: 30 }\n  step b: Notifier { timeout: 5x }');
    assert.deepEqual(only(document, diagnostics, 'invalid-cron'), { line: BODY, text: "\"0 9 * *\"", message: 'invalid cron expression "0 9 * *": it has 4 fields; a schedule has 5: minute hour day-of-month month day-of-week' });
    assert.deepEqual(only(document, diagnostics, 'invalid-webhook-path'), { line: BODY + 1, text: "\"process\"", message: 'invalid webhook path "process": it must start with /' });
    assert.deepEqual(all(document, diagnostics, 'invalid-duration'), [
      { line: BODY + 2, text: '30', message: 'a duration needs a unit: 30s, 30m, 30h (units: ms, s, m, h, d)' },
      { line: BODY + 3, text: '5x', message: 'invalid duration `5x`: use a number with ms, s, m, h or d (e.g. 30s)' },
    ]);
  });

  it('retry and concurrency out of range, and repeat without max, are reported', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake { retry: 11 }\n  foreach s in a.output.systems concurrency 0 {\n    step n: Notifier\n  }\n  repeat {\n    step r: Notifier\n  } until true');
    assert.deepEqual(all(document, diagnostics, 'out-of-range'), [
      { line: BODY, text: '11', message: 'retry must be a whole number from 0 to 10, not 11' },
      { line: BODY + 1, text: '0', message: 'concurrency must be a whole number from 1 to 100, not 0' },
    ]);
    assert.deepEqual(all(document, diagnostics, 'repeat-without-max'), [{ line: BODY + 4, text: 'repeat', message: '`repeat` needs a bound: write `repeat max N { … } until …`' }]);
  });

  it('an agent with neither model nor stub is an error; an unknown provider is an error', async () => {
    const { document, diagnostics } = await checkText('agent A { instructions: "x" }\nagent B { model: "acme/x" }\n');
    assert.deepEqual(only(document, diagnostics, 'agent-without-model'), { line: 0, text: "A", message: 'agent `A` needs a `model` (a real agent) or a `stub` (an offline one)' });
    assert.match(only(document, diagnostics, 'unknown-provider').message, /model "acme\/x" must be written provider\/model/);
  });

  it('warns about an agent with no stub and no output, an unused agent and an unread step output', async () => {
    const { document, diagnostics } = await checkText('agent A { model: "openai/x" }\nagent Scorer { model: "openai/x" output: { n: number } }\nflow F {\n  step s: Scorer\n}\n');
    assert.ok(diagnostics.filter((d) => d.code === 'agent-without-stub').every((d) => d.severity === 2));
    assert.deepEqual(only(document, diagnostics, 'agent-without-stub'), { line: 0, text: "A", message: 'agent `A` has no `stub` and no `output` type, so stub mode can only return placeholder text' });
    assert.deepEqual(only(document, diagnostics, 'unused-agent'), { line: 0, text: "A", message: 'agent `A` is never used by a step' });
    assert.deepEqual(only(document, diagnostics, 'unused-step-output'), { line: 3, text: "s", message: 'the output of step `s` is never read, and agent `Scorer` names no side effect; read it, or drop the step' });
  });

  it('a test without flow or expect, or with an unknown input, is reported', async () => {
    const { document, diagnostics } = await checkText(`${AGENTS}flow F {\n  input a: string = "x"\n}\ntest "no expect" { flow: F input: { b: 1 } }\n`);
    assert.deepEqual(only(document, diagnostics, 'incomplete-test'), { line: BODY + 2, text: "\"no expect\"", message: 'test "no expect" needs `expect:` — the condition that must hold after the run' });
    assert.deepEqual(only(document, diagnostics, 'unknown-input'), { line: BODY + 2, text: "b", message: 'flow `F` has no input `b`' });
  });

  it('a stub or input default that is not a constant is reported on the value', async () => {
    const { document, diagnostics } = await checkText(`agent A { instructions: "x" stub: { n: input.x } }\nflow F {\n  input x: number = 1 + 2\n  step s: A\n}\n`);
    assert.deepEqual(all(document, diagnostics, 'not-constant'), [
      { line: 0, text: '{ n: input.x }', message: 'a stub value must be a constant (text, numbers, booleans, null, lists and records) or error("message")' },
      { line: 2, text: '1 + 2', message: 'an input default must be a constant' },
    ]);
  });

  it('an unknown output is reported with the outputs the flow has', async () => {
    const { document, diagnostics } = await checkFlow('  output status: string\n  set output.stauts = "x"');
    assert.deepEqual(only(document, diagnostics, 'unknown-output'), { line: BODY + 1, text: 'stauts', message: "unknown output `stauts`; the flow's outputs are status" });
  });

  it('arithmetic on text is a type mismatch on the offending side', async () => {
    const { document, diagnostics } = await checkFlow('  step a: Intake\n  let x = 10 - a.output.severity');
    assert.deepEqual(only(document, diagnostics, 'type-mismatch'), { line: BODY + 1, text: 'a.output.severity', message: '`-` needs numbers, but this is "LOW" | "HIGH" | "CRITICAL"' });
  });
});
