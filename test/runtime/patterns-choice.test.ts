import assert from 'node:assert/strict';
import { patternResults, patternText } from './patterns-support.js';

/*
 * WCP-16 Deferred Choice, said by `wait first { … }`: examples/patterns/wcp-16-deferred-choice.flow has three `test`
 * blocks (a payment at 2h beats the 3d timeout, the timeout beats a payment at 4d, a write-off at 1h beats a payment
 * at 2h) that pass — and all fail once the choice no longer goes to the first arm to come (the payment awaited on
 * its own before the rest: the environment no longer picks).
 */

const FILE = 'wcp-16-deferred-choice.flow';

describe('patterns: deferred choice (examples/patterns)', () => {
  it('wcp-16-deferred-choice.flow: its tests pass, and all fail when the choice is not the first to come', async () => {
    const text = patternText(FILE);
    const passing = await patternResults(text);
    assert.equal(passing.length, 3);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    const head = '  wait first {\n    on event "payment.received" as payment where order_id == input.order_id {';
    assert.ok(text.includes(head));
    // the payment awaited first, on its own; the remaining arms (write-off, timeout) only after it
    const sequential = text.replace(head, '  wait event "payment.received" as payment where order_id == input.order_id\n  wait first {\n    on event "payment.never" {');
    const mutated = await patternResults(sequential);
    assert.deepEqual(mutated.map((r) => r.passed), [false, false, false]);
  });
});
