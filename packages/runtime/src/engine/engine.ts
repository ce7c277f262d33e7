import { estimateConfigFor, type EstimateConfig, type JsonValue, type NewRunEvent, type RunAgents, type RunError, type RunEvent, type RunStatus, type StubSpec, type WaitingOn, type WorkflowDefinition } from '@baton/protocol';
import { sourcesField } from './definition-sources.js';
import type { AgentCaller } from '../agents/agent.js';
import type { McpTools } from '../agents/mcp-tools.js';
import { installedMcpTools } from '../mcp/load-mcp.js';
import { createStubAgents } from '../agents/stub.js';
import { BatonError } from '../errors.js';
import type { NewRun, RunRecord, RunStoreApi } from '../store/store-api.js';
import { Execution, type ExecutionResult } from './execution.js';
import { MAX_FLOW_DEPTH, MAX_FLOW_DEPTH_LIMIT } from './subflow.js';
import { activeFlowAuthoring, type FlowAuthoring } from './flow-authoring.js';
import { checkInputs } from './inputs.js';
import { processCircuitBreakers, type CircuitBreakers } from './resilience.js';
import { matchesWhere, openBufferedEvents } from './event-buffer.js';
import { keepsBroadcasts } from './events.js';
import { claimRunLease, DEFAULT_LEASE_TTL_MS, LeaseKeeper } from '../store/lease-keeper.js';
import { activeRunTelemetry } from '../telemetry/run-telemetry.js';
import { flowSlaFields } from '../supervisor/sla.js';

/** Options of {@link startRun} and {@link resumeRun}. */
export interface RunOptions {
  /** Where the run's events and state are stored (the embedded SQLite store, or a server's). */
  store: RunStoreApi;
  /** Who asked for a redrive ({@link redriveRun}): recorded on its `run.resumed` as `by`. */
  by?: string;
  /** How agents are called; the stub agents (offline) by default. */
  agents?: AgentCaller;
  /**
   * What `agents` are, kept with the run: {@link startRun} stores them; {@link resumeRun} and {@link redriveRun}
   * check them against the stored ones (see {@link checkRunAgents}) and record them on `run.resumed`.
   */
  runAgents?: RunAgents;
  /** Continue with `runAgents` although the run was started with other agents (recorded as a switch). */
  switchAgents?: boolean;
  /**
   * Checks flows written by agents (`output: flow` under `generate { … }`) with the language's checker; the CLI injects
   * it (language/src/flow-authoring.ts). Without it a generating step fails `FLOW_AUTHORING_UNAVAILABLE`.
   */
  flowAuthoring?: FlowAuthoring;
  /** A test's `stub Agent:` overrides, used when `agents` is not given. */
  stubOverrides?: Record<string, StubSpec>;
  /**
   * Receives every event of the run, in order, once it is stored (committed to the run store) — never
   * before, so what a listener was told survives a crash (for the terminal, the JSON stream, the editor).
   */
  onEvent?: (event: RunEvent) => void;
  /** Aborting it interrupts the run: it stops at once, stays `interrupted` and can be resumed. */
  signal?: AbortSignal;
  /** The entry file, recorded with the run. */
  file?: string;
  /** Random numbers in [0, 1) for retry jitter (default Math.random). */
  random?: () => number;
  /** Sleeps `ms` unless the signal aborts (default: a real timer). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock (default: the real one). */
  now?: () => Date;
  /** Timers up to this long sleep in-process; longer ones leave the run waiting (ms, default 5,000). */
  shortWaitMs?: number;
  /**
   * How deep sub-flow calls of a run started here may nest (`limits.maxFlowDepth`, 1 … 1000; default
   * MAX_FLOW_DEPTH, 64). Recorded on its `run.started`: a resumed run keeps the bound it started with.
   */
  maxFlowDepth?: number;
  /**
   * `false`: the run's `step.started` events carry no rendered prompt (`runs.recordPrompts` of baton.config.json),
   * recorded on its `run.started` so a resumed run keeps it. Default: prompts are recorded (≤ 16 KiB each).
   */
  recordPrompts?: boolean;
  /**
   * The `prices` and `agents` overrides of the baton.config.json the run starts under, for its `estimate("Flow")`
   * (`costUsd`). Recorded on its `run.started` (only what its definition uses): a resumed run keeps them.
   */
  estimateConfig?: EstimateConfig;
  /** The agents' circuit breakers (default: the process's, shared by all its runs). */
  circuits?: CircuitBreakers;
  /**
   * Execute as the run's lease holder (`owner`, an `executorId`; `ttlMs` default 30,000), as a shared store needs:
   * {@link startRun} claims the new run's lease; {@link resumeRun} and {@link redriveRun} claim it first and throw
   * `RUN_BUSY` (nothing done) when another live executor holds it. Kept renewed while the run executes, let go at
   * its end. Without it (tests, the editor's runs on their own store) no lease is taken.
   */
  lease?: { owner: string; ttlMs?: number };
  /**
   * The run is being taken over ({@link runQueued}): its executor was lost while it ran. Recorded on its
   * `run.resumed` event (`takeover: true`), which is then always written.
   */
  takeover?: boolean;
  /**
   * Crash test hook (`baton test --crash-at`): once the step instance with this key has started and its start
   * is stored, the process kills itself with SIGKILL — a crash in the middle of that step. `undo <key>` does the
   * same in the middle of that step's compensation.
   */
  crashAt?: string;
  /**
   * The MCP servers' tools (`mcp.servers` of baton.config.json), for agents whose `tools:` name MCP tools; without it
   * such a step fails `MCP_UNAVAILABLE`. The caller owns it (opens it lazily, closes it when the process ends). Default:
   * the process's ({@link installedMcpTools}).
   */
  mcp?: McpTools;
}

/** How a run ended (or paused). `steps` counts finished step instances over the whole run. */
export interface RunSummary {
  runId: string;
  flow: string;
  status: RunStatus;
  outputs: Record<string, JsonValue>;
  error?: RunError;
  waitingOn: WaitingOn[];
  steps: number;
  /** Wall time of this execution, ms. */
  durationMs: number;
}

/** A real, abortable timer. */
export function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BatonError('STEP_CANCELLED', 'cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new BatonError('STEP_CANCELLED', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function deps(options: RunOptions) {
  const agents = options.agents ?? createStubAgents(options.stubOverrides);
  // the process's tracing, when one is installed (docs/observability.md): it sees each event once stored, and wraps the calls
  const telemetry = activeRunTelemetry();
  const onEvent = options.onEvent;
  return {
    store: options.store,
    agents: telemetry ? telemetry.wrap(agents) : agents,
    onEvent: telemetry ? (event: RunEvent) => (telemetry.observe(event), onEvent?.(event)) : onEvent,
    signal: options.signal,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? realSleep,
    now: options.now ?? (() => new Date()),
    shortWaitMs: options.shortWaitMs ?? 5_000,
    circuits: options.circuits ?? processCircuitBreakers,
    crashAt: options.crashAt,
    // the process's MCP servers (load-mcp.ts) unless the run was given its own
    mcp: options.mcp ?? installedMcpTools(),
    flowAuthoring: options.flowAuthoring ?? activeFlowAuthoring(),
  };
}

/**
 * Runs `body` as run `runId`'s lease holder when `options.lease` asks for it (see {@link RunOptions.lease}): the
 * signal it gets aborts when the lease is lost or `options.signal` aborts.
 * @throws BatonError `RUN_BUSY` when another live executor holds the lease (body not run).
 */
async function underLease<T>(runId: string, options: RunOptions, body: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!options.lease) return body(options.signal);
  const ttlMs = options.lease.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const claimed = await claimRunLease(options.store, runId, options.lease.owner, ttlMs);
  if (!claimed.lease) {
    const by = claimed.held ? `${claimed.held.owner} (its lease runs until ${claimed.held.expiresAt})` : 'another executor';
    throw new BatonError('RUN_BUSY', `run ${runId} is being executed by ${by}; it continues there`);
  }
  const keeper = new LeaseKeeper(options.store, claimed.lease, ttlMs, options.signal, undefined);
  try {
    return await body(keeper.signal);
  } finally {
    await keeper.release();
  }
}

/**
 * Starts a run of `flowName` and executes it until it succeeds, fails, waits or is stopped. Its `run.started`
 * event is stored and given to `onEvent` before the flow's first statement executes (so the caller has the run
 * id before anything else happens).
 * @param inputs raw inputs; checked and completed with defaults by `checkInputs`.
 * @throws BatonError `UNKNOWN_FLOW` (no such flow), `INPUT_INVALID` (before anything is stored).
 */
export async function startRun(definition: WorkflowDefinition, flowName: string, inputs: Record<string, unknown>, options: RunOptions): Promise<RunSummary> {
  return (await startRunDetailed(definition, flowName, inputs, options)).summary;
}

/** {@link startRun}, also returning the execution's final scope (used by the test runner). */
export async function startRunDetailed(definition: WorkflowDefinition, flowName: string, inputs: Record<string, unknown>, options: RunOptions): Promise<{ summary: RunSummary; result: ExecutionResult }> {
  const flow = definition.flows[flowName];
  if (!flow) throw new BatonError('UNKNOWN_FLOW', `no flow named "${flowName}"`);
  const checked = checkInputs(flow, inputs);
  const d = deps(options);
  const started = Date.now();
  // one clock reading: the run's startedAt is its run.started event's time
  const startedAt = d.now();
  const sla = flowSlaFields(flow, startedAt);
  const { id: runId } = await options.store.createRun({ flow: flowName, file: options.file, inputs: checked, definition, startedAt: startedAt.toISOString(), agents: options.runAgents, ...sourcesField(definition), ...sla });
  return underLease(runId, options, async (signal) => {
    const execution = new Execution(definition, runId, signal === options.signal ? d : { ...d, signal }, []);
    // stored and reported before the flow executes, so a listener knows the run's id before any other event
    execution.recordEvent({ type: 'run.started', flow: flowName, inputs: checked, file: options.file, ...(options.runAgents ? { agents: options.runAgents } : {}), ...maxFlowDepthField(options.maxFlowDepth), ...slaDeadlineField(sla), ...recordPromptsField(options.recordPrompts), ...estimateField(definition, options.estimateConfig) }, startedAt);
    await execution.commit();
    const result = await execution.run(flowName, checked);
    if (await bufferedMeanwhile(options, runId, result, definition)) return resumeHeld(runId, recheckedOptions({ ...options, signal, lease: undefined }));
    return { summary: summarize(runId, flowName, result, started), result };
  });
}

/**
 * Continues a stored run that is waiting or was interrupted (or crashed while `running`): replays its
 * flow against its log — completed steps are not run again — and executes what is left.
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`, `RUN_FINISHED` (it already succeeded, failed
 *   or was cancelled).
 */
export async function resumeRun(runId: string, options: RunOptions): Promise<RunSummary> {
  return (await resumeRunDetailed(runId, options)).summary;
}

/** {@link resumeRun}, also returning the execution's final scope (used by the test runner). */
export async function resumeRunDetailed(runId: string, options: RunOptions): Promise<{ summary: RunSummary; result: ExecutionResult }> {
  const { id } = await options.store.getRun(runId);
  return underLease(id, options, (signal) => resumeHeld(id, { ...options, signal, lease: undefined }));
}

async function resumeHeld(runId: string, options: RunOptions): Promise<{ summary: RunSummary; result: ExecutionResult }> {
  const run = await options.store.getRun(runId);
  if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
    throw new BatonError('RUN_FINISHED', `run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}; there is nothing to resume`);
  }
  if (run.status === 'queued') return (await runQueuedDetailed(run.id, options))!;
  const switched = checkRunAgents(run, options.runAgents, options.switchAgents);
  const definition = await options.store.getDefinition(run.id);
  const d = deps(options);
  const started = Date.now();
  const past = await options.store.getEvents(run.id);
  const outputs = { ...run.outputs };
  await options.store.updateRun(run.id, { status: 'running', waitingOn: [], agents: options.runAgents });
  activeRunTelemetry()?.resumed(run.id, past);
  const execution = new Execution(definition, run.id, d, past);
  // a run found `running` lost its executor (this one holds its lease now, or none was asked for): a takeover
  execution.recordEvent({ type: 'run.resumed', flow: run.flow, ...agentsFields(options.runAgents, switched), ...(run.status === 'running' ? { takeover: true } : {}) });
  const result = await execution.run(run.flow, run.inputs, outputs);
  if (await bufferedMeanwhile(options, run.id, result, definition)) return resumeHeld(run.id, recheckedOptions({ ...options }));
  return { summary: summarize(run.id, run.flow, result, started), result };
}

/**
 * Redrives a failed run (a dead letter): it continues from the step that failed it — that step (and a failed
 * sub-flow step above it, and failed sibling branches) runs again; everything that finished before is kept
 * from the log and not run again. A `run.resumed` event with `redrive: true` marks the point.
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`, `RUN_NOT_FAILED` (only a failed run can be
 *   redriven), `RUN_COMPENSATED` (its compensations ran: what it did was undone, so continuing would build on
 *   undone work — start a new run).
 */
export async function redriveRun(runId: string, options: RunOptions): Promise<RunSummary> {
  const { id } = await options.store.getRun(runId);
  return underLease(id, options, (signal) => redriveHeld(id, { ...options, signal, lease: undefined }));
}

async function redriveHeld(runId: string, options: RunOptions): Promise<RunSummary> {
  const run = await options.store.getRun(runId);
  if (run.status !== 'failed') {
    const state = { succeeded: 'succeeded', cancelled: 'was cancelled', interrupted: 'was interrupted', running: 'is running', waiting: 'is waiting' }[run.status as string] ?? `is ${run.status}`;
    throw new BatonError('RUN_NOT_FAILED', `run ${run.id} ${state}; only a failed run can be redriven${run.status === 'interrupted' || run.status === 'waiting' ? ` (continue it with: baton resume ${run.id})` : ''}`);
  }
  const past = await options.store.getEvents(run.id);
  const undone = past.filter((e) => e.type === 'compensation.finished').length;
  if (undone > 0) {
    throw new BatonError('RUN_COMPENSATED', `run ${run.id} was compensated when it failed (${undone} compensation${undone === 1 ? '' : 's'} ran), so what it did has been undone; start a new run instead of redriving it`);
  }
  const switched = checkRunAgents(run, options.runAgents, options.switchAgents);
  const definition = await options.store.getDefinition(run.id);
  const d = deps(options);
  const started = Date.now();
  await options.store.updateRun(run.id, { status: 'running', waitingOn: [], error: null, finishedAt: null, agents: options.runAgents });
  activeRunTelemetry()?.resumed(run.id, past);
  const execution = new Execution(definition, run.id, d, past);
  // indexed by the execution's log as it is recorded: the steps that failed the run are run again
  execution.recordEvent({ type: 'run.resumed', flow: run.flow, redrive: true, ...(options.by ? { by: options.by } : {}), ...agentsFields(options.runAgents, switched) });
  const result = await execution.run(run.flow, run.inputs, { ...run.outputs });
  return summarize(run.id, run.flow, result, started);
}

/** Options of {@link enqueueRun}, {@link enqueueResume} and {@link enqueueRedrive}. */
export interface EnqueueOptions {
  store: RunStoreApi;
  /** Who asked for a redrive ({@link enqueueRedrive}): recorded on its `run.resumed` as `by`. */
  by?: string;
  /** The entry file, recorded with a new run. */
  file?: string;
  /** The clock (default: the real one). */
  now?: () => Date;
  /** What agents the run is accepted for (see {@link RunOptions.runAgents}): stored with a new run, recorded on a redrive. */
  runAgents?: RunAgents;
  /** The tenant a new run belongs to (default `default`). */
  tenant?: string;
  /** A new run's sub-flow depth bound (see {@link RunOptions.maxFlowDepth}), recorded on its `run.started`. */
  maxFlowDepth?: number;
  /** A new run's prompt recording (see {@link RunOptions.recordPrompts}), recorded on its `run.started`. */
  recordPrompts?: boolean;
  /** What a new run's `estimate()` reads of its configuration (see {@link RunOptions.estimateConfig}), recorded on its `run.started`. */
  estimateConfig?: EstimateConfig;
  /**
   * {@link enqueueResume} of a run its executor was lost while it ran (left `running`): its `run.resumed` event,
   * marked `takeover: true`, is stored in the same commit as the run becoming `queued` — the loss is in the log even
   * if this executor is lost too before the run executes (else the next one finds it `queued` and counts no loss).
   */
  takeover?: boolean;
}

/**
 * Accepts a run of `flowName` without executing it: the run is stored as `queued` with its `run.started` event
 * (whose time is the run's `startedAt`: when it was accepted), committed before this resolves — so a crash
 * afterwards loses nothing: {@link runQueued} executes it, in this process or after a restart.
 * With `startKey`, the run is stored only if the key is new (atomically, see `RunStoreApi.createRun`).
 * @param inputs raw inputs; checked and completed with defaults by `checkInputs`.
 * @returns the run's id (`duplicate: false`), or the run the key already started (`duplicate: true`, nothing stored).
 * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing is stored; thrown before anything is awaited).
 */
export function enqueueRun(
  definition: WorkflowDefinition,
  flowName: string,
  inputs: Record<string, unknown>,
  options: EnqueueOptions,
  startKey?: { scope: string; key: string },
): Promise<{ id: string; duplicate: boolean }> {
  const { init, started } = queuedRun(definition, flowName, inputs, options);
  // the run and its run.started in one transaction (a worker's reconciler may take a queued run at once)
  return options.store.createRun({ ...init, started }, startKey);
}

/**
 * What {@link enqueueRun} stores: the new run (`queued`) and its `run.started` event.
 * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID`.
 */
export function queuedRun(definition: WorkflowDefinition, flowName: string, inputs: Record<string, unknown>, options: Omit<EnqueueOptions, 'store'>): { init: NewRun; started: NewRunEvent } {
  const flow = definition.flows[flowName];
  if (!flow) throw new BatonError('UNKNOWN_FLOW', `no flow named "${flowName}"`);
  const checked = checkInputs(flow, inputs);
  const startedAt = (options.now ?? (() => new Date()))();
  // the flow's SLA counts from the accept time: the time it waits in the queue is part of it
  const sla = flowSlaFields(flow, startedAt);
  return {
    init: { flow: flowName, file: options.file, inputs: checked, definition, startedAt: startedAt.toISOString(), status: 'queued', agents: options.runAgents, ...(options.tenant ? { tenant: options.tenant } : {}), ...sourcesField(definition), ...sla },
    started: { type: 'run.started', flow: flowName, inputs: checked, file: options.file, ...(options.runAgents ? { agents: options.runAgents } : {}), ...maxFlowDepthField(options.maxFlowDepth), ...slaDeadlineField(sla), ...recordPromptsField(options.recordPrompts), ...estimateField(definition, options.estimateConfig) },
  };
}

/**
 * Marks a stored run that is waiting, interrupted or was left `running` by a crash as `queued`: it is to be
 * continued by {@link runQueued} (after a decision, an event or a due timer, or at a restart). What it waits for
 * is kept until it executes. A run already queued is left as it is.
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
 */
export async function enqueueResume(runId: string, options: EnqueueOptions): Promise<void> {
  const run = await options.store.getRun(runId);
  if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
    throw new BatonError('RUN_FINISHED', `run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}; there is nothing to resume`);
  }
  if (run.status === 'queued') return;
  if (options.takeover) {
    options.store.append(run.id, { type: 'run.resumed', flow: run.flow, ...agentsFields(options.runAgents, undefined), takeover: true }, (options.now ?? (() => new Date()))());
  }
  await options.store.updateRun(run.id, { status: 'queued' });
}

/**
 * Accepts the redrive of a failed run (see {@link redriveRun}) without executing it: its `run.resumed` event with
 * `redrive: true` is stored and the run becomes `queued`, in one commit; {@link runQueued} executes it.
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_NOT_FAILED`, `RUN_COMPENSATED`.
 */
export async function enqueueRedrive(runId: string, options: EnqueueOptions): Promise<void> {
  const run = await options.store.getRun(runId);
  if (run.status !== 'failed') {
    throw new BatonError('RUN_NOT_FAILED', `run ${run.id} is ${run.status}; only a failed run can be redriven`);
  }
  const undone = (await options.store.getEvents(run.id)).filter((e) => e.type === 'compensation.finished').length;
  if (undone > 0) {
    throw new BatonError('RUN_COMPENSATED', `run ${run.id} was compensated when it failed (${undone} compensation${undone === 1 ? '' : 's'} ran), so what it did has been undone; start a new run instead of redriving it`);
  }
  const switched = checkRunAgents(run, options.runAgents);
  options.store.append(run.id, { type: 'run.resumed', flow: run.flow, redrive: true, ...(options.by ? { by: options.by } : {}), ...agentsFields(options.runAgents, switched) }, (options.now ?? (() => new Date()))());
  await options.store.updateRun(run.id, { status: 'queued', waitingOn: [], error: null, finishedAt: null, agents: options.runAgents });
}

/**
 * Executes a `queued` run (see {@link enqueueRun}, {@link enqueueResume}, {@link enqueueRedrive}) until it
 * succeeds, fails, waits or is stopped, replaying its log like {@link resumeRun}. A run that never executed
 * starts from its `run.started` event (written when it was accepted); a redriven one from its `run.resumed`
 * marker; any other gets a `run.resumed` event now.
 * @returns its summary, or undefined when the run is no longer queued (it was cancelled, or another caller took
 *   it): nothing is done then.
 * @throws BatonError `RUN_NOT_FOUND`.
 */
export async function runQueued(runId: string, options: RunOptions, known?: RunRecord): Promise<RunSummary | undefined> {
  return (await runQueuedDetailed(runId, options, known))?.summary;
}

/**
 * {@link runQueued}, also returning the execution's final scope. `known` is the run as the caller read it just now
 * as its lease holder (nothing but a signal can have changed it since): it is not read again.
 */
async function runQueuedDetailed(runId: string, options: RunOptions, known?: RunRecord): Promise<{ summary: RunSummary; result: ExecutionResult } | undefined> {
  const run = known?.id === runId ? known : await options.store.getRun(runId);
  if (run.status !== 'queued') return undefined;
  const switched = checkRunAgents(run, options.runAgents, options.switchAgents);
  const d = deps(options);
  const started = Date.now();
  // two reads at once: on a server store, two connections, one round trip's wait
  const [definition, past] = await Promise.all([options.store.getDefinition(run.id), options.store.getEvents(run.id)]);
  const last = past.at(-1);
  await options.store.updateRun(run.id, { status: 'running', waitingOn: [], agents: options.runAgents });
  activeRunTelemetry()?.resumed(run.id, past);
  const execution = new Execution(definition, run.id, d, past);
  // a new event is reported once it is stored (with the execution's first commit); `last` already is
  if (!last) {
    // accepted, but the process stopped between storing the run and its first event
    execution.recordEvent({ type: 'run.started', flow: run.flow, inputs: run.inputs, file: run.file ?? undefined, ...(options.runAgents ? { agents: options.runAgents } : {}) });
  } else if ((last.type === 'run.started' || last.type === 'run.resumed') && !options.takeover) {
    d.onEvent?.(last);
  } else {
    execution.recordEvent({ type: 'run.resumed', flow: run.flow, ...agentsFields(options.runAgents, switched), ...(options.takeover ? { takeover: true } : {}) });
  }
  const result = await execution.run(run.flow, run.inputs, { ...run.outputs });
  if (await bufferedMeanwhile(options, run.id, result, definition)) return resumeHeld(run.id, recheckedOptions({ ...options, takeover: false }));
  return { summary: summarize(run.id, run.flow, result, started), result };
}

/** Options of the executions {@link bufferedMeanwhile} continued: they are not continued again. */
const rechecked = new WeakSet<RunOptions>();

/** `options` for the execution that continues a run after {@link bufferedMeanwhile}. */
function recheckedOptions(options: RunOptions): RunOptions {
  rechecked.add(options);
  return options;
}

/**
 * Whether an event was kept for the run (`event.buffered`, or a broadcast the store keeps) while it ran, that one of the event waits it has just
 * stopped at takes: a sender saw the run running (not waiting) and buffered the event after the wait had looked
 * at its log. Read after the run was stored `waiting`, so an event sent after that is delivered by its sender and
 * one sent before is seen here — the run then continues at once instead of waiting for an event it holds.
 */
async function bufferedMeanwhile(options: RunOptions, runId: string, result: ExecutionResult, definition: WorkflowDefinition): Promise<boolean> {
  // once per call: a continued run that stops again waits (never a loop, whatever a store answers)
  if (result.status !== 'waiting' || rechecked.has(options)) return false;
  const waits = result.waitingOn.filter((w): w is Extract<WaitingOn, { kind: 'event' }> => w.kind === 'event');
  if (waits.length === 0) return false;
  const events = await options.store.getEvents(runId);
  const now = (options.now ?? (() => new Date()))();
  if (waits.some((w) => openBufferedEvents(events, w.event, now).some((b) => matchesWhere(b.data, w.where)))) return true;
  // a broadcast kept by the store meanwhile (its type says `buffer: D`): looked at, not taken (the resumed wait takes it)
  for (const w of waits) {
    if (!keepsBroadcasts(definition.events?.[w.event]) || !options.store.takeBroadcast) continue;
    if (await options.store.takeBroadcast(runId, w.key, w.event, w.where, now, true)) return true;
  }
  return false;
}

/**
 * Whether a stored run may continue with `agents`: a run keeps the agents it was started with (the same
 * `mode`; a changed `baton.config.json` is no switch). Runs stored before agents were recorded, and callers
 * that do not say (`agents` undefined), are not checked.
 * @returns the run's agents when this is an allowed switch (`switchAgents`), else undefined.
 * @throws BatonError `AGENTS_MISMATCH` when `agents` differ from the run's and `switchAgents` is not set —
 *   nothing is changed.
 */
export function checkRunAgents(run: RunRecord, agents: RunAgents | undefined, switchAgents = false): RunAgents | undefined {
  if (!agents || !run.agents || run.agents.mode === agents.mode) return undefined;
  if (!switchAgents) {
    throw new BatonError(
      'AGENTS_MISMATCH',
      `run ${run.id} was started with ${describeAgents(run.agents)} and keeps them: continue it without --agents, or pass --switch-agents to continue it with ${describeAgents(agents)} (the switch is recorded)`,
    );
  }
  return run.agents;
}

/** `stub agents`, `real agents`, `agents replayed from <file>`. */
export function describeAgents(agents: RunAgents): string {
  return agents.mode.startsWith('replay:') ? `agents replayed from ${agents.mode.slice('replay:'.length)}` : `${agents.mode} agents`;
}

function agentsFields(agents: RunAgents | undefined, switchedFrom: RunAgents | undefined): { agents?: RunAgents; switchedFrom?: RunAgents } {
  return { ...(agents ? { agents } : {}), ...(switchedFrom ? { switchedFrom } : {}) };
}

/**
 * Marks a run that its process can no longer execute (an uncaught error is ending the process) as failed with
 * `error`: a `run.failed` event and the `failed` status, committed — so it is not left `running`; `baton runs
 * redrive` can continue it. A run that already ended, waits or is queued is left as it is.
 * @returns whether the run was marked.
 * @throws BatonError `RUN_NOT_FOUND`, and the store's errors (`STORE_BUSY`…).
 */
export async function abandonRun(store: RunStoreApi, runId: string, error: RunError): Promise<boolean> {
  const run = await store.getRun(runId);
  if (run.status !== 'running') return false;
  const closing = store.append(run.id, { type: 'run.failed', error, outputs: run.outputs });
  await store.updateRun(run.id, { status: 'failed', error, finishedAt: closing.time, waitingOn: [] });
  return true;
}

function summarize(runId: string, flow: string, result: ExecutionResult, started: number): RunSummary {
  return {
    runId,
    flow,
    status: result.status,
    outputs: result.outputs,
    error: result.error,
    waitingOn: result.waitingOn,
    steps: result.steps,
    durationMs: Date.now() - started,
  };
}

/** The `estimate` field of a `run.started` event: what of `config` the run's `estimate()` reads; absent when nothing. */
function estimateField(definition: WorkflowDefinition, config: EstimateConfig | undefined): { estimate?: EstimateConfig } {
  const estimate = estimateConfigFor(definition, config);
  return estimate ? { estimate } : {};
}

/** The `recordPrompts` field of a `run.started` event: only `false` is written (recording is the default). */
function recordPromptsField(recordPrompts: boolean | undefined): { recordPrompts?: false } {
  return recordPrompts === false ? { recordPrompts: false } : {};
}

/** The `slaDeadline` field of a `run.started` event: the flow's SLA deadline, absent without one. */
function slaDeadlineField(sla: { slaFlowAt?: string }): { slaDeadline?: string } {
  return sla.slaFlowAt ? { slaDeadline: sla.slaFlowAt } : {};
}

/**
 * The `maxFlowDepth` field of a `run.started` event: absent when the bound is the default (runs stored before it was
 * recorded read the same).
 * @throws BatonError `CONFIG_INVALID` when it is not an integer in 1 … MAX_FLOW_DEPTH_LIMIT.
 */
function maxFlowDepthField(maxFlowDepth: number | undefined): { maxFlowDepth?: number } {
  if (maxFlowDepth === undefined || maxFlowDepth === MAX_FLOW_DEPTH) return {};
  if (!Number.isInteger(maxFlowDepth) || maxFlowDepth < 1 || maxFlowDepth > MAX_FLOW_DEPTH_LIMIT) {
    throw new BatonError('CONFIG_INVALID', `limits.maxFlowDepth must be a whole number from 1 to ${MAX_FLOW_DEPTH_LIMIT}, not ${maxFlowDepth}`);
  }
  return { maxFlowDepth };
}
