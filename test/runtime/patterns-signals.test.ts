import assert from 'node:assert/strict';
import { patternResults, patternText } from './patterns-support.js';

/*
 * WCP-24 Persistent Trigger inside a run, said by `signal` / `wait signal`: examples/patterns/wcp-24-signal-between-branches.flow
 * has a `test` block that passes — and fails once the signal is never raised (the raise behind `if false`): the
 * expectation depends on the kept signal.
 */

describe('patterns: signals between branches (examples/patterns)', () => {
  it('wcp-24-signal-between-branches.flow: its test passes, and fails when the signal is not raised', async () => {
    const text = patternText('wcp-24-signal-between-branches.flow');
    const passing = await patternResults(text);
    assert.equal(passing.length, 1);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    assert.ok(text.includes('      signal paid\n'));
    const mutated = await patternResults(text.replace('      signal paid\n', '      if false { signal paid }\n'));
    assert.deepEqual(mutated.map((r) => r.passed), [false]);
  });
});
