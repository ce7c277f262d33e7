import type { JsonValue, RunAgents, RunStatus, WorkflowDefinition } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';
import { describeAgents, enqueueRedrive, enqueueResume, enqueueRun, runQueued } from '../engine/engine.js';
import { BatonError } from '../errors.js';
import type { RunRecord, RunStore } from '../store/run-store.js';

/** Options of {@link RunSupervisor}. */
export interface RunSupervisorOptions {
  store: RunStore;
  /** How agents are called (default: the stub agents). */
  agents?: AgentCaller;
  /**
   * What `agents` are (default `{mode: 'stub'}`), stored with every run started here. A run keeps its agents:
   * a stored run is continued with `agents` when its mode is the same (or it has none recorded), with the stub
   * agents when it is a stub run, and not at all otherwise ({@link refusal}: it is left as it is, logged once).
   */
  runAgents?: RunAgents;
  /** The clock (default: the real one). */
  now?: () => Date;
  /** The most runs executing at once in this process (≥ 1); more wait, stored as `queued`. */
  concurrency: number;
  /** One line per run that stops with an error it could not store, per recovered run. */
  log: (line: string) => void;
}

/** The default of {@link RunSupervisorOptions.concurrency} (`baton serve --concurrency`). */
export const DEFAULT_RUN_CONCURRENCY = 8;

/**
 * Starts, continues and stops the runs of one long-lived process (`baton serve`) on one store, as a run queue
 * with bounded concurrency. Accepting is separate from executing: {@link start}, {@link resume} and
 * {@link redrive} store the run as `queued` (committed before they return — what the caller then acknowledges
 * is durable) and return at once; the queue executes queued runs in the order they were accepted, at most
 * `concurrency` at a time, never on the caller's turn of the event loop. Queued runs survive a crash or a
 * stop: {@link recover} (at the next start) queues every `queued` run again, and every run left `interrupted`
 * or `running`.
 *
 * Each run is executed by one execution at a time: a resume asked for while the run executes is done after
 * that execution stops (a decision that lands while the run is just becoming `waiting` is not lost).
 */
export class RunSupervisor {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly executing = new Map<string, AbortController>();
  /** Runs to queue again when their current execution stops. */
  private readonly again = new Set<string>();
  /** Per run queued or executing: settles when that run's execution stops. */
  private readonly settled = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly idleWaiters: (() => void)[] = [];
  private pumpScheduled = false;
  private closing = false;
  private readonly now: () => Date;
  private readonly runAgents: RunAgents;
  /** Runs of other agents already logged as left alone. */
  private readonly leftAlone = new Set<string>();

  constructor(private readonly options: RunSupervisorOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, not ${options.concurrency}`);
    this.now = options.now ?? (() => new Date());
    this.runAgents = options.runAgents ?? { mode: 'stub' };
  }

  /**
   * Why this process does not continue `run` — it was started with other agents than this process's (and
   * not stub ones) — or undefined when it does.
   */
  refusal(run: RunRecord): string | undefined {
    if (this.agentsOf(run)) return undefined;
    return `run ${run.id} was started with ${describeAgents(run.agents!)} and this server runs ${describeAgents(this.runAgents)}: continue it with baton serve --agents ${run.agents!.mode} or baton resume ${run.id}`;
  }

  /** The agents `run` continues with here (see {@link RunSupervisorOptions.runAgents}), or undefined. */
  private agentsOf(run: RunRecord): { agents: AgentCaller | undefined; runAgents: RunAgents } | undefined {
    if (!run.agents || run.agents.mode === this.runAgents.mode) return { agents: this.options.agents, runAgents: this.runAgents };
    if (run.agents.mode === 'stub') return { agents: undefined, runAgents: run.agents };
    return undefined;
  }

  /** Logs (once per run) that `run` is left alone; true when it is. */
  private leaveAlone(run: RunRecord): boolean {
    const refused = this.refusal(run);
    if (!refused) return false;
    if (!this.leftAlone.has(run.id)) this.options.log(`${refused} (left ${run.status})`);
    this.leftAlone.add(run.id);
    return true;
  }

  /**
   * Accepts a run of `flowName` (inputs already checked by the caller or checked here): stored `queued` with its
   * `run.started` event before this returns; executed by the queue.
   * @returns its id and a promise that settles when its execution stops (succeeded, failed, waiting, stopped).
   * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing stored).
   */
  start(definition: WorkflowDefinition, flowName: string, inputs: Record<string, JsonValue>, file?: string): { runId: string; done: Promise<void> } {
    const runId = enqueueRun(definition, flowName, inputs, { store: this.options.store, file, now: this.now, runAgents: this.runAgents });
    return { runId, done: this.schedule(runId) };
  }

  /**
   * Continues a stored run (after a decision, an event, a due timer): stored `queued` before this returns
   * (unless it is executing now: then it is queued again when that execution stops).
   * A run of other agents ({@link refusal}) is left as it is (logged once).
   * @returns a promise that settles when the continuation stops.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  resume(runId: string): Promise<void> {
    if (this.leaveAlone(this.options.store.getRun(runId))) return Promise.resolve();
    if (this.executing.has(runId)) {
      this.again.add(runId);
      return this.settledOf(runId).promise;
    }
    if (this.queued.has(runId)) return this.settledOf(runId).promise;
    enqueueResume(runId, { store: this.options.store, now: this.now });
    return this.schedule(runId);
  }

  /**
   * Redrives a failed run (see `redriveRun`): its redrive is stored and the run `queued` before this returns.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_NOT_FAILED`, `RUN_COMPENSATED`, `AGENTS_MISMATCH` ({@link refusal}; nothing stored).
   */
  redrive(runId: string): Promise<void> {
    const refused = this.refusal(this.options.store.getRun(runId));
    if (refused) throw new BatonError('AGENTS_MISMATCH', refused);
    enqueueRedrive(runId, { store: this.options.store, now: this.now, runAgents: this.agentsOf(this.options.store.getRun(runId))!.runAgents });
    return this.schedule(runId);
  }

  /**
   * Asks a run to stop: a queued, waiting or interrupted one is cancelled at once; an executing one is stopped
   * now (its execution ends `cancelled`).
   * @returns the run's status after the request.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  cancel(runId: string, by?: string): RunStatus {
    const status = this.options.store.requestCancel(runId, by);
    this.executing.get(runId)?.abort();
    return status;
  }

  /**
   * Queues what a crash or a stop left behind, oldest first: every `queued` run, and every `interrupted` run
   * or one left `running` (stored `queued` now).
   * @returns the runs queued.
   */
  recover(): string[] {
    const store = this.options.store;
    const left = ['queued', 'interrupted', 'running'].flatMap((status) => store.listRuns({ status: status as RunStatus, limit: 1_000_000 }));
    left.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const ids: string[] = [];
    for (const run of left) {
      if (this.queued.has(run.id) || this.executing.has(run.id)) continue;
      if (this.leaveAlone(run)) continue;
      this.options.log(`run ${run.id} · ${run.flow}: resuming (${run.status})`);
      enqueueResume(run.id, { store, now: this.now });
      void this.schedule(run.id);
      ids.push(run.id);
    }
    return ids;
  }

  /** Whether the run is queued or executing in this process. */
  has(runId: string): boolean {
    return this.queued.has(runId) || this.executing.has(runId);
  }

  /** Runs executing now. */
  active(): number {
    return this.executing.size;
  }

  /** Runs waiting in the queue for a slot. */
  waiting(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued or executing. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.executing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: no run starts executing any more, executing runs are interrupted (stored `interrupted`) and waited
   * for; queued runs stay `queued` in the store (the next {@link recover} picks them up).
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const id of this.queue) this.settledOf(id).resolve();
    this.queue.length = 0;
    this.queued.clear();
    this.again.clear();
    const running = [...this.executing.keys()].map((id) => this.settledOf(id).promise);
    for (const controller of this.executing.values()) controller.abort();
    await Promise.all(running);
    this.notifyIdle();
  }

  private schedule(runId: string): Promise<void> {
    const settled = this.settledOf(runId);
    if (this.closing) {
      settled.resolve();
      return settled.promise;
    }
    if (!this.queued.has(runId)) {
      this.queued.add(runId);
      this.queue.push(runId);
    }
    this.schedulePump();
    return settled.promise;
  }

  private settledOf(runId: string): { promise: Promise<void>; resolve: () => void } {
    let entry = this.settled.get(runId);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = {
        promise,
        resolve: () => {
          if (this.settled.get(runId) === entry) this.settled.delete(runId);
          resolve();
        },
      };
      this.settled.set(runId, entry);
    }
    return entry;
  }

  /** Starts queued runs on a later turn of the event loop: the caller (an HTTP answer) goes first. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts one queued run per turn of the event loop (each start reads and writes the store synchronously). */
  private pump(): void {
    if (!this.closing && this.executing.size < this.options.concurrency && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      this.queued.delete(runId);
      this.execute(runId);
      if (this.executing.size < this.options.concurrency && this.queue.length > 0) this.schedulePump();
    }
    this.notifyIdle();
  }

  private execute(runId: string): void {
    const controller = new AbortController();
    this.executing.set(runId, controller);
    const { store } = this.options;
    const chosen = this.agentsOf(store.getRun(runId)) ?? { agents: this.options.agents, runAgents: this.runAgents };
    runQueued(runId, { store, agents: chosen.agents, runAgents: chosen.runAgents, signal: controller.signal, now: this.now })
      .catch((error: unknown) => this.options.log(`run ${runId}: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.executing.delete(runId);
        const settled = this.settledOf(runId);
        if (this.again.delete(runId) && !this.closing) {
          // asked to continue while it executed: queue it again if it can be continued
          try {
            enqueueResume(runId, { store, now: this.now });
            void this.schedule(runId);
            return this.schedulePump();
          } catch {
            // it finished: nothing to continue
          }
        }
        settled.resolve();
        this.schedulePump();
      });
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.executing.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
