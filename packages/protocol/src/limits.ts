/**
 * The deepest expression a run evaluates: levels of nested expression nodes, counted from the outermost
 * (0) — an operand, an argument, an item, a `${…}` each one level deeper; `a + b + c` is two levels, as
 * `(a + b) + c`. The runtime's evaluator stops deeper ones with `EXPR_TOO_DEEP`; the checker reports them
 * first as `nesting-too-deep`.
 */
export const MAX_EXPRESSION_DEPTH = 200;

/** How long an event sent to a run before it waits is kept when its `event` declaration does not say (`buffer:`): 7 days, ms. */
export const DEFAULT_EVENT_BUFFER_MS = 7 * 24 * 3600 * 1000;

/** How many such events are kept per (run, event) when the declaration does not say (`buffer: D max N`). */
export const DEFAULT_EVENT_BUFFER_MAX = 100;
