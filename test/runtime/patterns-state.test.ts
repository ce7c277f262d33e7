import { assertPatternNeedsConstruct, type PatternMutation } from './patterns-support.js';

/*
 * The workflow patterns (WCP, workflowpatterns.com) that `var`, `set` and `wait until` say directly — WCP-18
 * Milestone, WCP-21 Structured Loop with loop-carried state, WCP-22 Recursion, WCP-10 Arbitrary Cycles as a
 * state machine: each `examples/patterns/wcp-*.flow` has `test` blocks that pass — and fail once the construct
 * is taken away (the mutation), so each `expect` really depends on the pattern holding.
 */

/** A pattern file and the edit that takes its construct away: then at least one of its tests must fail. */
const CASES: PatternMutation[] = [
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

describe('patterns: state, milestones and recursion (examples/patterns)', () => {
  for (const c of CASES) {
    it(`${c.file}: its tests pass, and fail without \`${c.without[0].split('\n')[0]}\``, () => assertPatternNeedsConstruct(c));
  }
});
