// The formatters every run view uses (CLI, editor, graph panel, web console): one way to write a duration, a
// timer's length, tokens, a cost, a time and a deadline.

/**
 * A duration for people, from milliseconds: `850 ms`, `1.2 s` (under 10 s), `42 s`, `1 min 30 s`, `3 min`,
 * `2 h 5 min`, `4 h`. Rounded to the unit shown (so 59.6 s is `1 min`, never `60 s`); negative and non-finite
 * values are `0 ms`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const min = Math.round(s / 60);
  return min % 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min / 60} h`;
}

/**
 * A length as the language writes it (a timer's `wait 90s`, a `timeout 3d`), from milliseconds: the largest unit
 * it is a whole number of (`3d`, `2h`, `90m`, `90s`, `250ms`), else one decimal of a second (`1.5s`), else ms.
 */
export function formatDurationLiteral(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A token count with thousands separators and its unit: `1 token`, `12,345 tokens`. */
export function formatTokens(tokens: number): string {
  return `${Math.round(tokens).toLocaleString('en-US')} token${tokens === 1 ? '' : 's'}`;
}

/**
 * A cost, from an amount in `currency` (ISO 4217; model prices are configured in US dollars): `$0.0042` below one
 * cent (four decimals, so small calls do not read as free), `$1.25` from one cent; another currency as `1.25 EUR`.
 */
export function formatCost(amount: number, currency = 'USD'): string {
  const digits = Math.abs(amount) < 0.01 ? 4 : 2;
  const text = amount.toFixed(digits);
  return currency === 'USD' ? `$${text}` : `${text} ${currency}`;
}

/** The time of day of an ISO 8601 instant, UTC, to the second: `14:03:09` (its text when it is not a date). */
export function formatTimeOfDay(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(11, 19);
}

/** An ISO 8601 instant as a date and time, UTC, to the second: `2026-12-04 14:03:09` (its text when it is not a date). */
export function formatTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * An instant relative to now: `in 3 min 5 s`, `42 s ago`, `now` (within half a second). `nowMs`: ms since the epoch
 * (pass the view's clock; the formatters read none).
 */
export function formatRelative(iso: string, nowMs: number): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const delta = ms - nowMs;
  if (Math.abs(delta) < 500) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/**
 * A deadline's countdown: `due in 2 h 5 min`, `overdue by 3 min` (`nowMs`: ms since the epoch), for an inbox or
 * a waiting step; `no deadline` when there is none.
 */
export function formatDeadline(deadline: string | undefined, nowMs: number): string {
  if (deadline === undefined) return 'no deadline';
  const ms = Date.parse(deadline);
  if (Number.isNaN(ms)) return `due ${deadline}`;
  return ms >= nowMs ? `due in ${formatDuration(ms - nowMs)}` : `overdue by ${formatDuration(nowMs - ms)}`;
}

/** The time between two ISO 8601 instants in ms (0 when either is not a date or the end is before the start). */
export function elapsedMs(fromIso: string, toIso: string): number {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * An SLA breach for people, from its `sla.breached` event (or the run model's `SlaBreachState`): `SLA 30m of approval
 * manager breached (due 2026-12-05 09:30:00)`, `SLA 4h of the run breached (due …)`. `key`: `flow` or `approval:<task>`.
 */
export function formatSlaBreach(breach: { key: string; slaMs: number; deadline: string }): string {
  const what = breach.key === 'flow' ? 'the run' : `approval ${breach.key.replace(/^approval:/, '')}`;
  return `SLA ${formatDurationLiteral(breach.slaMs)} of ${what} breached (due ${formatTimestamp(breach.deadline)})`;
}

/**
 * A JSON value shortened to at most `max` characters for one-line display: its JSON text (a string quoted), cut
 * with `…`; `null` for undefined. The CLI's tool lines and approval prompts and the graph panel's step details use it.
 */
export function previewJson(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
