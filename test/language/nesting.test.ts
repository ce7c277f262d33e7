import assert from 'node:assert/strict';
import { check, checkText, services } from './helpers.js';

/**
 * Deeply nested text gets one clear `nesting-too-deep` error on the right place, never a stack overflow
 * (which failed `baton check` with "Maximum call stack size exceeded" and crashed the language server).
 */
const flowSetting = (expression: string): string => `flow F {\n  output x: number\n  set output.x = ${expression}\n}\n`;
const sum = (terms: number): string => Array(terms).fill('1').join(' + ');

describe('checker: nesting limits', () => {
  it('60 nested parentheses: one error on the parenthesis that opens level 21 (the flow\'s brace is level 1)', async () => {
    const text = flowSetting('('.repeat(60) + '1' + ')'.repeat(60));
    const { errors } = await check(text);
    assert.deepEqual(
      errors.map((e) => [e.code, e.range, e.text]),
      [['nesting-too-deep', [2, 17 + 19, 2, 17 + 20], '(']],
    );
    assert.match(errors[0].message, /^nesting deeper than 20 levels: blocks, brackets and `\$\{…\}` nest at most 20 deep/);
  });

  it('19 nested parentheses (20 levels with the flow\'s brace) check clean', async () => {
    const { errors } = await check(flowSetting('('.repeat(19) + '1' + ')'.repeat(19)));
    assert.deepEqual(errors, []);
  });

  it('200 unclosed nested `if true {`: one error on the brace of level 21, nothing about the missing braces', async () => {
    const { errors } = await check('flow F {\n' + 'if true {\n'.repeat(200));
    assert.deepEqual(
      errors.map((e) => [e.code, e.range, e.text]),
      [['nesting-too-deep', [20, 8, 20, 9], '{']],
    );
  });

  it('500 closed nested ifs: one error, and the declarations after the flow are still checked', async () => {
    const { errors } = await check('flow F {\n' + 'if true {\n'.repeat(500) + '}\n'.repeat(500) + '}\nflow G {\n  step s: Nope\n}\n');
    assert.deepEqual(
      errors.map((e) => [e.code, e.text]),
      [
        ['nesting-too-deep', '{'],
        ['unknown-agent', 'Nope'],
      ],
    );
  });

  it('a flat sum of 201 terms checks clean; of 202 terms it is one level too deep for a run, reported on the operator', async () => {
    assert.deepEqual((await check(flowSetting(sum(201)))).errors, []);
    const { errors } = await check(flowSetting(sum(202)));
    assert.deepEqual(
      errors.map((e) => [e.code, e.range, e.text]),
      [['nesting-too-deep', [2, 19, 2, 20], '+']],
    );
    assert.match(errors[0].message, /^expression nested deeper than 200 levels .*a run could not evaluate it: split it into `let` values$/);
  });

  it('a flat sum of 2,500 terms: one error, on an operator past the 2,000th (the parser reads at most 2,000 per expression)', async () => {
    const { errors } = await check(flowSetting(sum(2500)));
    assert.deepEqual(
      errors.map((e) => [e.code, e.text]),
      [['nesting-too-deep', '+']],
    );
    const operator = (errors[0].range[1] - 17 + 2) / 4; // `1 + ` is 4 characters; the n-th `+` starts at 17 + 4n - 2
    assert.ok(operator > 2000 && operator <= 2002, `operator ${operator}`);
    assert.match(errors[0].message, /more than 2000 operators in one expression/);
  });

  it('chains without brackets — 1,000 prefix minus signs, `?:` and `else if` — end in one error each, not an overflow', async () => {
    const texts = [
      flowSetting('- '.repeat(1000) + '1'),
      flowSetting('true ? 1 : '.repeat(1000) + '1'),
      'flow F {\n  input a: boolean\n  if input.a { } ' + 'else if input.a { } '.repeat(1000) + '\n}\n',
      flowSetting('x' + '.a'.repeat(20_000)),
      'type T = number' + '[]'.repeat(20_000) + '\n',
    ];
    for (const text of texts) {
      const { errors } = await check(text);
      // (`x` is an unknown name too)
      assert.deepEqual(
        errors.map((e) => e.code).filter((c) => c !== 'unknown-name'),
        ['nesting-too-deep'],
        text.slice(0, 60),
      );
    }
  });

  it('the IR builder refuses an expression deeper than a run evaluates with a message, not a stack overflow', async () => {
    const { document } = await checkText(flowSetting(sum(1500)));
    assert.throws(() => services.Baton.ir.WorkflowBuilder.build([document]), /^Error: expression nested deeper than 200 levels \(line 3\)$/);
  });
});
