// The state of one run as every view reads it (the CLI printer and `runs show`, the editor's Runs view and output
// channel, the graph panel's overlay, the web console): the types of the fold in run-model.ts.
import type { GeneratedFlowDiagnostic } from './generate.js';
import type { JsonValue } from './ir.js';
import type { RunError, RunStatus, StepStatus, WaitingOn } from './events.js';

/**
 * A step instance's state. `running`: started, not finished; `retrying`: an attempt failed and another comes
 * (after `delayMs`); the rest are {@link StepStatus} — `cancelled` is a withdrawn part (the rest of a partial join,
 * a cancelled region's step, a step a `cancel` named), never compensated.
 */
export type StepRunStatus = 'running' | 'retrying' | StepStatus;

/** One attempt of a step (a bar of the timeline). Times are ISO 8601. */
export interface StepAttempt {
  /** 1-based. */
  attempt: number;
  /**
   * When the attempt began: `step.started` for the first (and after a resume), the failed attempt's
   * `step.retrying` time plus its `delayMs` for a retry (no event marks a retry's start).
   */
  startedAt: string;
  /** When it ended (`step.retrying` or `step.finished`); absent while it runs. */
  endedAt?: string;
  /** A failed attempt's error. */
  error?: RunError;
}

/** A step instance: an agent call or a sub-flow call, keyed by the instance name (`intake`, `migrate[1]`, `incident/page`). */
export interface StepState {
  key: string;
  /** The IR node id (`Flow/step`); after `run.migrated`, the new definition's. */
  node: string;
  /** The agent or sub-flow called. */
  agent: string;
  /** `flow` for a sub-flow call (see {@link RunModel.scopes}). */
  target: 'agent' | 'flow';
  status: StepRunStatus;
  /** The attempts in order, for the timeline (a redriven step's go on after its earlier ones). */
  attempts: StepAttempt[];
  /** Attempts so far as the events count them (`step.finished`'s `attempts`; 1 for the first, 2 after one retry). */
  attemptCount: number;
  /** ISO 8601: the first `step.started`. */
  startedAt: string;
  /** ISO 8601: the `step.finished`. */
  endedAt?: string;
  /** Wall time of all attempts in ms, as `step.finished` reports it. */
  durationMs?: number;
  /** Model tokens (input + output) of all attempts; 0 for agents that report none. */
  tokens: number;
  /** Cost in US dollars when the configuration prices the model. */
  costUsd?: number;
  output?: JsonValue;
  error?: RunError;
  /** The `cancel` statement (node id) that asked for the step to stop. */
  cancelRequestedBy?: string;
  /** The prompt as rendered for its last attempt started (`step.started`'s `prompt`, ≤ 16 KiB), when recorded. */
  prompt?: string;
  /** Set when `prompt` was cut at 16 KiB. */
  promptTruncated?: true;
  /** An agent with tools: its tool loop's model turns (`turn.finished`), in turn order. */
  turns?: TurnState[];
  /** An agent with tools: its tool calls (`tool.started`/`tool.finished`), in the order they began (a refused one when refused). */
  tools?: ToolCallState[];
  /** A generating step (`output: flow`): each answer the checker saw (`flow.generated`), in attempt order. */
  written?: WrittenFlowState[];
}

/** One answer of a generating step (docs/agents.md, Flows written by agents). */
export interface WrittenFlowState {
  /** From 1. */
  attempt: number;
  accepted: boolean;
  /** The accepted flow's name and stored definition (`sha256:<hex>`). */
  flow?: string;
  definition?: string;
  /** The checker's diagnostics (empty when accepted). */
  diagnostics: GeneratedFlowDiagnostic[];
  /** What the agent wrote. */
  source: string;
  /** ISO 8601. */
  at: string;
}

/** One model turn of a step's tool loop. */
export interface TurnState {
  /** From 1. */
  turn: number;
  /** The model gave the step's output (no calls). */
  final: boolean;
  /** The tool calls it asked for. */
  calls: number;
  /** The model's text beside its calls, when it gave some. */
  text?: string;
  tokens: number;
  /** ISO 8601. */
  at: string;
}

/** One tool call of a step's tool loop, keyed within the step by turn and call id. */
export interface ToolCallState {
  turn: number;
  callId: string;
  /** The tool's name as the model calls it. */
  tool: string;
  /** What it calls; absent for a call refused before it started (an unknown tool). */
  target?: 'agent' | 'flow' | 'mcp';
  status: 'running' | 'succeeded' | 'failed' | 'refused';
  arguments?: JsonValue;
  /** ISO 8601 of its (last) `tool.started`, or of its refusal. */
  startedAt: string;
  endedAt?: string;
  /** ms. */
  durationMs?: number;
  output?: JsonValue;
  error?: RunError;
  tokens: number;
  /** A flow tool: the scope of its sub-flow's steps (`<step>/<callId>`; see {@link RunModel.scopes}). */
  childRun?: string;
}

/** An undo (`compensate`) of a finished step, keyed by the step instance it undoes. */
export interface CompensationState {
  step: string;
  node: string;
  agent: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  endedAt?: string;
  /** ms. */
  durationMs?: number;
  output?: JsonValue;
  error?: RunError;
}

/**
 * What a wait waits for: an approval, a timer (`wait 3d`), an event, a condition (`wait until`), a signal, a lock,
 * or the arrivals of a `foreach … in event` loop (`eventLoop`, open until its timeout, terminating event or join).
 */
export type WaitKind = 'approval' | 'timer' | 'event' | 'condition' | 'signal' | 'lock' | 'eventLoop';

/**
 * A wait's state. `waiting`: open; `held`: a lock got (its block runs); `done`: it came (an approval decided, a timer
 * fired, an event delivered, a condition met, a signal raised, a lock given up); `timedOut`: its deadline or timeout
 * passed first (its `on timeout` ran); `withdrawn`: an arm of a `wait first` another arm beat.
 */
export type WaitStatus = 'waiting' | 'held' | 'done' | 'timedOut' | 'withdrawn';

/** One wait of the run, keyed by its wait key (an approval by its task). */
export interface WaitState {
  key: string;
  kind: WaitKind;
  node: string;
  status: WaitStatus;
  /** For people: `wait 3d`, `event paid`, `wait until x > 1`, `lock "db"`, `wait signal ok`, `foreach … in event line.added`. */
  label: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601, once it is no longer `waiting`/`held`. */
  endedAt?: string;
  /** ISO 8601: when it times out (approval, event, condition, lock deadline) or fires (timer). */
  deadline?: string;
  /** The `wait first` choice it is an arm of. */
  group?: string;
  /** Approvals: ISO 8601 of the `sla:` deadline, and of its breach (`sla.breached`) once recorded. */
  slaDeadline?: string;
  slaBreachedAt?: string;
  /** Approvals: the prompt, who decides, the options, the decision once made, by whom, with what comment; events: who sent it. */
  prompt?: string;
  assignee?: string;
  options?: string[];
  decision?: string;
  by?: string;
  comment?: string;
  /** Events: the event's name; the data delivered. */
  event?: string;
  data?: JsonValue;
  /** An event loop: the instances it admitted so far. */
  admitted?: number;
  /** Locks: the lock's name and the run that held it when asked. */
  lock?: string;
  holder?: string;
  /** An approval of a tool call (`approval` on an agent's tool): the step and the call the model asked for. */
  toolCall?: { step: string; id: string; tool: string; arguments: JsonValue };
}

/** A decision's branch taken: `if`/`switch` arms, a `wait first`'s winning arm, `on timeout` arms. */
export interface BranchState {
  node: string;
  /** Sub-flow prefix and loop indexes of the decision instance. */
  scope: string;
  /** 0-based arm; -1 when no arm matched. */
  branch: number;
  label: string;
  /** ISO 8601. */
  time: string;
}

/** A partial join reached (`parallel first 2`, `foreach … first n`, an event loop's join). */
export interface JoinState {
  node: string;
  scope: string;
  counted: number[];
  rest: 'cancel' | 'keep';
  /** The branches or iterations withdrawn (numbers in source order). */
  withdrawn: number[];
  label: string;
  time: string;
}

/** A region a `cancel` or `complete` ended early, keyed by `region <scope><name>`. */
export interface RegionState {
  key: string;
  region: string;
  scope: string;
  node: string;
  status: 'cancelled' | 'completed';
  /** The `cancel`/`complete` statement's node id. */
  by: string;
  time: string;
}

/** A named lock the run asked for, keyed by its wait key. */
export interface LockState {
  key: string;
  name: string;
  node: string;
  status: 'requested' | 'held' | 'released' | 'timedOut';
  holder?: string;
  deadline?: string;
  requestedAt: string;
  acquiredAt?: string;
  releasedAt?: string;
}

/** A signal raised by a branch (`signal x`). */
export interface SignalState {
  name: string;
  node: string;
  scope: string;
  time: string;
}

/** A `run.migrated`: the run moved to another definition (hashes are SHA-256 hex). */
export interface MigrationState {
  from: string;
  to: string;
  flow: string;
  renamed: Record<string, string>;
  by?: string;
  time: string;
}

/** A sub-flow call: the steps whose keys start with `<key>/` are its own. */
export interface ScopeState {
  /** The calling step's instance key (`incident`, `notify[2]`). */
  key: string;
  flow: string;
  node: string;
  /** ISO 8601 of the `complete` that ended it early (`flow.completed`), with the statement's node id. */
  completedAt?: string;
  completedBy?: string;
}

/** An event sent before the run waited for it (`event.buffered`), until a wait takes it. */
export interface BufferedEventState {
  id: string;
  event: string;
  data: JsonValue;
  /** ISO 8601. */
  expires: string;
  taken: boolean;
}

/** An SLA breach (`sla.breached`), keyed by its SLA key (`flow`, `approval:<task>`); the first event per key counts. */
export interface SlaBreachState {
  key: string;
  kind: 'flow' | 'approval';
  /** The approval's node id, or the flow's name. */
  node: string;
  /** The approval instance (`approval:` keys). */
  task?: string;
  scope: string;
  /** The SLA, ms. */
  slaMs: number;
  /** ISO 8601: when it was due. */
  deadline: string;
  /** ISO 8601: when the breach was recorded (at or after `deadline`). */
  time: string;
}

/** An agent's circuit breaker (`circuit.changed`). */
export interface CircuitState {
  agent: string;
  state: 'open' | 'half-open' | 'closed';
  failures: number;
  until?: string;
}

/**
 * The state of one run, folded from its events by {@link foldRunEvent}. Collections are `Map`s in the order their
 * first event came (a step's `step.started`, …): the order views list them in; lookups are O(1).
 */
export interface RunModel {
  runId: string;
  flow: string;
  /** The entry `.flow` file, when the run recorded it. */
  file?: string;
  /** From the events: `running`, `waiting`, `succeeded`, `failed`, `cancelled` (`queued`/`interrupted` come only from a store's record). */
  status: RunStatus;
  /** ISO 8601 of `run.started` (undefined when the log read starts later). */
  startedAt?: string;
  /** ISO 8601 of the closing event (`run.succeeded`/`failed`/`cancelled`); absent while running or waiting. */
  finishedAt?: string;
  /** ISO 8601: the flow's `sla` deadline (`run.started`'s `slaDeadline`), when it has one. */
  slaDeadline?: string;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  error?: RunError;
  /** What the run waits for, as its last `run.waiting` said (empty otherwise). */
  waitingOn: WaitingOn[];
  /** The agents mode (`stub`, `real`, `replay:<cassette>`), from the last `run.started`/`run.resumed` that names it. */
  agentsMode?: string;
  /** Resumes (`run.resumed`), redrives included. */
  resumes: number;
  steps: Map<string, StepState>;
  compensations: Map<string, CompensationState>;
  /** Approvals (keyed by task), timers, event waits, conditions, signals, locks and event loops. */
  waits: Map<string, WaitState>;
  branches: BranchState[];
  joins: JoinState[];
  regions: Map<string, RegionState>;
  locks: Map<string, LockState>;
  signals: SignalState[];
  migrations: MigrationState[];
  scopes: Map<string, ScopeState>;
  buffered: Map<string, BufferedEventState>;
  circuits: Map<string, CircuitState>;
  /** SLAs breached (flow and approvals), in the order they were recorded; empty when none. */
  slaBreaches: Map<string, SlaBreachState>;
  /** Step instances that ended (any status), and their tokens and cost (summed in nano-dollars, so the order events come in does not change it). */
  totals: { stepsFinished: number; tokens: number; costUsd: number; retries: number };
  /** Highest `seq` folded; events at or below it are ignored (a log can be folded over a live state). */
  lastSeq: number;
  /** Events folded (those ignored as duplicates not counted). */
  events: number;
}
