import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

/*
 * WCP-24 Persistent Trigger inside a run, said by `signal` / `wait signal`: examples/patterns/wcp-24-signal-between-branches.flow
 * has a `test` block that passes — and fails once the signal is never raised (the raise behind `if false`): the
 * expectation depends on the kept signal.
 */

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns/wcp-24-signal-between-branches.flow');

async function results(text: string) {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

describe('patterns: signals between branches (examples/patterns)', () => {
  it('wcp-24-signal-between-branches.flow: its test passes, and fails when the signal is not raised', async () => {
    const text = readFileSync(FILE, 'utf8');
    const passing = await results(text);
    assert.equal(passing.length, 1);
    assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
    assert.ok(text.includes('      signal paid\n'));
    const mutated = await results(text.replace('      signal paid\n', '      if false { signal paid }\n'));
    assert.deepEqual(mutated.map((r) => r.passed), [false]);
  });
});
