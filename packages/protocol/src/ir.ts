import type { ToolDef } from './tools.js';
/**
 * The Baton IR: a checked `.flow` workspace compiled to plain JSON.
 *
 * One IR serves everything: the language package builds it (`language/src/ir/`), the runtime executes
 * it, the graph draws it, and run events name its node ids. Every value here is JSON-serialisable
 * (no classes, no functions, no `undefined` that matters), so a definition can cross a process
 * boundary or be stored as-is.
 */
import type { TestDef } from './ir-tests.js';

export type * from './ir-tests.js';

/** A position in a source file: `line` and `column` count from 1 (as the CLI prints them). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** A range in a source file; `file` is the absolute path (or URI for unsaved documents); `end` is exclusive. */
export interface SourceRange {
  file: string;
  start: SourcePosition;
  end: SourcePosition;
}

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------

/** A field of a record type. */
export interface RecordField {
  name: string;
  type: TypeRef;
  optional: boolean;
}

/**
 * A type of the language, with named types already resolved (a recursive named type is cut off as
 * `{ kind: 'any' }` after its first expansion).
 */
export type TypeRef =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'any' }
  | { kind: 'null' }
  | { kind: 'literal'; value: string }
  | { kind: 'union'; types: TypeRef[] }
  | { kind: 'list'; element: TypeRef }
  | { kind: 'record'; fields: RecordField[] };

// ---------------------------------------------------------------------------------------------------------
// Expressions (interpreted by the runtime; never evaluated as JavaScript)
// ---------------------------------------------------------------------------------------------------------

/** Binary operators, in the language's spelling. */
export type BinaryOperator =
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '&&' | '||' | '??'
  | '+' | '-' | '*' | '/' | '%'
  | 'in';

/** Unary operators. */
export type UnaryOperator = '!' | '-';

/** An expression tree. `range` is optional so hand-built definitions (tests, benchmarks) stay short. */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; range?: SourceRange }
  /** A string template: text parts and `${…}` parts in order; `\${` has already become a literal `${`. */
  | { kind: 'template'; parts: TemplatePart[]; range?: SourceRange }
  | { kind: 'list'; items: Expr[]; range?: SourceRange }
  | { kind: 'record'; fields: { key: string; value: Expr }[]; range?: SourceRange }
  /**
   * A name: `input`, `output`, a step name, a `let` name, a `foreach` variable, or (in tests) `status`.
   * Inside a `foreach`, a step of that loop read by name means this iteration's instance.
   */
  | { kind: 'ref'; name: string; range?: SourceRange }
  | { kind: 'member'; object: Expr; property: string; range?: SourceRange }
  | { kind: 'index'; object: Expr; index: Expr; range?: SourceRange }
  | { kind: 'unary'; op: UnaryOperator; operand: Expr; range?: SourceRange }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr; range?: SourceRange }
  | { kind: 'conditional'; test: Expr; then: Expr; else: Expr; range?: SourceRange }
  | { kind: 'call'; fn: string; args: Expr[]; range?: SourceRange };

/** A piece of a template: literal text, or an expression whose value is inserted as text. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; expr: Expr };

// ---------------------------------------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------------------------------------

/** One item of an agent's `stub`: a value to return, or `error("…")` to fail that call. */
export type StubItem = { kind: 'value'; value: JsonValue } | { kind: 'error'; message: string };

/**
 * What the stub agent answers. `items` holds one item per call within a run (retries count as calls),
 * the last one repeated. A single `stub: value` is `{ items: [value] }`.
 */
export interface StubSpec {
  items: StubItem[];
}

/** A retry policy: at most `max` further attempts, waiting `backoffMs * 2^(attempt-1)` (with jitter) between. */
export interface RetryPolicy {
  max: number;
  /** The first retry's delay bound (ms); doubles per retry (full jitter: a random delay up to it). */
  backoffMs?: number;
  /** The largest delay between two attempts (ms; `retry: 3 backoff 1s max 30s`), `Retry-After` included. */
  maxDelayMs?: number;
}

/** `circuit: N failures <duration>` on an agent: after N failed calls in a row, calls fail fast for `openMs`. */
export interface CircuitPolicy {
  failures: number;
  openMs: number;
}

/** An `agent` declaration. */
export interface AgentDef {
  name: string;
  doc?: string;
  /** `provider/model`, e.g. `openai/gpt-4o-mini`. */
  model?: string;
  instructions?: string;
  output?: TypeRef;
  stub?: StubSpec;
  temperature?: number;
  maxTokens?: number;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** `idempotent: false`: a repeated call may repeat its effect. Absent: idempotent. */
  idempotent?: boolean;
  circuit?: CircuitPolicy;
  /** `tools: [...]`: what the model may call in the step's tool loop (see tools.ts). Absent: one structured call. */
  tools?: ToolDef[];
  /** `max_turns: N`: model turns in one tool loop (default `DEFAULT_MAX_TURNS`). */
  maxTurns?: number;
  /**
   * `output: flow`: the agent's answer is flow source text (its `output` is then `{ kind: 'string' }`), which the
   * step's `generate` policy checks before it may run (see {@link GeneratePolicy}).
   */
  writesFlow?: true;
  range: SourceRange;
}

// ---------------------------------------------------------------------------------------------------------
// Flows and statements
// ---------------------------------------------------------------------------------------------------------

/** Fields every statement node has. `id` is stable for a given source text and unique in its definition. */
export interface NodeBase {
  id: string;
  range: SourceRange;
  doc?: string;
}

/**
 * What a step calls: an agent, a flow, or (`step s: run plan`) the flow that step `plan` generated and its policy
 * accepted — `name` is that step's name, read in the step's scope.
 */
export type StepTarget = { kind: 'agent'; name: string } | { kind: 'flow'; name: string } | { kind: 'generated'; name: string };

/**
 * `generate { … }` on a step whose agent has `output: flow`: what the flow it writes may use, checked (with the
 * language's checker, through the runtime's injected `FlowAuthoring`) before the flow is accepted. Lists hold names;
 * an empty list allows none. `input`/`output`: the inputs the `run` step gives and the outputs it reads — the flow's
 * inputs must be among `input`'s fields, and it must declare `output`'s fields (types fitting).
 */
export interface GeneratePolicy {
  /** Agents its steps may call. */
  agents: string[];
  /** Flows of the workspace its steps may call (templates). */
  flows: string[];
  /** Tools the agents it calls may have (an allowed agent with another tool is refused). */
  tools: string[];
  /** At most this many `step`s in the flow (1 … `MAX_GENERATED_STEPS`, generate.ts). */
  maxSteps: number;
  /** The generated flow's own token budget (`budget tokens`); the flow may declare a lower one. */
  budgetTokens?: number;
  /** How many times the diagnostics go back to the agent for a new attempt (0 … `MAX_GENERATE_REPAIRS`, generate.ts). */
  repairs: number;
  input?: TypeRef;
  output?: TypeRef;
  range: SourceRange;
}


/** The agent call a step's `compensate:` runs when a later failure ends the run. */
export interface CompensationDef {
  agent: string;
  prompt?: Expr;
  input?: Expr;
  range: SourceRange;
}

/** `step name: Target { … }`. */
export interface StepNode extends NodeBase {
  kind: 'step';
  name: string;
  target: StepTarget;
  /** A template expression. */
  prompt?: Expr;
  /** For a sub-flow: a record expression of its inputs. For an agent: extra structured input. */
  input?: Expr;
  when?: Expr;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** `fail` (default) ends the run on failure; `continue` records the failure and goes on. */
  onError: 'fail' | 'continue';
  compensate?: CompensationDef;
  temperature?: number;
  maxTokens?: number;
  /** `generate { … }`: the step's agent writes a flow (`output: flow`), checked against this policy. */
  generate?: GeneratePolicy;
}

/** One `if`/`else if` arm. */
export interface IfBranch {
  condition: Expr;
  body: Statement[];
  range: SourceRange;
}

/** `if … { } else if … { } else { }`. */
export interface IfNode extends NodeBase {
  kind: 'if';
  branches: IfBranch[];
  else?: Statement[];
}

/** One `case "A", "B" { … }`. */
export interface SwitchCase {
  values: Expr[];
  body: Statement[];
  range: SourceRange;
}

/** `switch <expr> { case … default … }`. */
export interface SwitchNode extends NodeBase {
  kind: 'switch';
  subject: Expr;
  cases: SwitchCase[];
  default?: Statement[];
}

/**
 * A partial join of a `parallel` or `foreach` (WCP-9, 28–32, 34–36):
 * - `first`: the block goes on once `count` branches/iterations counted — one counts when it ended without
 *   failure and (on `foreach` only) its `where` holds, read in the iteration that just ended;
 * - `until`: the block goes on once `condition` holds, evaluated each time a branch/iteration ended (on
 *   `foreach` in that iteration's scope, on `parallel` in the block's scope).
 * `rest`: what happens to the branches/iterations not ended when the join is reached — `cancel` (the default)
 * withdraws them (calls aborted, their steps `cancelled`, waits dropped, no compensation); `keep` lets them run
 * on, and the enclosing flow body or loop iteration waits for them before it ends.
 */
export type JoinSpec =
  | { kind: 'first'; count: number; where?: Expr; rest: 'cancel' | 'keep' }
  | { kind: 'until'; condition: Expr; rest: 'cancel' | 'keep' };

/** `parallel [concurrency N] [<join>] { … }`: each statement directly inside is a branch (a `branch { … }` is a `block`). */
export interface ParallelNode extends NodeBase {
  kind: 'parallel';
  branches: Statement[];
  /** Branches at once, started in source order as slots free (WCP-17/40 with 1); all at once when absent. */
  concurrency?: number;
  /** A partial join; absent: the block waits for every branch and fails with the first failure. */
  join?: JoinSpec;
}

/** `branch { … }`: several statements that are together one branch of a `parallel`. */
export interface BlockNode extends NodeBase {
  kind: 'block';
  body: Statement[];
}

/**
 * `foreach x in <expr> [concurrency N] [<join>] { … }`, or — with `source` instead of `items` — `foreach x in event
 * "name" [where …] [timeout D] [concurrency N] [<join>] { … }`: one instance per event delivered while the loop is
 * open (multiple instances without a priori run-time knowledge, WCP-15; with `until`, WCP-36). Exactly one of
 * `items` and `source` is set.
 */
export interface ForeachNode extends NodeBase {
  kind: 'foreach';
  variable: string;
  /** The list the iterations go over (absent on an event loop). */
  items?: Expr;
  /** The events that start the instances (absent on a list loop). */
  source?: EventSource;
  /** Iterations at once; 1 when absent (on an event loop: no bound). */
  concurrency?: number;
  /** A partial join (static or dynamic partial join for multiple instances); absent: every iteration. */
  join?: JoinSpec;
  body: Statement[];
}

/** `repeat max N { … } until <expr>`. */
export interface RepeatNode extends NodeBase {
  kind: 'repeat';
  max: number;
  body: Statement[];
  until: Expr;
}

/** `approval name { prompt, assignee, timeout, sla, options }`. */
export interface ApprovalNode extends NodeBase {
  kind: 'approval';
  name: string;
  prompt?: Expr;
  assignee?: Expr;
  timeoutMs?: number;
  /**
   * `sla: 4h`: the approval still undecided `slaMs` after `approval.requested` is marked breached (event
   * `sla.breached`, key `approval:<task>`). Nothing is cancelled; its `timeout` still decides when it ends.
   */
  slaMs?: number;
  /** Decisions offered besides the default `approved` / `rejected`. */
  options?: string[];
  /** `on timeout { … }`: runs when the `timeout` passed without a decision (then the decision is `"timeout"`). */
  onTimeout?: Statement[];
}

/** `wait <duration>`. */
export interface WaitNode extends NodeBase {
  kind: 'wait';
  durationMs: number;
}

/**
 * `wait event "name" [as x] [where a.b == <expr>] [timeout <duration>] [on timeout { … }]`. Named (`as x`), its
 * id is `<Flow>/<x>` and `x` reads `{ data, status: "received" | "timeout" | "waiting", at }` after it.
 */
export interface WaitEventNode extends NodeBase {
  kind: 'waitEvent';
  event: string;
  /** `as x`: the name the delivery is read by. */
  name?: string;
  /** `where order_id == input.order_id`: correlation; only an event whose data at `path` equals `value` (evaluated when the wait starts) reaches it. */
  where?: Correlation;
  timeoutMs?: number;
  /** `on timeout { … }`: runs when `timeout` passed without the event (then `x.status` is `"timeout"`). */
  onTimeout?: Statement[];
}

/**
 * What starts the instances of an event `foreach`: each delivery of `event` (matching `where`, evaluated when the
 * loop opens) while the loop is open — from its start until `timeoutMs` passed (absent: no deadline) or its join
 * is reached. The loop variable reads `{ data, at }` of the instance's event.
 */
export interface EventSource {
  event: string;
  where?: Correlation;
  /**
   * `until event "order.closed" [where …]`: the terminating event — when it comes, the arrivals end (events of
   * `event` that came before it are still admitted; the running instances finish).
   */
  end?: { event: string; where?: Correlation };
  timeoutMs?: number;
}

/** A wait's correlation: a path into the event's data (`["order", "id"]`) and the value it must equal. */
export interface Correlation {
  path: string[];
  value: Expr;
}

/**
 * A top-level `event "name" { data: …  buffer: … }` declaration: the payload type every delivery is checked
 * against, and how an event sent to a run before it waits is kept (persistent trigger).
 */
export interface EventDef {
  name: string;
  doc?: string;
  /** `data: T`: what a delivery's data must fit (absent: anything). */
  data?: TypeRef;
  /**
   * `buffer: D max N`: kept D ms, at most N per (run, event); `buffer: none`: `transient` (refused when nobody
   * waits). Absent: the defaults for run-addressed events (`DEFAULT_EVENT_BUFFER_MS`, `DEFAULT_EVENT_BUFFER_MAX` in limits.ts),
   * and a broadcast that reaches no run is not kept.
   */
  buffer?: { transient: true } | { transient?: false; ms: number; max: number };
  range: SourceRange;
}


/**
 * `lock <name> [timeout D] { … } [on timeout { … }]`: a critical section across runs (WCP-39). `name` is rendered
 * when the block is reached (`"stock:${input.sku}"`); the lock is the tenant's, held by one block instance at a time.
 */
export interface LockNode extends NodeBase {
  kind: 'lock';
  name: Expr;
  /** How long the block waits for the lock before it gives up (ms); it waits as long as it takes when absent. */
  timeoutMs?: number;
  body: Statement[];
  /** `on timeout { … }`: runs instead of the body when the lock was not got within `timeoutMs`. */
  onTimeout?: Statement[];
}

/** `set output.x = <expr>`. */
export interface SetNode extends NodeBase {
  kind: 'set';
  output: string;
  value: Expr;
}

/**
 * `var x[: type] = <expr>`: state of the block it is declared in (the flow, or one iteration of a loop body),
 * changed by {@link AssignNode}; a loop iteration reads what the previous one assigned. Id `<Flow>/var@<path>`.
 */
export interface VarNode extends NodeBase {
  kind: 'var';
  name: string;
  /** The declared type, or the initial value's (widened: `"new"` is a string, `0` a number). */
  type: TypeRef;
  value: Expr;
}

/** `set x = <expr>` where `x` is a `var`: writes the scope that declared it. (`set output.x` is a {@link SetNode}.) */
export interface AssignNode extends NodeBase {
  kind: 'assign';
  name: string;
  value: Expr;
}

/**
 * `wait until <cond> [timeout D] [on timeout { … }]` (a milestone): passes when `condition` is true — at once,
 * or after a statement of another branch changed a `var` so that it is. `onTimeout` runs when `timeoutMs` passed first.
 */
/** `signal s`: raises the run-local latch `s` of the current loop iteration (or sub-flow call) and those inside it. */
export interface SignalNode extends NodeBase {
  kind: 'signal';
  name: string;
}

/** `wait signal s [timeout D] [on timeout { … }]`: waits until a branch raised `s` (passes at once when it was). */
export interface WaitSignalNode extends NodeBase {
  kind: 'waitSignal';
  signal: string;
  timeoutMs?: number;
  onTimeout?: Statement[];
}

export interface WaitUntilNode extends NodeBase {
  kind: 'waitUntil';
  condition: Expr;
  timeoutMs?: number;
  onTimeout?: Statement[];
}

/** `let x = <expr>`. */
export interface LetNode extends NodeBase {
  kind: 'let';
  name: string;
  value: Expr;
}

/** `fail "message"`. */
export interface FailNode extends NodeBase {
  kind: 'fail';
  message: Expr;
}

/**
 * `wait first { on … }`: an event-based choice (WCP-16 Deferred Choice). Every arm's wait opens at once; the first
 * to come wins, the others are withdrawn, and only the winner's `body` runs.
 */
export interface ChoiceNode extends NodeBase {
  kind: 'choice';
  arms: ChoiceArm[];
}

/**
 * One arm of a {@link ChoiceNode}. `id`: `<Flow>/<name>` for a named event arm and an approval arm, else
 * `<Flow>/on@<path>` (the choice's path and the arm's index). No arm has a timeout of its own: a `timer` arm is
 * the deadline.
 */
export type ChoiceArm =
  | { kind: 'event'; id: string; event: string; name?: string; where?: Correlation; body: Statement[]; range: SourceRange }
  /** `slaMs`: its `sla:` (see {@link ApprovalNode.slaMs}). */
  | { kind: 'approval'; id: string; name: string; prompt?: Expr; assignee?: Expr; options?: string[]; slaMs?: number; body: Statement[]; range: SourceRange }
  | { kind: 'timer'; id: string; durationMs: number; body: Statement[]; range: SourceRange }
  | { kind: 'signal'; id: string; signal: string; body: Statement[]; range: SourceRange };

/**
 * `region <name> { … } [on cancel { … }]`: a cancellation scope (WCP-25). Id `<Flow>/<name>`. `cancel <name>`
 * withdraws its unfinished work, runs the compensations of its finished steps (newest completion first), then
 * `onCancel`; `complete <name>` ends it successfully at once (no compensation). The run goes on after it either way.
 */
export interface RegionNode extends NodeBase {
  kind: 'region';
  name: string;
  body: Statement[];
  /** `on cancel { … }`: runs after a cancellation and its compensations. */
  onCancel?: Statement[];
}

/**
 * `cancel <target>`: cancels a region (see {@link RegionNode}) or withdraws one step (WCP-19: its status reads
 * `cancelled`). Id `<Flow>/cancel@<path>`.
 */
export interface CancelNode extends NodeBase {
  kind: 'cancel';
  target: string;
  targetKind: 'region' | 'step';
}

/**
 * `complete [<region>]`: with a target, that region ends successfully now (unfinished work withdrawn, no
 * compensation; WCP-27); without one, the current flow ends successfully with the outputs set so far (WCP-43).
 * Id `<Flow>/complete@<path>`.
 */
export interface CompleteNode extends NodeBase {
  kind: 'complete';
  target?: string;
}

/** Any statement. */
export type Statement =
  | StepNode
  | IfNode
  | SwitchNode
  | ParallelNode
  | BlockNode
  | ForeachNode
  | RepeatNode
  | ApprovalNode
  | WaitNode
  | WaitEventNode
  | SetNode
  | LetNode
  | VarNode
  | AssignNode
  | WaitUntilNode
  | FailNode
  | LockNode
  | SignalNode
  | WaitSignalNode
  | ChoiceNode
  | RegionNode
  | CancelNode
  | CompleteNode;

/** A flow input: `input name: type [= default]`. */
export interface InputDef {
  name: string;
  type: TypeRef;
  default?: JsonValue;
  range: SourceRange;
}

/** A flow output: `output name: type`. */
export interface OutputDef {
  name: string;
  type: TypeRef;
  range: SourceRange;
}

/** A flow trigger. */
export type Trigger =
  | { kind: 'webhook'; path: string; range: SourceRange }
  | { kind: 'schedule'; cron: string; range: SourceRange }
  | { kind: 'event'; event: string; range: SourceRange };

/** A `flow` declaration. */
export interface FlowDef {
  name: string;
  doc?: string;
  inputs: InputDef[];
  outputs: OutputDef[];
  triggers: Trigger[];
  /** `budget tokens N`: the run fails cleanly once real agents have used more than N tokens. */
  budgetTokens?: number;
  /**
   * `sla 4h`: a run of this flow still open `slaMs` after it started (its accept time, queued included) is marked
   * breached (event `sla.breached`, key `flow`). Nothing is cancelled. Not measured for a sub-flow call.
   */
  slaMs?: number;
  body: Statement[];
  range: SourceRange;
}

/**
 * A compiled workspace: every declaration visible from the compiled files (imports followed).
 * `version` changes when the shape changes incompatibly.
 */
export interface WorkflowDefinition {
  version: 1;
  /** Absolute paths of the files compiled, the entry file first. */
  files: string[];
  agents: Record<string, AgentDef>;
  flows: Record<string, FlowDef>;
  tests: TestDef[];
  /** Declared event types by name (`event "…" { … }`); absent when none is declared. */
  events?: Record<string, EventDef>;
}
