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

/** The largest delay between two attempts when the `retry` does not say `max` (ms). */
export const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;

/**
 * How deep sub-flow calls may nest by default: the run's flow is depth 0, a flow its step calls depth 1, and so
 * on. A step that would call a flow deeper fails with `FLOW_DEPTH_EXCEEDED` (and with it the steps that called it,
 * and the run, unless one says `on error: continue`). It bounds recursion (`step again: R` inside `flow R`):
 * without a condition that stops it, a flow calling itself would otherwise run until the process runs out of
 * stack or memory. 64 is far beyond any real hierarchy of processes; `limits.maxFlowDepth` in
 * `baton.config.json` changes it (1 … `MAX_FLOW_DEPTH_LIMIT` of the runtime), recorded on the run's `run.started`.
 */
export const MAX_FLOW_DEPTH = 64;
