/**
 * The tenants' webhook rate limits of a cluster (issue 11): one sliding window per tenant in Redis, shared by every
 * `baton serve --queue` front door, so N front doors behind a load balancer admit `max` per window together — not N×.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { BatonError, type RateLimit } from '@baton/runtime';
import { redisConnection } from './redis-connection.js';

/** What one request's count against a limit gives: admitted, or refused with the time until one more is admitted. */
export type RateTaken = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * The sliding-window log (a sorted set of the admissions' times, ms) of one tenant, in one atomic script:
 * drop the admissions older than the window, admit when fewer than `max` are left (adding this one, the key
 * expiring after a window of quiet), else say when the oldest leaves the window. Times are Redis's own clock
 * (`TIME`), one clock for every front door. The pattern is Redis's documented sliding-window rate limiter with a
 * sorted set (ZREMRANGEBYSCORE / ZCARD / ZADD), made atomic as a Lua script (EVALSHA).
 *
 * KEYS[1] the tenant's set; ARGV[1] max, ARGV[2] perMs, ARGV[3] a member unique to this request.
 * Returns {1, 0} (admitted) or {0, retryAfterMs}.
 */
const SLIDING_WINDOW_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local max = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], per)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + per - now)}
`;

/** The longest one count waits for Redis (ms) before it fails (`QUEUE_UNREACHABLE`): a request is not kept waiting. */
const TAKE_TIMEOUT_MS = 1000;

type ScriptedRedis = Redis & { batonSlidingWindow(key: string, max: number, perMs: number, member: string): Promise<[number, number]> };

/**
 * Counts webhook and event requests against each tenant's rate limit across a cluster (see {@link SLIDING_WINDOW_LUA}):
 * at most `max` admissions in any `perMs` ms, whichever front door takes them. Keys: `baton:rate:<tenant>` (a sorted set,
 * gone after a window without requests). The connection is its own, failing fast while Redis is away (no offline
 * queue, {@link TAKE_TIMEOUT_MS} per count) and reconnecting by itself.
 */
export class RedisRateLimiter {
  private sequence = 0;
  private readonly prefix = randomBytes(6).toString('hex');

  private constructor(
    private readonly redis: ScriptedRedis,
    /** `redis://host:port` without a password, for messages. */
    readonly location: string,
  ) {}

  /**
   * Connects to Redis at `url` (as {@link redisConnection}: the password from the URL or `REDISCLI_AUTH`).
   * @throws BatonError `QUEUE_UNREACHABLE` naming where and why.
   */
  static async open(url: string, options: { connectTimeoutMs?: number } = {}): Promise<RedisRateLimiter> {
    const { connection, location } = await redisConnection(url, options.connectTimeoutMs);
    const redis = new Redis({ ...connection, maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: TAKE_TIMEOUT_MS, lazyConnect: true }) as ScriptedRedis;
    // a lost connection is reported by the counts that fail meanwhile; ioredis reconnects by itself
    redis.on('error', () => undefined);
    redis.defineCommand('batonSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
    try {
      // connected before the first count (without an offline queue, a count before it would fail)
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new BatonError('QUEUE_UNREACHABLE', `cannot reach Redis at ${location} for the rate limits: ${(error as Error).message}`);
    }
    return new RedisRateLimiter(redis, location);
  }

  /**
   * Counts one request of `tenant` against `limit` (Redis's clock: the caller's time is not used).
   * @returns admitted, or refused with `retryAfterMs` (≥ 1): how long until one more is admitted.
   * @throws BatonError `QUEUE_UNREACHABLE` when Redis does not answer (down, unreachable, slower than 1 s).
   */
  async take(tenant: string, limit: RateLimit): Promise<RateTaken> {
    const member = `${this.prefix}:${++this.sequence}`;
    let answer: [number, number];
    try {
      answer = await this.redis.batonSlidingWindow(`baton:rate:${tenant}`, limit.max, limit.perMs, member);
    } catch (error) {
      throw new BatonError('QUEUE_UNREACHABLE', `the rate limit of tenant ${tenant} cannot be counted in Redis at ${this.location}: ${(error as Error).message}`);
    }
    return answer[0] === 1 ? { admitted: true } : { admitted: false, retryAfterMs: Number(answer[1]) };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
