import assert from 'node:assert/strict';
import { patternResults, patternText } from './patterns-support.js';

/*
 * WCP-39 Critical Section, said by `lock "name" { … }`: examples/patterns/wcp-39-critical-section.flow has `test`
 * blocks that pass — and fail once the count no longer holds the reservation's lock (it takes a lock of another
 * name), so each `expect` depends on the exclusion.
 */

describe('patterns: critical section (examples/patterns)', () => {
  it('wcp-39-critical-section.flow: its tests pass, and each fails without the lock', async () => {
    const text = patternText('wcp-39-critical-section.flow');
    const passing = await patternResults(text);
    assert.equal(passing.length, 2);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    const held = 'lock "stock:${input.sku}" {\n      step count:';
    assert.ok(text.includes(held));
    const mutated = await patternResults(text.split(held).join('lock "count:${input.sku}" {\n      step count:'));
    assert.deepEqual(mutated.map((r) => r.passed), [false, false], 'without the shared lock both tests fail');
  });
});
