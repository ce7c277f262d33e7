// `GET /stats` of `baton serve`: the console's metrics page figures for the caller's tenant (the store's `runStats`),
// cached for a while — the page is read by many people, the figures move slowly.
import type { RunStats, RunStoreApi } from '@baton/runtime';
import { HttpError } from './http-io.js';
import { timeParam } from './runs-query.js';

/** How long an answer of `GET /stats` is reused for the same tenant and query, ms. */
export const STATS_CACHE_MS = 30_000;
/** The window when `from` is not given: the 7 days before `to`. */
const DEFAULT_WINDOW_MS = 7 * 24 * 3600_000;
/** The longest window: a year and a day. */
const MAX_WINDOW_MS = 366 * 24 * 3600_000;
/** How many answers are kept. */
const CACHED = 64;

/**
 * The answers of `GET /stats?from&to&flow&bucket=day` (role `read`): `runStats` of the caller's tenant over runs started
 * in [`from`, `to`) (ISO 8601; default the 7 days before now), of one flow or all; `bucket` is `day`, the only one.
 * An answer is reused for {@link STATS_CACHE_MS} for the same tenant and query (a default window moves with it).
 */
export class StatsRoute {
  private readonly cache = new Map<string, { at: number; stats: Promise<RunStats> }>();

  constructor(private readonly store: RunStoreApi) {}

  /**
   * @throws HttpError 400 `BAD_QUERY` (a time that is not ISO 8601, `from` not before `to`, a window over 366 days, a
   *   bucket other than `day`, an empty flow), 501 `NOT_SUPPORTED` for a store without `runStats`.
   */
  answer(params: URLSearchParams, tenant: string, now: number): Promise<RunStats> {
    const bucket = params.get('bucket');
    if (bucket !== null && bucket !== 'day') throw new HttpError(400, 'BAD_QUERY', `bucket must be day (the only one), not "${bucket.slice(0, 40)}"`);
    const flow = params.get('flow') ?? undefined;
    if (flow === '') throw new HttpError(400, 'BAD_QUERY', 'flow= needs a flow name');
    const to = timeParam(params, 'to') ?? now;
    const from = timeParam(params, 'from') ?? to - DEFAULT_WINDOW_MS;
    if (from >= to) throw new HttpError(400, 'BAD_QUERY', `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
    if (to - from > MAX_WINDOW_MS) throw new HttpError(400, 'BAD_QUERY', 'the window from … to is at most 366 days');
    if (!this.store.runStats) throw new HttpError(501, 'NOT_SUPPORTED', 'this store has no run statistics');
    const key = `${tenant}\u0000${params.get('from') ?? ''}\u0000${params.get('to') ?? ''}\u0000${flow ?? ''}`;
    const hit = this.cache.get(key);
    if (hit && now - hit.at < STATS_CACHE_MS) return hit.stats;
    const stats = this.store.runStats({ tenant, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(flow !== undefined ? { flow } : {}) });
    this.cache.delete(key);
    this.cache.set(key, { at: now, stats });
    if (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value!);
    // a failed read is not kept
    stats.catch(() => this.cache.get(key)?.stats === stats && this.cache.delete(key));
    return stats;
  }
}
