import type { RunMigratedEvent } from './migrated-log.js';
import type { JsonValue, TypeRef } from './ir.js';
import type { FlowCompletedEvent, RegionCancelledEvent, RegionCompletedEvent, StepCancelRequestedEvent } from './events-regions.js';
import type { SlaBreachedEvent } from './events-sla.js';
import type { ToolCallRequest, ToolFinishedEvent, ToolStartedEvent, TurnFinishedEvent } from './tools.js';
import type { FlowGeneratedEvent } from './generate.js';
import type { EstimateConfig } from './estimate.js';

/**
 * Run events: every state change of a run, in order. One typed union, appended to the run store's log,
 * printed by the CLI (`--json` prints them as they are) and, later, forwarded unchanged to the editor.
 *
 * Every event has `type`, `runId`, `seq` (1, 2, … within the run) and `time` (ISO 8601). Step events name
 * the step instance the user sees in `step` (`intake`, `migrate[0]`, `incident/page` for a sub-flow's step)
 * and the IR node id in `node`, so the graph overlay needs no mapping.
 */
export type RunEvent =
  | RunStartedEvent
  | RunResumedEvent
  | StepStartedEvent
  | StepRetryingEvent
  | StepFinishedEvent
  | CircuitChangedEvent
  | BranchTakenEvent
  | JoinReachedEvent
  | CompensationStartedEvent
  | CompensationFinishedEvent
  | ApprovalRequestedEvent
  | ApprovalDecidedEvent
  | WaitStartedEvent
  | TimerFiredEvent
  | EventWaitingEvent
  | EventReceivedEvent
  | EventBufferedEvent
  | OutputSetEvent
  | VarSetEvent
  | ConditionWaitingEvent
  | ConditionMetEvent
  | ValueRecordedEvent
  | CancelRequestedEvent
  | RunWaitingEvent
  | RunSucceededEvent
  | RunFailedEvent
  | RunCancelledEvent
  | SignalRaisedEvent
  | SignalReceivedEvent
  | LockRequestedEvent
  | LockAcquiredEvent
  | LockReleasedEvent
  | WaitWithdrawnEvent
  | RegionCancelledEvent
  | RegionCompletedEvent
  | StepCancelRequestedEvent
  | FlowCompletedEvent
  | SlaBreachedEvent
  | RunMigratedEvent
  | TurnFinishedEvent
  | ToolStartedEvent
  | ToolFinishedEvent
  | FlowGeneratedEvent;

/** Fields every event has. */
export interface RunEventBase {
  runId: string;
  /** 1-based position in the run's log. */
  seq: number;
  /** ISO 8601. */
  time: string;
}

/** An error as events and results carry it: a stable code and a message for people. */
export interface RunError {
  code: string;
  message: string;
}

/**
 * How a step ended. `cancelled`: withdrawn while it ran or before it could — the rest of a partial join that
 * cancels (`parallel first 2 { … }`); its error is `{ code: 'CANCELLED' }`; it is not compensated.
 */
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/**
 * A run's state in the store. `interrupted`: stopped by the user (Ctrl-C) and resumable. `queued`: accepted
 * and stored, to be executed (or continued, after a decision, an event or a redrive) when a slot of the
 * server's run queue frees; a restart picks it up.
 */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** What a waiting run waits for. */
export type WaitingOn =
  | {
      kind: 'approval';
      task: string;
      node: string;
      assignee?: string;
      prompt?: string;
      /** ISO 8601: its `timeout` (then it is decided `timeout`). */
      deadline?: string;
      options: string[];
      group?: string;
      /** ISO 8601: its `sla:` — undecided then, it is marked breached (`sla.breached`); nothing else happens. */
      slaDeadline?: string;
      /** Its `sla:` in ms (with `slaDeadline`). */
      slaMs?: number;
    }
  | {
      kind: 'event';
      key: string;
      node: string;
      event: string;
      deadline?: string;
      /** `as x` on the wait. */
      name?: string;
      /** The wait's correlation: only an event whose data at `path` deep-equals `value` is delivered to it. */
      where?: { path: string[]; value: JsonValue };
      /** The declared type of the event's data (from the run's definition): a delivery that does not fit is refused (`EVENT_DATA_INVALID`). */
      data?: TypeRef;
      /** See {@link ChoiceGroup}. */
      group?: string;
      /**
       * The open arrivals of a `foreach x in event` loop (its next instance): a store keeps every matching event
       * sent to the run (`event.buffered`, whatever the event's `buffer:` says) and the loop takes them in order,
       * one instance each — so events sent one after the other while the run waits are never delivered to one key.
       */
      stream?: true;
    }
  | { kind: 'timer'; key: string; node: string; until: string; group?: string }
  /**
   * A `wait until` whose condition is false while every other branch of the run waits too (for an approval, an
   * event, a timer): it is checked again when the run continues. `condition` is its text, for people.
   */
  | { kind: 'condition'; key: string; node: string; condition: string; deadline?: string }
  /** A `lock` block waiting for its named lock (`name` as rendered); `deadline` from its `timeout`. */
  | { kind: 'lock'; key: string; node: string; name: string; deadline?: string }
  /** A `wait signal` whose signal no branch raised yet while the rest of the run waits: checked again when it continues. */
  | { kind: 'signal'; key: string; node: string; signal: string; deadline?: string; group?: string };

/**
 * The `group` of a wait (in `WaitingOn` and on its request event: `approval.requested`, `event.waiting`,
 * `wait.started`) that is one arm of a `wait first { … }`: the choice instance's key (`choice@<node>` with sub-flow
 * prefix and loop indexes). The first arm of a group to come wins: the store that records its decision or event
 * removes every wait of the group from the run's `waitingOn` in the same transaction, so a second one is refused
 * (`TASK_NOT_WAITING`, or `EVENT_NOT_AWAITED` / kept as for any event the run does not wait for now).
 */
export type ChoiceGroup = string;

/**
 * Which agents a run calls. A run keeps them for its whole life: resuming, approving, sending to and
 * redriving it use them again unless a switch is asked for explicitly (recorded on `run.resumed`).
 */
export interface RunAgents {
  /** `stub` (offline), `real` (providers), or `replay:<absolute path of the cassette>`. */
  mode: string;
  /**
   * With `real`: the `baton.config.json` that configured the providers — its absolute path and the SHA-256
   * (hex) of its bytes, never its contents. Absent when none was found (the providers' defaults).
   */
  config?: { path: string; sha256: string };
}

export interface RunStartedEvent extends RunEventBase {
  type: 'run.started';
  flow: string;
  inputs: Record<string, JsonValue>;
  file?: string;
  /**
   * How deep sub-flow calls may nest in this run (`limits.maxFlowDepth` of `baton.config.json` when it started);
   * a resumed run keeps it. Absent in runs stored before it was recorded: the default, 64.
   */
  maxFlowDepth?: number;
  /** The agents the run calls (absent in runs stored before they were recorded). */
  agents?: RunAgents;
  /** ISO 8601: the flow's `sla` deadline (the run's accept time plus the SLA; absent without one). */
  slaDeadline?: string;
  /**
   * `false`: the run's `step.started` events carry no rendered `prompt` (`runs.recordPrompts: false` in
   * baton.config.json where it started); a resumed run keeps it. Absent: prompts are recorded.
   */
  recordPrompts?: false;
  /**
   * The `prices` and `agents` overrides of `baton.config.json` where it started that its `estimate("Flow")` reads
   * (only its agents' and their models'); a resumed run keeps them. Absent: none (no cost in `estimate()`).
   */
  estimate?: EstimateConfig;
}

export interface RunResumedEvent extends RunEventBase {
  type: 'run.resumed';
  flow: string;
  /**
   * A redrive (`baton runs redrive`): a failed run continues from the step that failed it; the steps that
   * failed it run again, everything that finished before is kept.
   */
  redrive?: boolean;
  /** Who asked for the redrive (`baton runs redrive --by`, default the OS user; on `baton serve`, the authenticated caller). */
  by?: string;
  /** The agents the run continues with (absent when the caller did not say: runs stored before they were recorded, tests). */
  agents?: RunAgents;
  /** Set when the run switched agents here (`--switch-agents`): the agents it used until now. */
  switchedFrom?: RunAgents;
  /**
   * Set when the run was taken over: its executor was lost while the run was `running` (a killed worker or
   * process, a lease that expired). A run that loses its executor the third time fails with `WORKER_LOST`
   * instead (see the runtime's `MAX_RUN_LOSSES`).
   */
  takeover?: boolean;
}

export interface StepStartedEvent extends RunEventBase {
  type: 'step.started';
  step: string;
  node: string;
  /** The agent called, or the sub-flow for a sub-flow step. */
  agent: string;
  target: 'agent' | 'flow';
  /**
   * The prompt as rendered for this call (agent steps), at most 16 KiB of UTF-8 (then cut at a character boundary
   * and `promptTruncated` set). Absent for sub-flow steps, when the prompt could not be rendered (the step then
   * fails), in runs stored before it was recorded, and when `runs.recordPrompts` is `false` in baton.config.json.
   */
  prompt?: string;
  promptTruncated?: true;
}

/**
 * An agent's circuit breaker changed (`circuit: N failures <duration>` on the agent): `open` (calls fail fast
 * with `CIRCUIT_OPEN` until `until`), `half-open` (one probe call goes through), `closed` (calls go through).
 * The breaker is shared by every run of the process; the run whose call changed it records the change.
 */
export interface CircuitChangedEvent extends RunEventBase {
  type: 'circuit.changed';
  agent: string;
  state: 'open' | 'half-open' | 'closed';
  /** Failed calls in a row when it changed. */
  failures: number;
  /** ISO 8601: when an open circuit lets a probe through. */
  until?: string;
}

export interface StepRetryingEvent extends RunEventBase {
  type: 'step.retrying';
  step: string;
  node: string;
  agent: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** Wait before the next attempt, ms. */
  delayMs: number;
  error: RunError;
  /** The stub call index the failed attempt used. */
  callIndex: number;
}

export interface StepFinishedEvent extends RunEventBase {
  type: 'step.finished';
  step: string;
  node: string;
  agent: string;
  status: StepStatus;
  output?: JsonValue;
  error?: RunError;
  /** Wall time of all attempts, ms. */
  durationMs: number;
  attempts: number;
  /** Tokens the agent used (input + output, as the provider reports them; 0 for stubs). */
  tokens: number;
  /** What those tokens cost (US dollars), when `baton.config.json` gives the model's `prices`. */
  costUsd?: number;
  /** The stub call indexes this step's attempts used (empty for sub-flows and skipped steps). */
  callIndexes: number[];
}

/**
 * A partial join (`parallel first N`, `parallel until …`, `foreach … first N`, `… until …`) was reached. Recorded
 * and committed before anything is withdrawn: a resumed run reads it instead of deciding again, so the same
 * branches count and the same are withdrawn (they replay their stored results and call nothing new).
 */
export interface JoinReachedEvent extends RunEventBase {
  type: 'join.reached';
  /** The `parallel`'s or `foreach`'s IR node id. */
  node: string;
  /** Scope of the block: loop indexes and sub-flow prefix, e.g. `incident/` or `[2]`. */
  scope: string;
  /** Branch (source order, from 0) or iteration (item index) numbers that had counted, in the order they ended. */
  counted: number[];
  /** `cancel`: the others are withdrawn; `keep`: they run on. */
  rest: 'cancel' | 'keep';
  /** The branches/iterations withdrawn (not ended, or not started, when the join was reached); empty with `keep`. */
  withdrawn: number[];
  /** For people: `first 2 of 3`, `until a.status == "succeeded"`. */
  label: string;
}

export interface BranchTakenEvent extends RunEventBase {
  type: 'branch.taken';
  node: string;
  /** Scope of the decision: loop indexes and sub-flow prefix, e.g. `incident/` or `[2]`. */
  scope: string;
  /** Index of the branch taken (if/else-if arms and cases in order; `else`/`default` last); -1 for none. */
  branch: number;
  /** For people: `if intake.output.severity == "CRITICAL" → then`. */
  label: string;
}

export interface CompensationStartedEvent extends RunEventBase {
  type: 'compensation.started';
  /** The step being undone. */
  step: string;
  node: string;
  agent: string;
}

export interface CompensationFinishedEvent extends RunEventBase {
  type: 'compensation.finished';
  step: string;
  node: string;
  agent: string;
  status: 'succeeded' | 'failed';
  output?: JsonValue;
  error?: RunError;
  durationMs: number;
  callIndexes: number[];
}

export interface ApprovalRequestedEvent extends RunEventBase {
  type: 'approval.requested';
  /** The approval instance key (its name, with loop indexes / sub-flow prefix). */
  task: string;
  node: string;
  prompt?: string;
  assignee?: string;
  /** ISO 8601, when the approval has a timeout. */
  deadline?: string;
  options: string[];
  /** The `wait first` it is an arm of (see {@link ChoiceGroup}). */
  group?: string;
  /** A tool call that waits for this decision (`approval` on an agent's tool): what the model asked to run. */
  toolCall?: ToolCallRequest & { step: string };
  /** ISO 8601, when the approval has an `sla:` (see `sla.breached`). */
  slaDeadline?: string;
}

export interface ApprovalDecidedEvent extends RunEventBase {
  type: 'approval.decided';
  task: string;
  node: string;
  decision: string;
  by?: string;
  comment?: string;
}

export interface WaitStartedEvent extends RunEventBase {
  type: 'wait.started';
  key: string;
  node: string;
  durationMs: number;
  /** ISO 8601. */
  until: string;
  /** The `wait first` it is an arm of (`on timeout D`; see {@link ChoiceGroup}). */
  group?: string;
}

export interface TimerFiredEvent extends RunEventBase {
  type: 'timer.fired';
  key: string;
  node: string;
}

export interface EventWaitingEvent extends RunEventBase {
  type: 'event.waiting';
  key: string;
  node: string;
  event: string;
  deadline?: string;
  /** `as x` on the wait. */
  name?: string;
  /** The wait's correlation, its value evaluated when the wait started. */
  where?: { path: string[]; value: JsonValue };
  /** The `wait first` it is an arm of (see {@link ChoiceGroup}). */
  group?: string;
  /** The arrivals of a `foreach … in event` loop (key `<loop>#<n>`: its instance n), not a `wait event`. */
  stream?: true;
}

/**
 * An arm of a `wait first` lost: another arm came first (recorded as `branch.taken` on the choice just before).
 * Its approval leaves the inboxes, its timer is dropped, its event is no longer awaited; its body never runs.
 */
export interface WaitWithdrawnEvent extends RunEventBase {
  type: 'wait.withdrawn';
  /** The arm's wait instance: the approval's task, or the event/timer/signal wait's key. */
  key: string;
  /** The arm's node id. */
  node: string;
  /** The loop iteration (or sub-flow call) of the choice, as on `branch.taken`. */
  scope: string;
  kind: 'approval' | 'event' | 'timer' | 'signal';
  /** What the arm waited for, for people: `approval write_off`, `event payment.received`, `after 3d`, `signal s`. */
  label: string;
  /** The choice instance (see {@link ChoiceGroup}). */
  group: string;
}

export interface EventReceivedEvent extends RunEventBase {
  type: 'event.received';
  event: string;
  data: JsonValue;
  /** The `wait event` instance it was delivered to (also set when its deadline passed, since timed-out waits are recorded by key). */
  key?: string;
  timedOut?: boolean;
  /** The `wait event` node it reached (absent in events stored before it was recorded). */
  node?: string;
  /** Set when the event was sent before the wait started and kept in the run's buffer until then (persistent trigger). */
  buffered?: boolean;
  /** The `event.buffered` event's `id` it consumed (with `buffered`). */
  bufferId?: string;
  /** Who sent it: the authenticated caller on `baton serve` (`POST /runs/:id/events/:name`); absent otherwise. */
  by?: string;
}

/**
 * An event sent to the run (`baton send`, `POST /runs/:id/events/:name`) while it did not wait for it, kept in
 * its log until a `wait event` of the run takes it (then an `event.received` with `bufferId` names it) or it
 * expires — a persistent trigger. Appended by the store beside the run's own events, like a decision.
 */
export interface EventBufferedEvent extends RunEventBase {
  type: 'event.buffered';
  /** Unique within the run: names the buffered event when a wait takes it. */
  id: string;
  event: string;
  data: JsonValue;
  /** ISO 8601: after this no wait takes it. */
  expires: string;
  /** Who sent it: the authenticated caller on `baton serve` (`POST /runs/:id/events/:name`); absent otherwise. */
  by?: string;
}

/** `signal s` ran: the latch `s` of its loop iteration (`scope`) is raised. */
export interface SignalRaisedEvent extends RunEventBase {
  type: 'signal.raised';
  node: string;
  scope: string;
  name: string;
}

/** A `wait signal` passed: its signal was raised (`timedOut`: its `timeout` passed first, the `on timeout` block ran). */
export interface SignalReceivedEvent extends RunEventBase {
  type: 'signal.received';
  key: string;
  node: string;
  name: string;
  timedOut?: boolean;
}

/**
 * A `lock` block asked for its named lock and another holds it: the block waits in the lock's queue (first come,
 * first served) — in the process, or with the run `waiting` (`WaitingOn` kind `lock`).
 */
export interface LockRequestedEvent extends RunEventBase {
  type: 'lock.requested';
  /** The block instance (`lock@<node>` with sub-flow prefix and loop indexes). */
  key: string;
  node: string;
  /** The lock's name as rendered (`stock:A1`). */
  name: string;
  /** Who held it when asked. */
  holder?: string;
  /** When the block gives up (its `timeout`), ISO 8601. */
  deadline?: string;
}

/**
 * A `lock` block holds its named lock: taken at once, or handed over by the holder's release (`from`: the run that
 * released it; the store appends this event to the waiting run's log in the release's transaction).
 */
export interface LockAcquiredEvent extends RunEventBase {
  type: 'lock.acquired';
  key: string;
  node: string;
  name: string;
  from?: string;
}

/**
 * A `lock` block gave its lock up: its body ended (succeeded or failed), or it stopped waiting (`timedOut`: its
 * `timeout` passed first).
 */
export interface LockReleasedEvent extends RunEventBase {
  type: 'lock.released';
  key: string;
  node: string;
  name: string;
  timedOut?: boolean;
}

export interface OutputSetEvent extends RunEventBase {
  type: 'output.set';
  node: string;
  scope: string;
  name: string;
  value: JsonValue;
}

/**
 * A `var` got a value: its declaration (`var total = 0`) or a `set total = …`. For the run overlay and
 * `baton runs show`; a resumed run recomputes its vars from the stored step results, not from these.
 */
export interface VarSetEvent extends RunEventBase {
  type: 'var.set';
  node: string;
  /** Scope of the statement: loop indexes and sub-flow prefix, e.g. `[2]` (see `branch.taken`). */
  scope: string;
  name: string;
  value: JsonValue;
}

/** A `wait until` found its condition false and waits (`deadline`, ISO 8601, when it has a `timeout`). */
export interface ConditionWaitingEvent extends RunEventBase {
  type: 'condition.waiting';
  /** The wait's instance key: `wait@<node id>` with sub-flow prefix and loop indexes. */
  key: string;
  node: string;
  /** The condition's text, for people. */
  condition: string;
  deadline?: string;
}

/**
 * A `wait until` passed: its condition held (`timedOut` absent) or its `timeout` passed first (`timedOut: true`,
 * then its `on timeout` block runs). Recorded before the branch goes on, so a resumed run passes at once.
 */
export interface ConditionMetEvent extends RunEventBase {
  type: 'condition.met';
  key: string;
  node: string;
  /** The condition's text, for people. */
  condition: string;
  timedOut?: boolean;
}

/**
 * A non-deterministic value recorded so a resumed run sees the same value: `now#<n>` (a `now()`), or
 * `call:<stepKey>` (`{agent, callIndex}`: the call index a call inside a `parallel` or a concurrent `foreach`
 * took, stored before the call is made, so that the call keeps its index and idempotency key when replayed),
 * `deadline:<key>` (a `wait signal`'s deadline), or `loop-time:<stepKey>` (a tool loop's time: `{ deadline }` while
 * it runs, `{ leftMs }` while the run waits for one of its calls — the step's timeout spans processes).
 */
export interface ValueRecordedEvent extends RunEventBase {
  type: 'value.recorded';
  key: string;
  value: JsonValue;
}

export interface CancelRequestedEvent extends RunEventBase {
  type: 'cancel.requested';
  by?: string;
}

export interface RunWaitingEvent extends RunEventBase {
  type: 'run.waiting';
  waitingOn: WaitingOn[];
  outputs: Record<string, JsonValue>;
}

export interface RunSucceededEvent extends RunEventBase {
  type: 'run.succeeded';
  outputs: Record<string, JsonValue>;
  /** The IR node id of the bare `complete` that ended the run early (WCP-43), when one did. */
  completedBy?: string;
}

export interface RunFailedEvent extends RunEventBase {
  type: 'run.failed';
  error: RunError;
  /** The step whose failure ended the run, when one did. */
  step?: string;
  outputs: Record<string, JsonValue>;
}

export interface RunCancelledEvent extends RunEventBase {
  type: 'run.cancelled';
  outputs: Record<string, JsonValue>;
}

/** An event before the store numbers and timestamps it. */
export type NewRunEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 'time' | 'runId'> : never) : never;
