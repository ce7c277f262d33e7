import { setMaxListeners } from 'node:events';
import type { JsonValue, NewRunEvent, RunError, RunEvent, Statement, StepNode, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';
import type { McpTools } from '../agents/mcp-tools.js';
import { type BatonError, toRunError } from '../errors.js';
import { evaluate, renderText, type EvalScope } from '../expr/evaluate.js';
import { flowEstimateValue } from '../expr/estimate-value.js';
import { deepEqual, makeRecord, setOwn, toJson, toText, truthy } from '../expr/values.js';
import type { RunStoreApi } from '../store/store-api.js';
import { agentStep, compensateSteps, type AgentStepHost, type Compensable } from './agent-step.js';
import { EventJournal } from './event-journal.js';
import { ReplayLog } from './replay-log.js';
import { foreachStatement, parallelStatement, repeatStatement } from './loops.js';
import { checkWithdrawnStatement, ownedBlock, withdrawnBy, withdrawnStep, Withdrawn } from './joins.js';
import { notRun, Scope, skippedView, stepView, type StepView } from './scope.js';
import { branchLabel, declaredNames, loopListNames } from './statements.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { guardStore, LOST_RUN_CODES, RunFailure, Stopped } from './stops.js';
import { approvalStatement, Suspended, waitStatement, type WaitHost } from './waits.js';
import { approvalBreachIfLate, flowBreachIfLate, slaDueWhileWaiting, type SlaHost } from './sla-late.js';
import { waitEventStatement } from './events.js';
import { eventForeachStatement, type EventLoopHost } from './event-foreach.js';
import { assignStatement, Milestones, varStatement, waitUntilStatement } from './state.js';
import { lockStatement, type LockHost } from './locks.js';
import { RaisedSignals, signalStatement, waitSignalStatement } from './signals.js';
import { choiceStatement, type ChoiceHost } from './choice.js';
import type { CircuitBreakers } from './resilience.js';
import { subflowStep, type SubflowHost } from './subflow.js';
import type { FlowAuthoring } from './flow-authoring.js';
import { generatedFlowStep, generateStep, generatingPolicy, type GenerateHost } from './generate-step.js';
import { sourcesOf } from './definition-sources.js';
import { ActiveRegions, cancellableStep, cancellableSteps, cancelStepStatement, completableBody, completeFlowStatement, endRegionStatement, regionStatement, type RegionHost } from './regions.js';

/** Dependencies and knobs of an execution; see `RunOptions` in engine.ts. */
export interface ExecutionDeps {
  store: RunStoreApi;
  agents: AgentCaller;
  /** The agents' circuit breakers (shared by the runs of a process). */
  circuits: CircuitBreakers;
  /** Crash test hook: SIGKILL this process once this step has started (see RunOptions.crashAt). */
  crashAt?: string;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  random: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => Date;
  /** Waits up to this long (ms) sleep in-process; longer ones persist the run as waiting. */
  shortWaitMs: number;
  /** The MCP servers' tools, for agents' MCP tools (see RunOptions.mcp). */
  mcp?: McpTools;
  /** Checks flows written by agents (see RunOptions.flowAuthoring). */
  flowAuthoring?: FlowAuthoring;
}

/** The result of executing (part of) a run. */
export interface ExecutionResult {
  status: 'succeeded' | 'failed' | 'waiting' | 'cancelled' | 'interrupted';
  outputs: Record<string, JsonValue>;
  error?: RunError;
  waitingOn: WaitingOn[];
  /** The top-level scope at the end: what a test's `expect` reads. */
  scope: Scope;
  stepNames: Set<string>;
  /** The step names that read as lists at the top level ({@link loopListNames}): `[]` when their loop did not run. */
  loopLists: Set<string>;
  steps: number;
}

/**
 * Executes one run of a definition, from the start or — given the run's stored log — by replaying it:
 * statements run in order, and a step whose completion the log holds is not called again.
 */
export class Execution {
  private readonly log: ReplayLog;
  private readonly compensable: Compensable[] = [];
  private tokens = 0;
  private nowCounter = 0;
  private lastCancelCheck = 0;
  /** A cancellation of this run was seen in the store (see {@link checkStop}). */
  private cancelSeen = false;
  private readonly root: AbortController = new AbortController();
  /** The store failure (`STORE_BUSY`, …) that stopped this run, if one did (see {@link guardStore}). */
  private storeFailure: BatonError | undefined;
  /** The store itself, unguarded: for recording the stop after a store failure. */
  private readonly rawStore: RunStoreApi;
  /** The run's events: stored first, then reported to `onEvent` (see {@link EventJournal}). */
  private readonly journal: EventJournal;
  /** What the waits (waits.ts) use of this execution. */
  private readonly waitHost: WaitHost;
  /** What the lock blocks (locks.ts) use of this execution. */
  private readonly lockHost: LockHost;
  /** What the agent steps and compensations (agent-step.ts) use of this execution. */
  private readonly agentHost: AgentStepHost;
  /** What the loops (loops.ts) use of this execution. */
  private readonly loopHost: EventLoopHost;
  /** What the sub-flow steps (subflow.ts) use of this execution. */
  private readonly subflowHost: SubflowHost;
  /** What the regions, `cancel` and `complete` (regions.ts) use of this execution. */
  private readonly regionHost: RegionHost;
  /** What the generating and `run` steps (generate-step.ts) use of this execution. */
  private readonly generateHost: GenerateHost;
  /** The strands of this execution and its `wait until`s (state.ts). */
  private readonly milestones: Milestones;
  /** The signals raised in this execution (signals.ts). */
  private readonly signals = new RaisedSignals();
  /** What the `wait first` choices (choice.ts) use of this execution. */
  private readonly choiceHost: ChoiceHost;
  /** What the late SLA detection (sla-late.ts) uses of this execution. */
  private get slaHost(): SlaHost {
    return { log: this.log, store: this.deps.store, runId: this.runId, now: () => this.deps.now(), emit: (event) => this.emit(event) };
  }

  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly runId: string,
    private readonly deps: ExecutionDeps,
    past: RunEvent[],
  ) {
    this.rawStore = deps.store;
    this.deps = { ...deps, store: guardStore(deps.store, (error) => (this.storeFailure ??= error)) };
    this.journal = new EventJournal(this.deps.store, runId, deps.onEvent);
    this.log = new ReplayLog(past);
    this.waitHost = {
      log: this.log,
      now: () => this.deps.now(),
      shortWaitMs: this.deps.shortWaitMs,
      sleep: (ms, signal) => this.deps.sleep(ms, signal),
      checkStop: (frame) => this.checkStop(frame),
      evalScope: (frame) => this.evalScope(frame),
      emit: (event) => this.emit(event),
      emitOnce: (event) => this.emitOnce(event),
      block: (statements, frame) => this.block(statements, frame),
      commit: () => this.commit(),
      eventTypes: definition.events ?? {},
      takeBroadcast: deps.store.takeBroadcast ? (key, event, where) => this.deps.store.takeBroadcast!(this.runId, key, event, where, this.deps.now()) : undefined,
      approvalBreachIfLate: (task, node, slaDeadline, decidedAt) => approvalBreachIfLate(this.slaHost, task, node, slaDeadline, decidedAt),
    };
    this.lockHost = { ...this.waitHost, store: this.deps.store, runId };
    this.agentHost = {
      log: this.log,
      runId,
      agents: definition.agents,
      caller: this.deps.agents,
      circuits: this.deps.circuits,
      crashAt: this.deps.crashAt,
      now: () => this.deps.now(),
      random: () => this.deps.random(),
      sleep: (ms, signal) => this.deps.sleep(ms, signal),
      interrupted: () => this.deps.signal?.aborted === true,
      stopped: () => this.stopped(),
      checkStop: (frame) => this.checkStop(frame),
      evalScope: (frame) => this.evalScope(frame),
      emit: (event) => this.emit(event),
      commit: () => this.commit(),
      registerCompensation: (s, key, seq, frame) => this.registerCompensation(s, key, seq, frame),
      chargeTokens: (tokens, frame, key) => this.chargeTokens(tokens, frame, key),
      recordPrompts: () => this.log.recordPrompts,
      subflows: () => this.subflowHost,
      mcp: this.deps.mcp,
    };
    this.milestones = new Milestones({ now: () => this.deps.now(), shortWaitMs: this.deps.shortWaitMs });
    this.choiceHost = { ...this.waitHost, milestones: this.milestones, signals: this.signals, storedEvents: () => this.deps.store.getEvents(runId) };
    this.loopHost = {
      evalScope: (frame) => this.evalScope(frame),
      block: (statements, frame) => this.block(statements, frame),
      statement: (s, frame) => this.statement(s, frame),
      log: this.log,
      emit: (event) => this.emit(event),
      emitOnce: (event) => this.emitOnce(event),
      commit: () => this.commit(),
      milestones: this.milestones,
      ...{ now: this.waitHost.now, checkStop: this.waitHost.checkStop, eventTypes: this.waitHost.eventTypes, takeBroadcast: this.waitHost.takeBroadcast },
      keptSince: deps.store.keptEventsSince ? (afterSeq) => this.deps.store.keptEventsSince!(runId, afterSeq) : undefined,
    };
    this.regionHost = { ...this.loopHost, agentHost: this.agentHost, active: new ActiveRegions(), compensations: (frame) => frame.compensations ?? this.compensable };
    this.subflowHost = { ...this.loopHost, flows: definition.flows, registerCompensation: (s, key, seq, frame) => this.registerCompensation(s, key, seq, frame) };
    this.generateHost = {
      agentHost: this.agentHost,
      subflowHost: this.subflowHost,
      store: this.deps.store,
      authoring: deps.flowAuthoring,
      sources: async () => sourcesOf(definition) ?? (await this.deps.store.getDefinitionSources?.(runId))?.sources ?? [],
      generated: new Map(),
    };
    // Every running step listens on its parent's signal; a wide parallel or foreach has many at once.
    setMaxListeners(0, this.root.signal);
    if (deps.signal) {
      if (deps.signal.aborted) this.root.abort();
      else deps.signal.addEventListener('abort', () => this.root.abort(), { once: true });
    }
  }

  /** The log this execution replays and extends (a migration's dry replay reads what it reached: `trackReads`). */
  get replayLog(): ReplayLog {
    return this.log;
  }

  /**
   * Runs `flowName` with checked `inputs` to its end, a wait, a failure or a stop.
   * @throws BatonError `STORE_BUSY`, `STORE_UNREADABLE` when the store failed under the run, `LEASE_LOST`,
   *   `EVENTS_CONFLICT` when another executor has it (see {@link stopForStore}).
   */
  async run(flowName: string, inputs: Record<string, JsonValue>, outputs: Record<string, JsonValue> = {}): Promise<ExecutionResult> {
    try {
      return await this.runFlow(flowName, inputs, outputs);
    } catch (error) {
      if (this.storeFailure) throw await this.stopForStore(outputs);
      throw error;
    }
  }

  private async runFlow(flowName: string, inputs: Record<string, JsonValue>, outputs: Record<string, JsonValue>): Promise<ExecutionResult> {
    const flow = this.definition.flows[flowName];
    const frame: Frame = {
      flow,
      depth: 0,
      inputs,
      outputs,
      scope: new Scope(),
      prefix: '',
      indexes: [],
      signal: this.root.signal,
      concurrent: false,
      names: declaredNames(flow.body),
      lists: loopListNames(flow.body),
    };
    const result = (status: ExecutionResult['status'], extra: Partial<ExecutionResult> = {}): ExecutionResult => ({
      status,
      outputs: frame.outputs,
      waitingOn: [],
      scope: frame.scope,
      stepNames: frame.names,
      loopLists: frame.lists,
      steps: this.log.stepCount,
      ...extra,
    });
    try {
      return await this.runBody(frame, result);
    } catch (error) {
      // runBody ends every run it can (failed, waiting, interrupted…); what escapes it — but a store failure,
      // which stops the run as interrupted (see run()) — is a failure of the engine or its listener: the run is
      // still marked failed, so it is never left `running`
      if (!this.storeFailure) await this.abandon(error, frame.outputs);
      throw error;
    } finally {
      // whatever the run's end, its last events are committed before anyone is told about them
      this.journal.cancelScheduled();
      await this.commit();
    }
  }

  private async runBody(frame: Frame, result: (status: ExecutionResult['status'], extra?: Partial<ExecutionResult>) => ExecutionResult): Promise<ExecutionResult> {
    try {
      // The first cancellation check is made before the flow executes, so that the first step's check needs no
      // wait: statements (and parallel branches) reach their first step in the same order as they always did.
      this.lastCancelCheck = Date.now();
      this.cancelSeen = await this.deps.store.isCancelRequested(this.runId);
      // a bare `complete` ends the flow successfully with the outputs set so far (regions.ts)
      const completed = await completableBody(this.regionHost, frame, (body) => ownedBlock(this.loopHost, body.flow.body, body));
      await flowBreachIfLate(this.slaHost, frame.flow.name);
      await this.finish(this.emit({ type: 'run.succeeded', outputs: frame.outputs, ...(completed ? { completedBy: completed } : {}) }), 'succeeded', frame.outputs);
      return result('succeeded');
    } catch (thrown) {
      if (this.storeFailure) throw thrown; // stopped by the store: see run()
      let error = thrown;
      if (error instanceof Suspended) {
        this.emit({ type: 'run.waiting', waitingOn: error.waits, outputs: frame.outputs });
        await this.journal.committing(this.deps.store.updateRun(this.runId, { status: 'waiting', outputs: frame.outputs, waitingOn: error.waits, slaDueAt: slaDueWhileWaiting(this.log, error.waits) }));
        return result('waiting', { waitingOn: error.waits });
      }
      // Whatever was in flight when the run was interrupted (a call, a short wait) fails with some error;
      // the run is not failed for it (no compensation): it stops as interrupted and can be resumed.
      if (!(error instanceof Stopped) && this.deps.signal?.aborted) error = await this.stopped();
      if (error instanceof Stopped) {
        if (error.reason === 'cancelled') {
          await flowBreachIfLate(this.slaHost, frame.flow.name);
          await this.finish(this.emit({ type: 'run.cancelled', outputs: frame.outputs }), 'cancelled', frame.outputs);
        } else {
          await this.journal.committing(this.deps.store.updateRun(this.runId, { status: 'interrupted', outputs: frame.outputs }));
        }
        return result(error.reason);
      }
      const runError = toRunError(error);
      await this.compensate();
      await flowBreachIfLate(this.slaHost, frame.flow.name);
      const closing = this.emit({ type: 'run.failed', error: runError, step: error instanceof RunFailure ? error.step : undefined, outputs: frame.outputs });
      await this.finish(closing, 'failed', frame.outputs, runError);
      return result('failed', { error: runError });
    }
  }

  /**
   * The store failed under the run (it stayed busy past its wait, or could not be written): the run is not
   * failed for it — no compensation, no `run.failed` — but stops where its log ends, marked `interrupted` if
   * the store takes that write, else left `running`; `baton resume` continues it either way. When the run is
   * no longer this execution's (`LEASE_LOST`, `EVENTS_CONFLICT`: another executor has it), nothing is written.
   * @returns the store's error, for the caller to throw.
   */
  private async stopForStore(outputs: Record<string, JsonValue>): Promise<BatonError> {
    if (LOST_RUN_CODES.has(this.storeFailure!.code)) return this.storeFailure!;
    try {
      await this.rawStore.updateRun(this.runId, { status: 'interrupted', outputs });
    } catch {
      // still unavailable: the run stays `running` with its log as stored
    }
    return this.storeFailure!;
  }

  /**
   * Marks the run failed (`INTERNAL`, or the error's own code) after an error the engine could not handle,
   * unless it already ended; a store that fails again leaves it as stored (`baton resume` continues it).
   */
  private async abandon(thrown: unknown, outputs: Record<string, JsonValue>): Promise<void> {
    try {
      const status = (await this.deps.store.getRun(this.runId)).status;
      if (status === 'succeeded' || status === 'failed' || status === 'cancelled') return;
      const error = toRunError(thrown);
      const closing = this.emit({ type: 'run.failed', error, outputs });
      await this.journal.committing(this.deps.store.updateRun(this.runId, { status: 'failed', outputs, error, finishedAt: closing.time, waitingOn: [] }));
    } catch {
      // the store (or the listener) fails again: nothing more can be recorded
    }
  }

  /** Records the run's end; its `finishedAt` is the closing event's time, so the run and its log agree. */
  private finish(closing: RunEvent, status: 'succeeded' | 'failed' | 'cancelled', outputs: Record<string, JsonValue>, error?: RunError): Promise<void> {
    return this.journal.committing(this.deps.store.updateRun(this.runId, { status, outputs, error: error ?? null, finishedAt: closing.time, waitingOn: [], slaDueAt: null }));
  }

  // -------------------------------------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------------------------------------

  /**
   * Appends an event of this run (numbered and timed, default now) to the store's write buffer and indexes it.
   * It is reported to `onEvent` only once it is committed: by the next {@link commit} — before an agent is
   * called or a timer sleeps, at the run's end, or the prompt commit the journal arranges — so
   * nothing is reported (printed, streamed, sent to the editor) that a crash could still lose.
   */
  recordEvent(event: NewRunEvent, time: Date = this.deps.now()): RunEvent {
    const full = this.journal.record(event, time);
    this.log.add(full);
    return full;
  }

  private emit(event: NewRunEvent): RunEvent {
    return this.recordEvent(event);
  }

  /** Commits the store's buffered writes, then reports the newly stored events (see {@link EventJournal.commit}). */
  commit(): Promise<void> {
    return this.journal.commit();
  }

  /** Emits a decision/output event unless the log already has it (a replay). */
  private emitOnce(event: NewRunEvent & { node: string; scope: string }): void {
    if (this.log.written.has(`${event.type}|${event.node}|${event.scope}`)) return;
    this.emit(event);
  }

  // -------------------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------------------

  private async block(statements: Statement[], frame: Frame): Promise<void> {
    for (const statement of statements) await this.statement(statement, frame);
  }

  private async statement(s: Statement, frame: Frame): Promise<void> {
    if (frame.withdrawal) checkWithdrawnStatement(this.log, s, frame);
    switch (s.kind) {
      case 'step':
        return this.step(s, frame);
      case 'if': {
        let taken = -1;
        for (let i = 0; i < s.branches.length; i++) {
          if (truthy(this.evaluateIn(s.branches[i].condition, frame))) {
            taken = i;
            break;
          }
        }
        const body = taken >= 0 ? s.branches[taken].body : s.else;
        if (taken < 0 && s.else) taken = s.branches.length;
        this.emitOnce({ type: 'branch.taken', node: s.id, scope: scopeKey(frame), branch: taken, label: branchLabel(s, taken) });
        if (body) await this.block(body, frame);
        return;
      }
      case 'switch': {
        const subject = this.evaluateIn(s.subject, frame);
        let taken = s.cases.findIndex((c) => c.values.some((v) => deepEqual(this.evaluateIn(v, frame), subject)));
        const body = taken >= 0 ? s.cases[taken].body : s.default;
        if (taken < 0 && s.default) taken = s.cases.length;
        this.emitOnce({ type: 'branch.taken', node: s.id, scope: scopeKey(frame), branch: taken, label: branchLabel(s, taken, toText(subject)) });
        if (body) await this.block(body, frame);
        return;
      }
      case 'parallel':
        return parallelStatement(this.loopHost, s, frame);
      case 'block':
        return this.block(s.body, frame);
      case 'foreach':
        return s.source ? eventForeachStatement(this.loopHost, s, frame) : foreachStatement(this.loopHost, s, frame);
      case 'repeat':
        return repeatStatement(this.loopHost, s, frame);
      case 'approval':
        return approvalStatement(this.waitHost, s, frame);
      case 'wait':
        return waitStatement(this.waitHost, s, frame);
      case 'waitEvent':
        return waitEventStatement(this.waitHost, s, frame);
      case 'set': {
        const value = toJson(this.evaluateIn(s.value, frame));
        setOwn(frame.outputs, s.output, value);
        this.emitOnce({ type: 'output.set', node: s.id, scope: scopeKey(frame), name: s.output, value });
        return;
      }
      case 'let':
        frame.scope.set(s.name, this.evaluateIn(s.value, frame));
        return;
      case 'var':
        return varStatement(this.waitHost, s, frame);
      case 'assign':
        return assignStatement(this.waitHost, this.milestones, s, frame);
      case 'waitUntil':
        return waitUntilStatement(this.waitHost, this.milestones, s, frame);
      case 'fail':
        throw new RunFailure('FLOW_FAILED', renderText(s.message, this.evalScope(frame)));
      case 'lock':
        return lockStatement(this.lockHost, s, frame);
      case 'signal':
        return signalStatement(this.waitHost, this.milestones, this.signals, s, frame);
      case 'waitSignal':
        return waitSignalStatement(this.waitHost, this.milestones, this.signals, s, frame);
      case 'choice':
        return choiceStatement(this.choiceHost, s, frame);
      case 'region':
        return regionStatement(this.regionHost, s, frame);
      case 'cancel':
        return s.targetKind === 'step' ? cancelStepStatement(this.regionHost, s, frame) : endRegionStatement(this.regionHost, s, s.target, frame);
      case 'complete':
        return s.target === undefined ? completeFlowStatement(this.regionHost, s, frame) : endRegionStatement(this.regionHost, s, s.target, frame);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------------------------------------

  private async step(s: StepNode, frame: Frame): Promise<void> {
    const key = stepKey(frame, s.name);
    let done = this.log.finishedSteps.get(key);
    // a tolerated failure (on error: continue) before a redrive stays; one that failed the run runs again
    if (!done && s.onError === 'continue') {
      done = this.log.failedBeforeRedrive.get(key);
      if (done) {
        this.log.failedBeforeRedrive.delete(key);
        this.log.finishedSteps.set(key, done);
        this.log.stepCount++;
      }
    }
    if (done) {
      frame.scope.set(s.name, stepView({ ...done, error: done.error }));
      if (done.status === 'succeeded') this.registerCompensation(s, key, done.seq, frame);
      this.tokens += done.tokens;
      if (frame.budget) frame.budget.used += done.tokens;
      if (done.status === 'failed' && s.onError !== 'continue') throw new RunFailure(done.error?.code ?? 'STEP_FAILED', done.error?.message ?? 'failed', key);
      // withdrawn mode: the part ended with this step's cancellation
      const withdrawal = done.status === 'cancelled' ? withdrawnBy(frame) : undefined;
      if (withdrawal) throw new Withdrawn(withdrawal);
      return;
    }
    // a step a `cancel <step>` targets runs as a part of its own, which that cancel withdraws (regions.ts)
    if (cancellableSteps(frame.flow).has(s.name)) return cancellableStep(this.regionHost, s, key, frame, (f) => this.runStep(s, key, f));
    return this.runStep(s, key, frame);
  }

  /** Runs step `s` (instance `key`) that the log has not finished (or `on error: continue` kept). */
  private async runStep(s: StepNode, key: string, frame: Frame): Promise<void> {
    if (frame.withdrawal) withdrawnStep(this.loopHost, s, key, frame);
    const stop = this.checkStop(frame);
    if (stop) await stop;
    const agentName = s.target.name;
    if (s.when && !truthy(this.evaluateIn(s.when, frame))) {
      const e = this.emit({ type: 'step.finished', step: key, node: s.id, agent: agentName, status: 'skipped', durationMs: 0, attempts: 0, tokens: 0, callIndexes: [] });
      void e;
      frame.scope.set(s.name, skippedView());
      return;
    }
    if (s.target.kind === 'flow') return subflowStep(this.subflowHost, s, key, frame);
    if (s.target.kind === 'generated') return generatedFlowStep(this.generateHost, s, key, frame, (name) => generatingPolicy(frame.flow.body, name));
    if (s.generate) return generateStep(this.generateHost, s, key, frame);

    return agentStep(this.agentHost, s, key, frame);
  }

  private chargeTokens(tokens: number, frame: Frame, key: string): void {
    this.tokens += tokens;
    if (frame.budget) {
      frame.budget.used += tokens;
      if (frame.budget.used > frame.budget.limit) throw new RunFailure('BUDGET_EXCEEDED', `the generated flow ${frame.budget.flow} used ${frame.budget.used} tokens, over its budget of ${frame.budget.limit}`, key);
    }
    const budget = this.definition.flows[frame.flow.name]?.budgetTokens;
    if (budget !== undefined && this.tokens > budget) {
      throw new RunFailure('BUDGET_EXCEEDED', `the run used ${this.tokens} tokens, over its budget of ${budget}`, key);
    }
  }

  private registerCompensation(s: StepNode, key: string, seq: number, frame: Frame): void {
    // the list of the innermost region around the step (a compensation stack: see regions.ts), else the run's
    if (s.compensate) (frame.compensations ?? this.compensable).push({ key, seq, step: s, frame });
  }

  /** Runs the compensations of completed steps, newest completion first (see {@link compensateSteps}). */
  private compensate(): Promise<void> {
    return compensateSteps(this.agentHost, this.compensable);
  }

  // -------------------------------------------------------------------------------------------------------
  // Expressions and stopping
  // -------------------------------------------------------------------------------------------------------

  private evaluateIn(expr: Parameters<typeof evaluate>[0], frame: Frame): unknown {
    return evaluate(expr, this.evalScope(frame));
  }

  /** The expression scope of a frame: its names, `input`, `output`, steps not run as skipped, `now()`. */
  evalScope(frame: Frame): EvalScope {
    return {
      lookup: (name) => {
        const value = frame.scope.get(name);
        if (value !== undefined) return value;
        if (name === 'input') return makeRecord(Object.entries(frame.inputs));
        if (name === 'output') return makeRecord(Object.entries(frame.outputs));
        if (frame.names.has(name)) return notRun(frame.lists, name);
        return undefined;
      },
      now: () => {
        const key = `now#${this.nowCounter++}`;
        const recorded = this.log.values.get(key);
        if (typeof recorded === 'string') return recorded;
        const value = this.deps.now().toISOString();
        this.emit({ type: 'value.recorded', key, value });
        return value;
      },
      estimate: (flow) => flowEstimateValue(this.definition, flow, { ...this.log.estimateConfig, maxFlowDepth: this.log.maxFlowDepth }),
    };
  }

  /**
   * Why the caller's signal stopped the run: `cancelled` when a cancellation is stored (a supervisor stops an
   * executing run it was asked to cancel by aborting it), else `interrupted` (a shutdown, Ctrl-C).
   */
  private async stopped(): Promise<Stopped> {
    try {
      return new Stopped((await this.deps.store.isCancelRequested(this.runId)) ? 'cancelled' : 'interrupted');
    } catch {
      return new Stopped('interrupted'); // the store cannot say: interrupted is resumable, and resuming sees the cancel
    }
  }

  /**
   * Throws (synchronously) when the run must stop: a prompt commit failed, a sibling branch failed, a cancellation
   * was seen. Asks the store whether a cancellation was requested at most every 100 ms (the first time before the
   * flow executes); only then (or when the caller's signal aborted) is there something to wait for: the returned
   * promise rejects with the stop. Otherwise returns undefined, so a step that need not ask the store does not
   * yield to the event loop here.
   */
  private checkStop(frame: Frame): Promise<void> | undefined {
    this.journal.throwIfCommitFailed();
    if (this.deps.signal?.aborted) {
      return this.stopped().then((stopped) => {
        throw stopped;
      });
    }
    if (frame.withdrawal) {
      const withdrawal = withdrawnBy(frame);
      if (withdrawal) throw new Withdrawn(withdrawal);
    }
    if (frame.signal.aborted) throw new RunFailure('STEP_CANCELLED', 'cancelled because a sibling branch failed');
    if (this.cancelSeen) throw new Stopped('cancelled');
    const now = Date.now();
    if (now - this.lastCancelCheck >= CANCEL_CHECK_MS) {
      this.lastCancelCheck = now;
      return this.deps.store.isCancelRequested(this.runId, { maxAgeMs: CANCEL_CHECK_MS }).then((cancelled) => {
        if (!cancelled) return;
        this.cancelSeen = true;
        throw new Stopped('cancelled');
      });
    }
    return undefined;
  }
}

/**
 * How often an executing run asks the store whether it was cancelled (ms); the store may answer with a flag it read
 * at most this long ago (see `RunStoreApi.isCancelRequested`), so a cancellation is seen within about twice this.
 */
const CANCEL_CHECK_MS = 100;
export type { StepView };
