// One flow invocation as the statement interpreter (execution.ts) and its waits (waits.ts) see it, and the keys
// that name a statement's instance in the run's log.
import type { FlowDef, JsonValue } from '@baton/protocol';
import type { Compensable } from './agent-step.js';
import type { Background, Withdrawal } from './joins.js';
import type { Scope } from './scope.js';

/** One flow invocation: the top-level flow, or a sub-flow called by a step. */
export interface Frame {
  flow: FlowDef;
  /** Sub-flow call depth: 0 for the run's flow (see MAX_FLOW_DEPTH). */
  depth: number;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  scope: Scope;
  /** Key prefix of this invocation's steps: '' at the top, `incident/` inside a sub-flow step. */
  prefix: string;
  /** Loop indexes around the current statement. */
  indexes: number[];
  signal: AbortSignal;
  /**
   * Whether statements here may run beside others of the same execution: inside a `parallel` branch or an
   * iteration of a `foreach` with concurrency above 1 (through sub-flows too). Agent calls here reserve their
   * call index in the log before they are made (see `CALL_RESERVATION_PREFIX`).
   */
  concurrent: boolean;
  names: Set<string>;
  /**
   * The names that read as a list here (steps of a `foreach` body this statement is not inside): one not
   * set reads as `[]` (its loop did not run), any other name not set as a skipped step.
   */
  lists: Set<string>;
  /**
   * The withdrawable part this frame runs in (a branch or iteration of a partial join; see `Withdrawal` in
   * joins.ts): once it (or a part around it) is withdrawn, the frame runs in withdrawn mode.
   */
  withdrawal?: Withdrawal;
  /** The owner's background work (the kept rest of partial joins) that the flow body or loop iteration awaits. */
  background?: Background;
  /**
   * The compensation list of the innermost `region` around the statement (see engine/regions.ts): a step that
   * succeeds here joins it; absent outside regions (the run's list).
   */
  compensations?: Compensable[];
  /** The withdrawable part of a flow invocation whose body has a bare `complete` (engine/regions.ts completableFrame). */
  completion?: { withdrawal: Withdrawal; controller: AbortController; release: () => void };
  /**
   * A generated flow's own token budget (`generate { budget_tokens: N }` or its `budget tokens N`), shared by the
   * frames of its invocation: its steps' tokens count in `used`; past `limit` the run fails `BUDGET_EXCEEDED`.
   */
  budget?: { limit: number; used: number; flow: string };
  /** The names of the `lock` blocks around the statement (through sub-flow calls): asking for one again would deadlock. */
  heldLocks?: ReadonlySet<string>;
}

/** The key of a step (or approval, wait) instance: sub-flow prefix, name, loop indexes. */
export function stepKey(frame: Frame, name: string): string {
  return `${frame.prefix}${name}${frame.indexes.map((i) => `[${i}]`).join('')}`;
}

/** The key of the loop iteration (or sub-flow call) a statement runs in: sub-flow prefix and loop indexes. */
export function scopeKey(frame: Frame): string {
  return `${frame.prefix}${frame.indexes.map((i) => `[${i}]`).join('')}`;
}
