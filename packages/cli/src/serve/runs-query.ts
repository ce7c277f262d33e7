// The query strings of `baton serve`'s runs API, read strictly: every parameter checked, a clear 400 for a bad one.
import type { RunStatus } from '@baton/protocol';
import { runIdBound, type RunFilter } from '@baton/runtime';
import { HttpError } from './http-io.js';

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'interrupted'];
/** A run id: a ULID, 26 characters of Crockford's base 32. */
const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** The shortest text `q` searches for (shorter ones would match nearly every run and scan them all). */
export const MIN_SEARCH_CHARS = 3;
/** The longest `q`. */
const MAX_SEARCH_CHARS = 200;

const bad = (message: string): HttpError => new HttpError(400, 'BAD_QUERY', message);

/** A whole number parameter from `min` to `max` (`fallback` when absent). @throws HttpError 400 `BAD_QUERY`. */
export function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(`${name} must be a whole number from ${min} to ${max}, not "${text.slice(0, 40)}"`);
  return n;
}

/** An ISO 8601 time parameter (a date, or a date and time), as ms since the epoch; undefined when absent. @throws HttpError 400 `BAD_QUERY`. */
export function timeParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw bad(`${name} must be an ISO 8601 time such as 2026-12-05 or 2026-12-05T10:00:00Z, not "${text.slice(0, 40)}"`);
  return ms;
}

/**
 * `GET /runs`' query → the store's {@link RunFilter} (tenant set by the caller):
 * `status` (one of the run statuses), `flow`, `from`/`to` (ISO 8601 times: runs started in [from, to), turned into id
 * bounds with `runIdBound`: run ids are ULIDs of their start time), `q` (text in the inputs, {@link MIN_SEARCH_CHARS}
 * to 200 characters), `before` (a run id: the previous page's `next`), `limit` (1–1000, default 50).
 * @throws HttpError 400 `BAD_QUERY` naming the parameter and what it must be.
 */
export function runsQuery(params: URLSearchParams): Omit<RunFilter, 'tenant'> & { limit: number } {
  const filter: Omit<RunFilter, 'tenant'> & { limit: number } = { limit: intParam(params, 'limit', 50, 1, 1000) };
  const status = params.get('status');
  if (status !== null) {
    if (!STATUSES.includes(status as RunStatus)) throw bad(`status must be one of ${STATUSES.join(', ')}, not "${status.slice(0, 40)}"`);
    filter.status = status as RunStatus;
  }
  const flow = params.get('flow');
  if (flow !== null) {
    if (flow === '') throw bad('flow= needs a flow name');
    filter.flow = flow;
  }
  const from = timeParam(params, 'from');
  const to = timeParam(params, 'to');
  if (from !== undefined && to !== undefined && from >= to) throw bad(`from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
  if (from !== undefined) filter.fromId = runIdBound(from);
  if (to !== undefined) filter.toId = runIdBound(to);
  const q = params.get('q');
  if (q !== null) {
    if (q.length < MIN_SEARCH_CHARS || q.length > MAX_SEARCH_CHARS) throw bad(`q must be ${MIN_SEARCH_CHARS} to ${MAX_SEARCH_CHARS} characters of text to find in the runs' inputs`);
    filter.text = q;
  }
  const before = params.get('before');
  if (before !== null) {
    if (!RUN_ID.test(before.toUpperCase())) throw bad(`before must be a run id (the previous page's next), not "${before.slice(0, 40)}"`);
    filter.before = before.toUpperCase();
  }
  return filter;
}
