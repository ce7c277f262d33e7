import type { EstimateConfig, FlowGeneratedEvent } from '@baton/protocol';
import type {
  ApprovalDecidedEvent,
  ApprovalRequestedEvent,
  BranchTakenEvent,
  CompensationFinishedEvent,
  ConditionMetEvent,
  ConditionWaitingEvent,
  EventReceivedEvent,
  EventBufferedEvent,
  EventWaitingEvent,
  FlowCompletedEvent,
  RegionCancelledEvent,
  RegionCompletedEvent,
  JoinReachedEvent,
  JsonValue,
  LockAcquiredEvent,
  SignalReceivedEvent,
  LockReleasedEvent,
  LockRequestedEvent,
  RunEvent,
  StepFinishedEvent,
  ToolFinishedEvent,
  ToolStartedEvent,
  TurnFinishedEvent,
  WaitStartedEvent,
} from '@baton/protocol';
import { readAcrossMigrations } from '@baton/protocol';

/**
 * The key prefix of the `value.recorded` events that reserve a call index (`call:<stepKey>`, value
 * `{agent, callIndex}`). A call inside a `parallel` or a concurrent `foreach` records its index before it is
 * made: when the run stops while it is in flight and a sibling of the same agent finished meanwhile with a
 * higher index, replay could not tell the call's index from the log's records alone. A call outside them needs
 * no record: every earlier call of the run is recorded before it starts, so it is the agent's next index.
 */
export const CALL_RESERVATION_PREFIX = 'call:';

/**
 * The key prefix of the `value.recorded` events that keep a tool loop's time across processes (`loop-time:<stepKey>`):
 * `{ deadline }` (ISO 8601) while the loop runs — a loop resumed after a crash or an interruption gets only the time
 * left until then — and `{ leftMs }` while the run waits for one of the loop's calls (a tool's approval, a flow tool's
 * wait): that time does not count, and the resumed loop records a new deadline `leftMs` ahead. See engine/tool-loop.ts.
 */
export const LOOP_TIME_PREFIX = 'loop-time:';

/**
 * What a run's stored log says has already happened, indexed for replay. Resuming a run re-executes its
 * flow from the start against this: a step whose completion is here is not called again (its stored
 * result is used), decisions, timers, received events and recorded values are read back, and events
 * already in the log are not written twice.
 */
export class ReplayLog {
  readonly finishedSteps = new ReadTrackingMap<string, StepFinishedEvent>();
  /** Steps that have started (`step.started`), by key: one started but not finished was in flight when the run stopped. */
  readonly startedSteps = new Set<string>();
  /** Partial joins reached, by `<node>|<scope>`: replay withdraws the same parts (see engine/joins.ts). */
  readonly joins = new Map<string, JoinReachedEvent>();
  /**
   * Steps that had failed when the run was redriven (`run.resumed` with `redrive`): they run again, unless
   * their step says `on error: continue` (then the failure was part of the run, not its end, and stays).
   */
  readonly failedBeforeRedrive = new Map<string, StepFinishedEvent>();
  readonly finishedCompensations = new Map<string, CompensationFinishedEvent>();
  readonly approvalsRequested = new Map<string, ApprovalRequestedEvent>();
  readonly decisions = new ReadTrackingMap<string, ApprovalDecidedEvent>();
  readonly waitsStarted = new Map<string, WaitStartedEvent>();
  readonly timersFired = new Set<string>();
  readonly eventsWaiting = new Map<string, EventWaitingEvent>();
  readonly eventsReceived = new ReadTrackingMap<string, EventReceivedEvent>();
  /** Events sent to the run before it waited for them (`event.buffered`), in arrival order; taken ones are in {@link buffersTaken}. */
  readonly eventsBuffered: EventBufferedEvent[] = [];
  /** `id`s of buffered events a wait has taken (`event.received` with `bufferId`). */
  readonly buffersTaken = new Set<string>();
  readonly values = new Map<string, JsonValue>();
  /** `wait until` instances that waited (their deadline), and those that passed, by key. */
  readonly conditionsWaiting = new Map<string, ConditionWaitingEvent>();
  readonly conditionsMet = new Map<string, ConditionMetEvent>();
  /** `wait signal` instances that passed (or timed out), by key. */
  readonly signalsReceived = new Map<string, SignalReceivedEvent>();
  /** Lock blocks by key: asked for (and queued), holding (taken or handed over), given up. */
  readonly locksRequested = new Map<string, LockRequestedEvent>();
  readonly locksAcquired = new Map<string, LockAcquiredEvent>();
  readonly locksReleased = new Map<string, LockReleasedEvent>();
  /** Branch decisions (`branch.taken`) by `<node>|<scope>`: a `wait first` reads its winner back (see engine/choice.ts). */
  readonly branches = new Map<string, BranchTakenEvent>();
  /** Regions ended early (`region.cancelled`, `region.completed`), by `<node>|<scope>`: replay withdraws them again (engine/regions.ts). */
  readonly regionEnds = new Map<string, RegionCancelledEvent | RegionCompletedEvent>();
  /** Step instances a `cancel <step>` reached while they ran (`step.cancelRequested`), by key. */
  readonly stepCancels = new Set<string>();
  /** Flow invocations a bare `complete` ended (`flow.completed`), by scope ('' for the run's flow). */
  readonly flowsCompleted = new Map<string, FlowCompletedEvent>();
  /** `type|node|scope` of decision and output events already written. */
  readonly written = new Set<string>();
  /** Next stub call index per agent. */
  readonly nextCall = new Map<string, number>();
  /** The attempts of generating steps (`flow.generated`), by step key, in order (generate-step.ts). */
  readonly generatedFlows = new Map<string, FlowGeneratedEvent[]>();
  /**
   * Per step key: the call index a call of that step took inside a `parallel` or concurrent `foreach`
   * ({@link CALL_RESERVATION_PREFIX}), while no record of the call (`step.retrying`, `step.finished`) follows it:
   * the call was in flight when the run stopped, and calls again with that index.
   */
  readonly reservedCalls = new Map<string, { agent: string; callIndex: number }>();
  /**
   * The tool loops' finished model turns (`turn.finished`) by step key, in turn order: a resumed loop gives them
   * back to the model instead of asking again (engine/tool-loop.ts).
   */
  readonly toolTurns = new Map<string, TurnFinishedEvent[]>();
  /** The tool loops' finished tool calls (`tool.finished`) by step key, then by `<turn>|<callId>`: answered from here on resume. */
  readonly toolResults = new Map<string, Map<string, ToolFinishedEvent>>();
  /** The tool calls started (`tool.started`), by `<step>|<turn>|<callId>`: one not finished runs again with its call index. */
  readonly toolStarts = new Map<string, ToolStartedEvent>();
  /** Steps finished so far (for the summary). */
  stepCount = 0;
  /** The sub-flow depth bound the run started with (`run.started.maxFlowDepth`), when it recorded one. */
  maxFlowDepth: number | undefined;
  /** Whether `step.started` records the rendered prompt (`run.started.recordPrompts`; default yes). */
  recordPrompts = true;
  /** What `estimate()` reads of the configuration the run started under (`run.started.estimate`). */
  estimateConfig: EstimateConfig | undefined;
  /**
   * SLAs: the flow's deadline (`run.started.slaDeadline`) and the run's start, and the SLA keys the log has a
   * `sla.breached` of. Not replayed (a breach changes no path): read by the engine's late detection (sla-late.ts).
   */
  readonly sla: { flowDeadline?: string; startedAt?: string; breached: Set<string> } = { breached: new Set() };

  /**
   * Indexes a run's stored log. Events before a `run.migrated` are read with its node renames applied (see
   * migrate/renames.ts), so a migrated run replays its old events under its new definition's ids and keys.
   */
  constructor(events: RunEvent[] = []) {
    for (const e of readAcrossMigrations(events)) this.add(e);
  }

  /**
   * Starts recording which finished steps, decisions and received events the execution looks up (a migration's
   * dry replay: did the new definition reach every part the run finished?).
   * @returns the keys looked up, by what they are.
   */
  trackReads(): { steps: Set<string>; decisions: Set<string>; events: Set<string> } {
    return { steps: (this.finishedSteps.reads = new Set()), decisions: (this.decisions.reads = new Set()), events: (this.eventsReceived.reads = new Set()) };
  }

  /** Indexes one event (also used for the events this execution writes). */
  add(e: RunEvent): void {
    switch (e.type) {
      case 'run.started':
        this.maxFlowDepth = e.maxFlowDepth;
        this.sla.flowDeadline = e.slaDeadline;
        this.recordPrompts = e.recordPrompts !== false;
        this.estimateConfig = e.estimate;
        this.sla.startedAt = e.time;
        break;
      case 'sla.breached':
        this.sla.breached.add(e.key);
        break;
      case 'run.migrated':
        // the new definition's SLAs: its flow's deadline, and those of the approvals the run waited for
        if (e.sla) {
          this.sla.flowDeadline = e.sla.flow ?? undefined;
          for (const [task, deadline] of Object.entries(e.sla.approvals)) {
            const requested = this.approvalsRequested.get(task);
            if (!requested) continue;
            const { slaDeadline: _old, ...rest } = requested;
            this.approvalsRequested.set(task, deadline ? { ...rest, slaDeadline: deadline } : rest);
          }
        }
        break;
      case 'run.resumed':
        if (e.redrive) {
          for (const [key, finished] of this.finishedSteps) {
            if (finished.status !== 'failed') continue;
            this.finishedSteps.delete(key);
            this.failedBeforeRedrive.set(key, finished);
            this.stepCount--;
            // a redriven step's tool loop starts over, with its whole timeout
            this.toolTurns.delete(key);
            this.toolResults.delete(key);
            this.values.delete(`${LOOP_TIME_PREFIX}${key}`);
          }
        }
        break;
      case 'step.started':
        this.startedSteps.add(e.step);
        break;
      case 'join.reached':
        this.joins.set(`${e.node}|${e.scope}`, e);
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'step.finished':
        this.reservedCalls.delete(e.step);
        this.finishedSteps.set(e.step, e);
        this.stepCount++;
        for (const i of e.callIndexes) this.bumpCall(e.agent, i);
        break;
      case 'flow.generated': {
        this.bumpCall(e.agent, e.callIndex);
        if (this.reservedCalls.get(e.step)?.callIndex === e.callIndex) this.reservedCalls.delete(e.step);
        const attempts = this.generatedFlows.get(e.step) ?? [];
        attempts.push(e);
        this.generatedFlows.set(e.step, attempts);
        break;
      }
      case 'step.retrying':
        this.bumpCall(e.agent, e.callIndex);
        if (this.reservedCalls.get(e.step)?.callIndex === e.callIndex) this.reservedCalls.delete(e.step);
        break;
      case 'turn.finished': {
        const turns = this.toolTurns.get(e.step) ?? [];
        turns[e.turn - 1] = e;
        this.toolTurns.set(e.step, turns);
        if (e.callIndex !== undefined) {
          this.bumpCall(e.agent, e.callIndex);
          if (this.reservedCalls.get(e.step)?.callIndex === e.callIndex) this.reservedCalls.delete(e.step);
        }
        break;
      }
      case 'tool.started':
        this.toolStarts.set(`${e.step}|${e.turn}|${e.callId}`, e);
        // an agent tool is named by its agent
        if (e.target === 'agent' && e.callIndex !== undefined) this.bumpCall(e.tool, e.callIndex);
        break;
      case 'tool.finished': {
        const results = this.toolResults.get(e.step) ?? new Map<string, ToolFinishedEvent>();
        results.set(`${e.turn}|${e.callId}`, e);
        this.toolResults.set(e.step, results);
        break;
      }
      case 'compensation.finished':
        this.finishedCompensations.set(e.step, e);
        for (const i of e.callIndexes) this.bumpCall(e.agent, i);
        break;
      case 'approval.requested':
        this.approvalsRequested.set(e.task, e);
        break;
      case 'approval.decided':
        this.decisions.set(e.task, e);
        break;
      case 'wait.started':
        this.waitsStarted.set(e.key, e);
        break;
      case 'timer.fired':
        this.timersFired.add(e.key);
        break;
      case 'event.waiting':
        this.eventsWaiting.set(e.key, e);
        break;
      case 'event.received':
        if (e.key) this.eventsReceived.set(e.key, e);
        if (e.bufferId) this.buffersTaken.add(e.bufferId);
        break;
      case 'event.buffered':
        this.eventsBuffered.push(e);
        break;
      case 'value.recorded': {
        this.values.set(e.key, e.value);
        const reserved = e.key.startsWith(CALL_RESERVATION_PREFIX) ? (e.value as { agent?: unknown; callIndex?: unknown } | null) : undefined;
        if (reserved && typeof reserved.agent === 'string' && Number.isInteger(reserved.callIndex)) {
          this.reservedCalls.set(e.key.slice(CALL_RESERVATION_PREFIX.length), { agent: reserved.agent, callIndex: reserved.callIndex as number });
          this.bumpCall(reserved.agent, reserved.callIndex as number);
        }
        break;
      }
      case 'signal.received':
        this.signalsReceived.set(e.key, e);
        break;
      case 'signal.raised':
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'lock.requested':
        this.locksRequested.set(e.key, e);
        break;
      case 'lock.acquired':
        this.locksAcquired.set(e.key, e);
        break;
      case 'lock.released':
        this.locksReleased.set(e.key, e);
        break;
      case 'region.cancelled':
      case 'region.completed':
        this.regionEnds.set(`${e.node}|${e.scope}`, e);
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'step.cancelRequested':
        this.stepCancels.add(e.step);
        break;
      case 'flow.completed':
        this.flowsCompleted.set(e.scope, e);
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'branch.taken':
        this.branches.set(`${e.node}|${e.scope}`, e);
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'wait.withdrawn':
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'output.set':
      case 'var.set':
        this.written.add(`${e.type}|${e.node}|${e.scope}`);
        break;
      case 'condition.waiting':
        this.conditionsWaiting.set(e.key, e);
        break;
      case 'condition.met':
        this.conditionsMet.set(e.key, e);
        break;
      default:
        break;
    }
  }

  private bumpCall(agent: string, index: number): void {
    this.nextCall.set(agent, Math.max(this.nextCall.get(agent) ?? 0, index + 1));
  }

  /**
   * The call index for the next call of `agent` by step `stepKey`: the one the log reserved for that step's call
   * in flight when the run stopped ({@link reservedCalls}; `reserved: true`, taken from the reservations), else
   * the agent's next index.
   */
  takeStepCall(agent: string, stepKey: string): { callIndex: number; reserved: boolean } {
    const reserved = this.reservedCalls.get(stepKey);
    if (reserved && reserved.agent === agent) {
      this.reservedCalls.delete(stepKey);
      return { callIndex: reserved.callIndex, reserved: true };
    }
    return { callIndex: this.takeCall(agent), reserved: false };
  }

  /** Takes the next stub call index of an agent. */
  takeCall(agent: string): number {
    const index = this.nextCall.get(agent) ?? 0;
    this.nextCall.set(agent, index + 1);
    return index;
  }
}

/** A Map that can record the keys read with `get` (see {@link ReplayLog.trackReads}). */
export class ReadTrackingMap<K, V> extends Map<K, V> {
  /** The keys `get` was asked for since tracking started; undefined while not tracking. */
  reads: Set<K> | undefined;

  override get(key: K): V | undefined {
    this.reads?.add(key);
    return super.get(key);
  }
}
