import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

/*
 * The workflow patterns (WCP, workflowpatterns.com) that `parallel`/`foreach` joins, `branch { … }`,
 * `parallel concurrency` and `range()` say directly: each `examples/patterns/wcp-*.flow` has `test` blocks
 * that pass — and fail once the construct is taken away (the mutation), so each `expect` really depends on
 * the pattern holding.
 */

const PATTERNS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns');

/** A pattern file and the edit that takes its construct away: then at least one of its tests must fail. */
const CASES: { file: string; without: [string, string] }[] = [
  // multi-choice: the arms taken must run at once (sequential `if`s would pass the merge but not the overlap)
  { file: 'wcp-06-multi-choice.flow', without: ['  parallel {\n    if claim', '  if true {\n    if claim'] },
  { file: 'wcp-09-structured-discriminator.flow', without: ['parallel first keep', 'parallel'] },
  { file: 'wcp-12-mi-without-synchronization.flow', without: [' first 0 keep', ''] },
  { file: 'wcp-13-mi-design-time.flow', without: ['range(3)', '[0, 1]'] },
  { file: 'wcp-17-interleaved-parallel-routing.flow', without: ['parallel concurrency 1', 'parallel'] },
  { file: 'wcp-28-blocking-discriminator.flow', without: ['parallel first keep', 'parallel first'] },
  { file: 'wcp-29-cancelling-discriminator.flow', without: ['parallel first', 'parallel first keep'] },
  { file: 'wcp-30-structured-partial-join.flow', without: ['parallel first 2 keep', 'parallel'] },
  { file: 'wcp-31-blocking-partial-join.flow', without: ['parallel first 2 keep', 'parallel first 2'] },
  { file: 'wcp-32-cancelling-partial-join.flow', without: ['parallel first 2', 'parallel first 2 keep'] },
  { file: 'wcp-34-static-partial-join-mi.flow', without: ['first 2 keep', ''] },
  { file: 'wcp-35-cancelling-partial-join-mi.flow', without: ['first 2 where review.output.decision == "approved"', ''] },
  { file: 'wcp-36-dynamic-partial-join-mi.flow', without: ['until score.output.value >= input.reserve', ''] },
  { file: 'wcp-40-interleaved-routing.flow', without: ['parallel concurrency 1', 'parallel'] },
];

async function results(text: string) {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

describe('patterns: splits and joins (examples/patterns)', () => {
  for (const c of CASES) {
    it(`${c.file}: its tests pass, and fail without the construct`, async () => {
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
