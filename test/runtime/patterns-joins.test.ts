import { assertPatternNeedsConstruct, type PatternMutation } from './patterns-support.js';

/*
 * The workflow patterns (WCP, workflowpatterns.com) that `parallel`/`foreach` joins, `branch { … }`,
 * `parallel concurrency` and `range()` say directly: each `examples/patterns/wcp-*.flow` has `test` blocks
 * that pass — and fail once the construct is taken away (the mutation), so each `expect` really depends on
 * the pattern holding.
 */

/** A pattern file and the edit that takes its construct away: then at least one of its tests must fail. */
const CASES: PatternMutation[] = [
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
  // instances from events: a line added while another is picked runs beside it (one at a time, it starts only after)
  { file: 'wcp-15-mi-without-a-priori-runtime-knowledge.flow', without: ['timeout 7d {', 'timeout 7d concurrency 1 {'] },
  // the run-time condition closes the auction: without it, the later bid starts a fourth instance
  { file: 'wcp-36-dynamic-partial-join-mi.flow', without: ['until score.output.value >= input.reserve && vet.output.ok', ''] },
  { file: 'wcp-40-interleaved-routing.flow', without: ['parallel concurrency 1', 'parallel'] },
];

describe('patterns: splits and joins (examples/patterns)', () => {
  for (const c of CASES) {
    it(`${c.file}: its tests pass, and fail without the construct`, () => assertPatternNeedsConstruct(c));
  }
});
