import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

/*
 * WCP-39 Critical Section, said by `lock "name" { … }`: examples/patterns/wcp-39-critical-section.flow has `test`
 * blocks that pass — and fail once the count no longer holds the reservation's lock (it takes a lock of another
 * name), so each `expect` depends on the exclusion.
 */

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns/wcp-39-critical-section.flow');

async function results(text: string) {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

describe('patterns: critical section (examples/patterns)', () => {
  it('wcp-39-critical-section.flow: its tests pass, and each fails without the lock', async () => {
    const text = readFileSync(FILE, 'utf8');
    const passing = await results(text);
    assert.equal(passing.length, 2);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    const held = 'lock "stock:${input.sku}" {\n      step count:';
    assert.ok(text.includes(held));
    const mutated = await results(text.split(held).join('lock "count:${input.sku}" {\n      step count:'));
    assert.deepEqual(mutated.map((r) => r.passed), [false, false], 'without the shared lock both tests fail');
  });
});
