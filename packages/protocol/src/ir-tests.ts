// The `test` blocks of the IR (members of WorkflowDefinition.tests), kept in their own file; re-exported by ir.ts.
import type { Expr, JsonValue, SourceRange, StubSpec } from './ir.js';

/** A `test "name" { … }` block. */
export interface TestDef {
  name: string;
  flow: string;
  input: JsonValue;
  /** Per-agent stub overrides. */
  stubs: Record<string, StubSpec>;
  /** `cassette: "…"`: the recording real agents answer from (an absolute path), instead of their stubs. */
  cassette?: string;
  /** Evaluated over the finished run: its steps by name, `output`, `status`. */
  expect: Expr;
  /**
   * `event "x" [after D]: data` lines, in source order: each is sent to the run at virtual time start + `afterMs`,
   * or (no `after`) as soon as the run waits for that event.
   */
  events?: TestEventDef[];
  /** `decide <approval> [after D]: "decision"` / `decide <step>.<tool> …` lines, in source order (see {@link TestDecisionDef}). */
  decisions?: TestDecisionDef[];
  range: SourceRange;
}

/**
 * One `decide <approval> [after D]: "approved"` line of a test: the decision is made on the run's waiting approval
 * (the approval's name, as `baton approve` takes it) at virtual time start + `afterMs`, or (no `after`) as soon as the
 * run waits for it.
 */
export interface TestDecisionDef {
  /** The approval's name (its task key); with `tool`, the step whose tool loop waits. */
  approval: string;
  /**
   * `decide <step>.<tool>: "approved"`: the decision goes to a call of this tool (its model-facing name, as
   * `call("…")` in a stub names it) that step `approval`'s tool loop waits on an approval for — the first such
   * waiting call (task `<step>/<callId>`); each line decides one call.
   */
  tool?: string;
  afterMs?: number;
  decision: string;
  range: SourceRange;
}

/** One `event "x" after D: data` line of a test. */
export interface TestEventDef {
  event: string;
  afterMs?: number;
  data: JsonValue;
  range: SourceRange;
}
