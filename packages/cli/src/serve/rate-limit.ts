import type { RateLimit } from '@baton/runtime';

/**
 * A sliding-window rate limiter: at most `max` admissions in any `perMs` milliseconds. It keeps the times of the
 * last `max` admissions in a ring (O(1) per request, `max` numbers of memory): a request is admitted when the
 * oldest of them is at least `perMs` old. Exact, unlike a fixed window, which lets up to 2×`max` through around
 * a window's edge. Times come from the caller (ms since the epoch), so tests drive it with a fake clock.
 */
export class SlidingWindowLimiter {
  private readonly times: Float64Array;
  /** The slot of the oldest admission (and of the next one). */
  private head = 0;
  private count = 0;

  constructor(readonly limit: RateLimit) {
    if (!Number.isInteger(limit.max) || limit.max < 1 || !(limit.perMs > 0)) throw new RangeError(`a rate limit needs max ≥ 1 and perMs > 0, not ${JSON.stringify(limit)}`);
    this.times = new Float64Array(limit.max);
  }

  /**
   * Admits a request at `nowMs` (counted) or refuses it (not counted).
   * @returns `{ admitted: true }`, or `{ admitted: false, retryAfterMs }`: how long until one more is admitted (> 0).
   */
  take(nowMs: number): { admitted: true } | { admitted: false; retryAfterMs: number } {
    if (this.count === this.limit.max) {
      const freeAt = this.times[this.head] + this.limit.perMs;
      if (freeAt > nowMs) return { admitted: false, retryAfterMs: freeAt - nowMs };
    } else this.count++;
    this.times[this.head] = nowMs;
    this.head = (this.head + 1) % this.limit.max;
    return { admitted: true };
  }
}
