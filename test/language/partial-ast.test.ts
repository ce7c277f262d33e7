import assert from 'node:assert/strict';
import { check } from './helpers.js';

/**
 * Error recovery leaves partial nodes (a property without its value, a declaration without its name, a
 * node of the rule's own type): the checks must read them as "unknown", never throw. A thrown check shows
 * as "An error occurred during validation" plus a stack trace on stderr.
 */
describe('checker: partial syntax trees from error recovery', () => {
  it('a test `input` without its value is a parse error, not a checker crash', async () => {
    const { errors } = await check('test "t" { input }\n');
    assert.deepEqual(
      errors.map((e) => [e.code, e.text, e.message]),
      [
        ['incomplete-test', '"t"', 'test "t" needs `flow:` naming the flow it runs'],
        ['incomplete-test', '"t"', 'test "t" needs `expect:` — the condition that must hold after the run'],
        ['parse-error', '}', 'expected `:` but found `}`'],
      ],
    );
  });

  it('`set output.x = (` with nothing after the parenthesis reads as unknown, not a crash', async () => {
    const { errors } = await check('flow F {\n output result: number\n set output.result = (\n}\n');
    assert.deepEqual(
      errors.map((e) => [e.code, e.text]),
      [['parse-error', '}']],
    );
  });

  it('a sub-flow call against a flow whose input has no name yet checks the named inputs only', async () => {
    const { errors } = await check('flow F\n input:step :F{input{severity b:input');
    assert.deepEqual(
      errors.filter((e) => e.code !== 'parse-error').map((e) => [e.code, e.text]),
      [
        // the step calls F from F with no condition: every run of F would call F again
        ['unbounded-recursion', 'F'],
        ['unknown-input', 'severity'],
        ['unknown-name', 'b'],
        ['duplicate-property', 'input'],
      ],
    );
  });
});
