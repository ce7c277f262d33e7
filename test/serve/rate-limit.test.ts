import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SlidingWindowLimiter } from '../../packages/cli/src/serve/rate-limit.js';

describe('baton serve: the per-tenant rate limiter (sliding window)', () => {
  it('admits exactly what a log of every admission would: at most max in any perMs, and says when the next one is admitted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }), (max, perMs, gaps) => {
        const limiter = new SlidingWindowLimiter({ max, perMs });
        const admitted: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          const inWindow = admitted.filter((t) => t > now - perMs);
          const expected = inWindow.length < max;
          const taken = limiter.take(now);
          assert.equal(taken.admitted, expected, `at ${now} ms`);
          if (taken.admitted) admitted.push(now);
          // refused: the next admission is when the oldest admission in the window leaves it
          else assert.equal(taken.retryAfterMs, inWindow[0] + perMs - now);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('refuses a limit it cannot keep', () => {
    assert.throws(() => new SlidingWindowLimiter({ max: 0, perMs: 1000 }), RangeError);
    assert.throws(() => new SlidingWindowLimiter({ max: 2, perMs: 0 }), RangeError);
  });
});
