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
  take(nowMs: number): RateTaken {
    if (this.count === this.limit.max) {
      const freeAt = this.times[this.head] + this.limit.perMs;
      if (freeAt > nowMs) return { admitted: false, retryAfterMs: freeAt - nowMs };
    } else this.count++;
    this.times[this.head] = nowMs;
    this.head = (this.head + 1) % this.limit.max;
    return { admitted: true };
  }
}

/** What counting one request against a limit gives (see {@link SlidingWindowLimiter.take}). */
export type RateTaken = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * Counts each tenant's webhook and event requests against its rate limit. `baton serve` keeps one in-process
 * {@link SlidingWindowLimiter} per tenant ({@link LocalRateLimits}); `baton serve --queue` counts in Redis, shared by
 * every front door of the cluster ({@link SharedRateLimits}).
 */
export interface TenantRateLimits {
  /** Counts one request of `tenant` at `nowMs` (ms since the epoch) against `limit`. */
  take(tenant: string, limit: RateLimit, nowMs: number): RateTaken | Promise<RateTaken>;
}

/** One {@link SlidingWindowLimiter} per tenant, in this process (made at the tenant's first request). */
export class LocalRateLimits implements TenantRateLimits {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  take(tenant: string, limit: RateLimit, nowMs: number): RateTaken {
    let limiter = this.limiters.get(tenant);
    if (!limiter || limiter.limit.max !== limit.max || limiter.limit.perMs !== limit.perMs) {
      limiter = new SlidingWindowLimiter(limit);
      this.limiters.set(tenant, limiter);
    }
    return limiter.take(nowMs);
  }
}

/** A cluster-wide count (the cluster package's `RedisRateLimiter`): rejects when it cannot count. */
export interface ClusterRateLimiter {
  readonly location: string;
  take(tenant: string, limit: RateLimit): Promise<RateTaken>;
}

/**
 * The rate limits of a cluster's front door: counted in Redis, so every front door together admits `max` per window.
 * While Redis cannot count (down, unreachable, slower than its timeout), each front door fails open to its own
 * in-process window — at most `max` per window per front door, the limit of a lone `baton serve` — and logs one line
 * when that starts and one when Redis counts again: webhooks keep being taken (the front door stores runs while Redis
 * is away, and the reconciler enqueues them) and a tenant is still limited.
 */
export class SharedRateLimits implements TenantRateLimits {
  private readonly fallback = new LocalRateLimits();
  private failing = false;

  constructor(
    private readonly shared: ClusterRateLimiter,
    private readonly log: (line: string) => void,
  ) {}

  async take(tenant: string, limit: RateLimit, nowMs: number): Promise<RateTaken> {
    let taken: RateTaken;
    try {
      taken = await this.shared.take(tenant, limit);
    } catch (error) {
      if (!this.failing) this.log(`rate limits: ${(error as Error).message}; each front door limits by itself (max per window here) until Redis answers`);
      this.failing = true;
      return this.fallback.take(tenant, limit, nowMs);
    }
    if (this.failing) this.log(`rate limits: counted in Redis at ${this.shared.location} again, cluster-wide`);
    this.failing = false;
    return taken;
  }
}
