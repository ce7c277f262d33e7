import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

/*
 * WCP-16 Deferred Choice, said by `wait first { … }`: examples/patterns/wcp-16-deferred-choice.flow has three `test`
 * blocks (a payment at 2h beats the 3d timeout, the timeout beats a payment at 4d, a write-off at 1h beats a payment
 * at 2h) that pass — and fail once the choice no longer goes to the first arm to come (the arms made sequential
 * waits: the first arm's wait must then come before the others count).
 */

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns/wcp-16-deferred-choice.flow');

async function results(text: string) {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

describe('patterns: deferred choice (examples/patterns)', () => {
  it('wcp-16-deferred-choice.flow: its tests pass, and fail when the choice is not the first to come', async () => {
    const text = readFileSync(FILE, 'utf8');
    const passing = await results(text);
    assert.equal(passing.length, 3);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    // the event arm as a plain wait before the rest: the payment is awaited first, whatever comes meanwhile
    const sequential = text.replace('  wait first {\n    on event "payment.received" as payment where order_id == input.order_id {', '  wait event "payment.received" as payment where order_id == input.order_id\n  wait first {\n    on approval never { }\n    on event "payment.received" where order_id == "none" {');
    assert.notEqual(sequential, text);
    const mutated = await results(sequential);
    assert.deepEqual(mutated.map((r) => r.passed), [false, false, false]);
  });
});
