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

/** An ISO 8601 date, or date and time (the offset optional: UTC when absent), in parts. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;
/** The earliest time a parameter may name: the Unix epoch (run ids are ULIDs, which count from it), ms. */
const EARLIEST_MS = 0;
/** The latest: the end of year 9999 (the last a four-digit year writes), ms. */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * An ISO 8601 time parameter (a date, or a date and time), as ms since the epoch; undefined when absent. The date
 * must be one of the calendar's (no February 30), the time one of the day's (hours 0–23, no 24:00), and the time
 * from 1970-01-01 to 9999-12-31 — never silently rolled over into another day or clamped.
 * @throws HttpError 400 `BAD_QUERY` naming the parameter.
 */
export function timeParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const parts = ISO_TIME.exec(text);
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = (parts?.slice(1) ?? []).map((p) => (p === undefined ? undefined : Number(p)));
  const valid =
    parts !== null &&
    month! >= 1 && month! <= 12 &&
    day! >= 1 && day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
    hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59;
  const ms = valid ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw bad(`${name} must be an ISO 8601 time such as 2026-12-05 or 2026-12-05T10:00:00Z, not "${text.slice(0, 40)}"`);
  if (ms < EARLIEST_MS || ms > LATEST_MS) throw bad(`${name} must be a time from 1970-01-01 to 9999-12-31, not "${text.slice(0, 40)}"`);
  return ms;
}

/**
 * Checks a request's query before any route reads it: each parameter given at most once (which of two would count
 * is a guess no answer should rest on), and no NUL character in a name or value (no run, flow or id has one, and
 * PostgreSQL text cannot hold it). @throws HttpError 400 `BAD_QUERY` naming the parameter.
 */
export function checkQuery(params: URLSearchParams): void {
  const seen = new Set<string>();
  for (const [name, value] of params) {
    const shown = JSON.stringify(name.slice(0, 40));
    if (name.includes('\u0000') || value.includes('\u0000')) throw bad(`the query parameter ${shown} contains a NUL character (%00)`);
    if (seen.has(name)) throw bad(`${name.slice(0, 40)}= is given more than once: give each query parameter once`);
    seen.add(name);
  }
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
