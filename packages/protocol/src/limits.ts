/**
 * The deepest expression a run evaluates: levels of nested expression nodes, counted from the outermost
 * (0) — an operand, an argument, an item, a `${…}` each one level deeper; `a + b + c` is two levels, as
 * `(a + b) + c`. The runtime's evaluator stops deeper ones with `EXPR_TOO_DEEP`; the checker reports them
 * first as `nesting-too-deep`.
 */
export const MAX_EXPRESSION_DEPTH = 200;
