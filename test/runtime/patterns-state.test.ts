import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

/*
 * The workflow patterns (WCP, workflowpatterns.com) that `var`, `set` and `wait until` say directly — WCP-18
 * Milestone, WCP-21 Structured Loop with loop-carried state, WCP-22 Recursion, WCP-10 Arbitrary Cycles as a
 * state machine: each `examples/patterns/wcp-*.flow` has `test` blocks that pass — and fail once the construct
 * is taken away (the mutation), so each `expect` really depends on the pattern holding.
 */

const PATTERNS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns');

/** A pattern file and the edit that takes its construct away: then at least one of its tests must fail. */
const CASES: { file: string; without: [string, string] }[] = [
  // no milestone: the change branch runs at once, while the order is still new
  { file: 'wcp-18-milestone.flow', without: ['wait until stage == "packed" timeout 1d on timeout {\n        fail "the order was never packed"\n      }', ''] },
  // the deadline arm: without it the late milestone never sets `late`
  { file: 'wcp-18-milestone.flow', without: ['set late = true', 'set late = false'] },
  // no carried state: each iteration starts from the declaration again
  { file: 'wcp-21-structured-loop.flow', without: ['set total = total + page.output.count', 'set total = 0 + page.output.count'] },
  // no recursion: the flow does its part and stops
  { file: 'wcp-22-recursion.flow', without: ['step right: Split { input: { size: input.size / 2 } }', 'step right: Worker { prompt: "all of the right half at once" }'] },
  // no state machine: the review's verdict does not lead back to writing
  { file: 'wcp-10-state-machine.flow', without: ['set state = rev.output.ok ? "done" : "draft"', 'set state = "done"'] },
];

async function results(text: string) {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

describe('patterns: state, milestones and recursion (examples/patterns)', () => {
  for (const c of CASES) {
    it(`${c.file}: its tests pass, and fail without \`${c.without[0].split('\n')[0]}\``, async () => {
      const text = readFileSync(path.join(PATTERNS, c.file), 'utf8');
      const passing = await results(text);
      assert.ok(passing.length > 0);
      assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
      assert.ok(text.includes(c.without[0]));
      const mutated = await results(text.split(c.without[0]).join(c.without[1]));
      assert.ok(mutated.some((r) => !r.passed), `without \`${c.without[0]}\` a test of ${c.file} still passes`);
    });
  }
});
