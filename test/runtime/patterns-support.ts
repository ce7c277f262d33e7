// What the pattern suites (patterns-*.test.ts) share: the files of examples/patterns, their `test` blocks run,
// and the mutation check — a pattern's tests pass, and at least one fails once its construct is taken away, so
// each `expect` really depends on the pattern holding.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDef } from '@baton/protocol';
import { runTests, type TestResult } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

const PATTERNS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/patterns');

/** The text of `examples/patterns/<file>`. */
export function patternText(file: string): string {
  return readFileSync(path.join(PATTERNS, file), 'utf8');
}

/** The results of the `test` blocks of a `.flow` text, in order. */
export async function patternResults(text: string): Promise<TestResult[]> {
  const def = await compile(text);
  return runTests(def, def.tests as TestDef[]);
}

/** A pattern file and the edit that takes its construct away (`without`: [what, replaced by]). */
export interface PatternMutation {
  file: string;
  without: [string, string];
}

/**
 * Asserts that the file's tests all pass (there is at least one) and — with `c.without[0]` (which must be in the
 * text) replaced by `c.without[1]` everywhere — that at least one fails.
 */
export async function assertPatternNeedsConstruct(c: PatternMutation): Promise<void> {
  const text = patternText(c.file);
  const passing = await patternResults(text);
  assert.ok(passing.length > 0);
  assert.deepEqual(passing.filter((r) => !r.passed).map((r) => `${r.name}: ${r.message}`), []);
  assert.ok(text.includes(c.without[0]));
  const mutated = await patternResults(text.split(c.without[0]).join(c.without[1]));
  assert.ok(mutated.some((r) => !r.passed), `without \`${c.without[0]}\` a test of ${c.file} still passes`);
}
