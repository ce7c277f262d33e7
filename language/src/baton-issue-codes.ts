/**
 * Stable codes of every problem the Baton checker reports. They appear in `baton check` output
 * (`error unknown-agent: …`), in the editor's diagnostics (`code`), and code actions key on them.
 * Never change a code's meaning; add new ones instead.
 */
export const IssueCodes = {
  // Syntax
  /** The text does not parse. */
  ParseError: 'parse-error',
  /**
   * Text nested deeper than the checker reads: more than 32 levels of blocks, brackets and `\${…}`, a
   * prefix-operator or `else if` chain the parser cannot follow, or an expression (or type) more than 200
   * levels deep — `a + b + …` counts one level per operator; a run evaluates at most 200.
   */
  NestingTooDeep: 'nesting-too-deep',
  /**
   * The checker itself failed on this file (an exception in one of its phases, such as a stack overflow on
   * input deeper than it handles): the file's only diagnostic, at its start; other files are checked as usual.
   */
  CheckFailed: 'check-failed',
  // Names and references
  /** A step, compensation or test names an agent/flow that is not declared in this file or its imports. */
  UnknownAgent: 'unknown-agent',
  UnknownFlow: 'unknown-flow',
  UnknownType: 'unknown-type',
  /** A name in an expression is not a step, approval, `let` value or loop variable of this flow. */
  UnknownName: 'unknown-name',
  /**
   * A `let` value or loop variable read where it has no value: before its `let` runs, in a sibling
   * `parallel` branch or another branch of an `if`/`switch`, after the branch or loop that sets it, or
   * (a loop variable) outside its `foreach`. The runtime would stop with "unknown name".
   */
  NotInScope: 'not-in-scope',
  UnknownInput: 'unknown-input',
  UnknownOutput: 'unknown-output',
  UnknownFunction: 'unknown-function',
  /** A built-in function called with too few or too many arguments. */
  WrongArgumentCount: 'wrong-argument-count',
  /** Two declarations with one name (reported on the second). */
  DuplicateName: 'duplicate-name',
  /** The same property twice in one block. */
  DuplicateProperty: 'duplicate-property',
  // Order of execution
  /** A step read before its own statement has run. */
  StepUsedBeforeRun: 'step-used-before-run',
  /** A step read in a sibling branch of the same `parallel`. */
  StepInSiblingBranch: 'step-in-sibling-branch',
  /** A step that may not have run (inside an `if`/`switch` branch or with `when:`) read without `??` or a status check. */
  StepMaybeSkipped: 'step-maybe-skipped',
  /** A statement after `fail`, a bare `complete`, or `cancel`/`complete` of the region around it, in the same block. */
  UnreachableStatement: 'unreachable-statement',
  // Types
  /** A field the value's type does not have (`intake.output.sevrity`). */
  UnknownField: 'unknown-field',
  /** Two sides whose types can never match (also a `switch` case its subject can never equal), or a value of the wrong type. */
  TypeMismatch: 'type-mismatch',
  /** `set x = …` where `x` is a step, approval, `let` value or loop variable: only a `var` can be set. */
  NotAssignable: 'not-assignable',
  /** `var x = null` without a type: nothing says what the var may later hold (`var x: string | null = null`). */
  VarNeedsType: 'var-needs-type',
  /**
   * A `var` set in two branches of one `parallel`, or inside a `foreach` body with `concurrency` above 1 (the var
   * declared outside it): which write wins would depend on timing, and a resumed run could decide differently.
   */
  VarSetConcurrently: 'var-set-concurrently',
  /** `foreach` over something that is not a list. */
  ForeachNotList: 'foreach-not-list',
  // Sub-flows and tests
  MissingInput: 'missing-input',
  /**
   * A flow that always calls itself (directly or through other flows): no `if`, `switch`, `foreach` or `when:`
   * around the call, so it never stops — the run would fail with FLOW_DEPTH_EXCEEDED.
   */
  UnboundedRecursion: 'unbounded-recursion',
  // Values and settings
  InvalidDuration: 'invalid-duration',
  InvalidCron: 'invalid-cron',
  InvalidWebhookPath: 'invalid-webhook-path',
  /**
   * retry, concurrency, repeat max, temperature, max_tokens, budget out of range; `first N` of a partial join below 1
   * (0 without `keep`) or above the branches or the literal list; `range()` beyond its limit.
   */
  OutOfRange: 'out-of-range',
  RepeatWithoutMax: 'repeat-without-max',
  /** `parallel first N where …`: `where` filters the iterations of a `foreach`; a `parallel` says `until <cond>`. */
  JoinWhereNeedsForeach: 'join-where-needs-foreach',
  /** An agent with neither `model` nor `stub`. */
  AgentWithoutModel: 'agent-without-model',
  UnknownProvider: 'unknown-provider',
  /** A value that must be a constant (stub, default, test input) is an expression. */
  NotConstant: 'not-constant',
  /** A test without `flow:` or `expect:`. */
  IncompleteTest: 'incomplete-test',
  // Imports
  ImportNotFound: 'import-not-found',
  ImportOutsideWorkspace: 'import-outside-workspace',
  ImportCycle: 'import-cycle',
  // Warnings
  /** An agent with no `stub` and no `output`: stub mode cannot make a value. */
  AgentWithoutStub: 'agent-without-stub',
  UnusedAgent: 'unused-agent',
  /** A step whose agent declares an `output` that nothing reads. */
  UnusedStepOutput: 'unused-step-output',
  /** `retry` on a step (or agent) whose agent says `idempotent: false`: a retried call may repeat its effect. */
  RetryNotIdempotent: 'retry-not-idempotent',
  /** `wait until <cond>` whose condition reads no `var` that a `set` changes: it is true at once or never. */
  WaitUntilNeverChanges: 'wait-until-never-changes',
  /**
   * A recursive sub-flow call under a guard that passes on, unchanged, every input its guard reads
   * (`if input.n > 0 { step again: Self { input: { n: input.n } } }`): the guard never changes, so the run
   * recurses until `limits.maxFlowDepth` and fails with FLOW_DEPTH_EXCEEDED.
   */
  RecursionWithoutProgress: 'recursion-without-progress',
  /** A flow with `trigger schedule` and an input without a default: its scheduled runs cannot start. */
  ScheduleNeedsInput: 'schedule-needs-input',
  // Events
  /** An event name (in `event "…"` or `wait event "…"`) that is not 1–200 letters, digits and `_ . : -`. */
  InvalidEventName: 'invalid-event-name',
  /** `on timeout { … }` on a `wait event`, an approval or a `lock` without a `timeout`: it could never run. */
  TimeoutBranchWithoutTimeout: 'timeout-branch-without-timeout',
  /** A `lock "x"` inside a `lock "x"` block (same constant name): it would wait for itself (`LOCK_DEADLOCK`). */
  LockReentered: 'lock-reentered',
  /** `wait signal s` in a flow that has no `signal s`: the wait could never pass. */
  UnknownSignal: 'unknown-signal',
  /** `signal s` that no `wait signal s` of the flow waits for (a warning). */
  UnusedSignal: 'unused-signal',
  /** `wait signal s` whose every `signal s` comes after it in the same sequence: it would deadlock. */
  SignalAfterWait: 'signal-after-wait',
  /** `wait first { }` without an arm: it would wait for nothing forever. */
  ChoiceWithoutArms: 'choice-without-arms',
  /** `wait first { … }` with one arm: it chooses nothing (a warning: write the plain `wait`/`approval`). */
  ChoiceSingleArm: 'choice-single-arm',
  /** An arm of `wait first` that waits for what an earlier arm waits for (same event and `where`, a second timeout, same signal): it never wins. */
  DuplicateArm: 'duplicate-arm',
  /** `timeout:` on an `on approval` arm: the choice's `on timeout D` arm is its deadline. */
  ChoiceArmTimeout: 'choice-arm-timeout',
  /**
   * `cancel r` / `complete r` where region (or step) `r` cannot be running when the statement runs: it neither
   * encloses the statement nor runs beside it (another branch of a `parallel`, a kept branch of a partial join).
   */
  CancelTargetNotActive: 'cancel-target-not-active',
  /** `lock ""`: a lock needs a name. */
  InvalidLockName: 'invalid-lock-name',
  /** `foreach x in event "…"` with neither `timeout` nor a join (`until`, `first N`): its arrivals never end, nor does the loop. */
  EventLoopUnbounded: 'event-loop-unbounded',
  /**
   * `foreach x in event "x"` where `x` says `buffer: none`: the loop takes the events sent while its instances
   * run (the run is not waiting then), which a transient event refuses.
   */
  EventLoopNeedsBuffer: 'event-loop-needs-buffer',
  /** `foreach x in event "x" until event "x"`: the terminating event is the loop's own event — which would end the arrivals and which start an instance? */
  EventLoopSameEnd: 'event-loop-same-end',
  // Service-level agreements
  /** `sla 0s` / `sla: 0m`: an SLA of zero (or less) is breached the moment it starts. */
  SlaNotPositive: 'sla-not-positive',
  /** An approval's `sla:` not shorter than its `timeout:` (a warning): the timeout decides it first, so it is never breached. */
  SlaAfterTimeout: 'sla-after-timeout',
  /** A flow `sla` on a flow only ever called as a sub-flow (a warning): a sub-flow call is part of its caller's run, its SLA is not measured. */
  SlaInSubflowOnly: 'sla-in-subflow-only',
  // tools for agents (docs/language.md, "Tools")
  /** A `tools: [...]` entry naming no agent or flow of the workspace (with a did-you-mean). */
  UnknownTool: 'unknown-tool',
  /** Two entries of one `tools: [...]` the model would call by the same name. */
  DuplicateTool: 'duplicate-tool',
  /** `tools:` on an agent whose model is `http/…` or `command/…`: only a model (or a stub) runs a tool loop. */
  ToolsNeedModelAgent: 'tools-need-model-agent',
  /** A flow tool with an input of a recursive named type: its arguments have no JSON Schema to give the model. */
  ToolInputNotSchemable: 'tool-input-not-schemable',
  /** (warning) A tool whose agent (or a step of whose flow) says `idempotent: false`, with no `approval` and no `idempotent: false` of its own. */
  ToolUnguardedEffect: 'tool-unguarded-effect',
  /** `mcp.<server>.<tool>` whose server is not a key of `mcp.servers` in the nearest baton.config.json. */
  UnknownMcpServer: 'unknown-mcp-server',
  /** `max_turns:` not a whole number from 1 to 100. */
  MaxTurnsOutOfRange: 'max-turns-out-of-range',
  /** `call("X", …)` in a stub script, where X is not a tool of the agent (by the name the model calls it). */
  StubCallUnknownTool: 'stub-call-unknown-tool',
  /** An agent among its own tools, directly or through other agents' tools. */
  ToolRecursion: 'tool-recursion',
  /** `turns(…)` or `call(…)` outside an agent's stub, or a stub script of the wrong shape (a turn that is not a list of `call(…)`). */
  InvalidStubScript: 'invalid-stub-script',
  /** `approval_timeout:` on a tool without `approval:`: there is no approval to time out. */
  ToolTimeoutWithoutApproval: 'tool-timeout-without-approval',
  /** A test's `decide <step>.<tool>` of a tool without `approval:`: its calls never wait for a decision. */
  ToolWithoutApproval: 'tool-without-approval',
  // Flows written by agents (docs/agents.md)
  /** `generate { … }` on a step whose agent does not write a flow (`output: flow`). */
  GenerateNeedsFlowAgent: 'generate-needs-flow-agent',
  /** A step calls an agent with `output: flow` without a `generate { … }` policy. */
  GeneratePolicyMissing: 'generate-policy-missing',
  /** A key `generate { … }` does not know (did-you-mean), or one given twice. */
  GenerateUnknownKey: 'generate-unknown-key',
  /** A `generate` key with the wrong kind of value (`agents:` holds agents, `flows:` flows, `max_steps:` a number, `input:` a record type, …). */
  GenerateInvalidValue: 'generate-invalid-value',
  /** `max_steps` outside 1 … 1000, `repairs` outside 0 … 10, `budget_tokens` below 1. */
  GenerateLimitOutOfRange: 'generate-limit-out-of-range',
  /** `step s: run x` where `x` is not a step with a `generate { … }` policy. */
  RunNeedsGeneratingStep: 'run-needs-generating-step',
} as const;

/** One of {@link IssueCodes}. */
export type IssueCode = (typeof IssueCodes)[keyof typeof IssueCodes];
