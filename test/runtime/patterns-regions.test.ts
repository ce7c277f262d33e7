import { assertPatternNeedsConstruct, type PatternMutation } from './patterns-support.js';

/*
 * WCP-19 Cancel Task, WCP-25 Cancel Region, WCP-26 Cancel Multiple Instance Activity, WCP-27 Complete Multiple
 * Instance Activity and WCP-43 Explicit Termination, said by `cancel <step>`, `region … on cancel`, `cancel <region>`
 * around a `foreach`, `complete <region>` and a bare `complete`: each file in examples/patterns has `test` blocks that
 * pass — and at least one fails once the cancel/complete is taken away (a `wait` of a second in its place), so each
 * `expect` depends on the pattern holding.
 */

const CASES: PatternMutation[] = [
  { file: 'wcp-19-cancel-task.flow', without: ['        cancel check\n', '        wait 1s\n'] },
  { file: 'wcp-25-cancel-region.flow', without: ['        cancel fulfil\n', '        wait 1s\n'] },
  { file: 'wcp-26-cancel-mi-activity.flow', without: ['        cancel quotes\n', '        wait 1s\n'] },
  { file: 'wcp-27-complete-mi-activity.flow', without: ['          complete review\n', '          wait 1s\n'] },
  { file: 'wcp-43-explicit-termination.flow', without: ['        complete\n', '        wait 1s\n'] },
];

describe('patterns: cancellation and early termination (examples/patterns)', () => {
  for (const c of CASES) {
    it(`${c.file}: its tests pass, and one fails without its ${c.without[0].trim()}`, async () => {
      await assertPatternNeedsConstruct(c);
    });
  }
});
