import type { EstimateConfig, JsonValue, RunAgents, RunStatus, WorkflowDefinition } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';
import { describeAgents, enqueueRedrive, enqueueResume, enqueueRun } from '../engine/engine.js';
import { BatonError } from '../errors.js';
import type { RunRecord, RunStoreApi, TenantScope } from '../store/store-api.js';
import { executeLeased } from './leased-run.js';
import { DEFAULT_LEASE_TTL_MS, executorId } from '../store/lease-keeper.js';
import type { SlaPollResult } from './sla.js';

/** Options of {@link RunSupervisor}. */
export interface RunSupervisorOptions {
  store: RunStoreApi;
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
  /** Called when a run starts or stops executing, or is queued ({@link active} and {@link waiting} changed). */
  onChange?: () => void;
  /**
   * Who executes here, for the runs' leases (default: a new {@link executorId}). A process that replaces a dead
   * executor of its own (`ExecutorThread`) passes the dead one's id, so its runs are taken over at once.
   */
  owner?: string;
  /** The runs' lease length (ms, default {@link DEFAULT_LEASE_TTL_MS}). */
  leaseTtlMs?: number;
}

/**
 * What `baton serve` asks of the runs of its process: accept, continue, redrive and stop them, and report how
 * many execute. {@link RunSupervisor} does it on the caller's thread; `ExecutorThread` executes on a worker thread
 * (the caller's thread only stores what it accepts).
 */
export interface RunSupervision {
  /**
   * Accepts a run of `flowName` (see {@link RunSupervisor.start}): resolves once it is stored `queued`. With a
   * start key, a key already used answers its run instead (`duplicate`), and nothing is stored.
   * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing stored).
   */
  accept(request: StartRequest): Promise<Accepted>;
  /** See {@link RunSupervisor.resume}. */
  resume(runId: string, scope?: TenantScope): Promise<Continuation>;
  /** See {@link RunSupervisor.redrive}. */
  redrive(runId: string, scope?: TenantScope, by?: string): Promise<Continuation>;
  /** See {@link RunSupervisor.cancel}. */
  cancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus>;
  /** See {@link RunSupervisor.refusal}. */
  refusal(run: RunRecord): string | undefined;
  /** See {@link RunSupervisor.recover}. */
  recover(): Promise<string[]>;
  /** Whether the run is queued or executing here. */
  has(runId: string): boolean;
  /** Runs executing now. */
  active(): number;
  /** Runs waiting in the queue for a slot. */
  waiting(): number;
  /** Resolves when nothing is being stored (accepted, continued), queued or executing. */
  idle(): Promise<void>;
  /** See {@link RunSupervisor.close}. */
  close(): Promise<void>;
  /**
   * One due-timer and SLA poll where the runs execute (see `DueTimerPoller.poll`), when that is not this thread:
   * `baton serve`'s executor thread polls with its own store connection, which holds the store's lock across its
   * writes, so that the thread answering HTTP never waits for the lock in the background.
   * @returns the runs continued and the SLA breaches recorded.
   */
  pollDue?(nowMs: number): Promise<DuePollResult>;
}

/** What one due-timer poll did (see {@link RunSupervision.pollDue}). */
export interface DuePollResult {
  resumed: string[];
  breaches: SlaPollResult['recorded'];
}

/** A run to accept (see {@link RunSupervision.accept}). */
export interface StartRequest {
  definition: WorkflowDefinition;
  flowName: string;
  /** Checked by the caller or by the acceptor (`INPUT_INVALID`). */
  inputs: Record<string, JsonValue>;
  /** The entry file, stored with the run. */
  file?: string;
  /** An `Idempotency-Key` and the scope it is unique in (a webhook's path): one run per key (per tenant). */
  startKey?: { scope: string; key: string };
  /** The tenant the run belongs to (default `default`: see `TenantScope`). */
  tenant?: string;
  /** The run's sub-flow depth bound (`limits.maxFlowDepth`; default 64), recorded on its `run.started`. */
  maxFlowDepth?: number;
  /** `false`: its `step.started` events record no rendered prompt (`runs.recordPrompts`), recorded on its `run.started`. */
  recordPrompts?: boolean;
  /** What its `estimate()` reads of the configuration (`prices`, `agents`), recorded on its `run.started`. */
  estimateConfig?: EstimateConfig;
}

/**
 * A continuation of a stored run ({@link RunSupervision.resume}, {@link RunSupervision.redrive}), given once it is
 * stored: `done` settles (never rejects) when that continuation stops executing.
 */
export interface Continuation {
  done: Promise<void>;
}

/** What {@link RunSupervision.accept} answers: the new run (settling `done` when its execution stops), or the key's. */
export type Accepted = { runId: string; duplicate: false; done: Promise<void> } | { runId: string; duplicate: true; status: RunStatus };

/** What {@link storeStart} answers: the new run's id, or the key's run and its status (`duplicate`; nothing stored). */
export type StoredStart = { runId: string; duplicate: false } | { runId: string; duplicate: true; status: RunStatus };

/**
 * Stores `request` as a `queued` run (see `enqueueRun`) unless its start key was used: the storing half of
 * {@link RunSupervision.accept}, shared by every supervisor. The key is checked and recorded with the run in one
 * transaction of the store (`RunStoreApi.createRun`), so two starts of one key make one run.
 * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing stored).
 */
export async function storeStart(store: RunStoreApi, request: StartRequest, options: { runAgents: RunAgents; now: () => Date }): Promise<StoredStart> {
  const created = await enqueueRun(request.definition, request.flowName, request.inputs, { store, file: request.file, now: options.now, runAgents: options.runAgents, tenant: request.tenant, maxFlowDepth: request.maxFlowDepth, recordPrompts: request.recordPrompts, estimateConfig: request.estimateConfig }, request.startKey);
  if (created.duplicate) return { runId: created.id, duplicate: true, status: (await store.getRun(created.id)).status };
  return { runId: created.id, duplicate: false };
}

/**
 * The agents a stored run continues with in a process that runs `runAgents`: a run keeps its agents — the
 * process's when the mode is the same (or the run has none recorded), the stub agents when it is a stub run —
 * or undefined when this process cannot continue it (see {@link agentsRefusal}).
 */
export function keptAgents(run: RunRecord, runAgents: RunAgents): RunAgents | undefined {
  if (!run.agents || run.agents.mode === runAgents.mode) return runAgents;
  if (run.agents.mode === 'stub') return run.agents;
  return undefined;
}

/** Why a process running `runAgents` does not continue `run` (see {@link keptAgents}), or undefined when it does. */
export function agentsRefusal(run: RunRecord, runAgents: RunAgents): string | undefined {
  if (keptAgents(run, runAgents)) return undefined;
  return `run ${run.id} was started with ${describeAgents(run.agents!)} and this server runs ${describeAgents(runAgents)}: continue it with baton serve --agents ${run.agents!.mode} or baton resume ${run.id}`;
}

/**
 * The runs of other agents a process leaves alone (see {@link agentsRefusal}), each logged once: shared by
 * {@link RunSupervisor} and `ExecutorThread`.
 */
export class RunsLeftAlone {
  private readonly logged = new Set<string>();

  constructor(
    private readonly runAgents: RunAgents,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether this process leaves `run` alone; the first time, says so in the log. */
  leaves(run: RunRecord): boolean {
    const refused = agentsRefusal(run, this.runAgents);
    if (!refused) return false;
    if (!this.logged.has(run.id)) this.log(`${refused} (left ${run.status})`);
    this.logged.add(run.id);
    return true;
  }
}

/** What a crash or a stop left to continue, oldest first: every `queued`, `interrupted` and `running` run. */
export async function leftBehind(store: RunStoreApi): Promise<RunRecord[]> {
  const left: RunRecord[] = [];
  for (const status of ['queued', 'interrupted', 'running'] as RunStatus[]) left.push(...(await store.listRuns({ status, limit: 1_000_000 })));
  return left.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

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
export class RunSupervisor implements RunSupervision {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly executing = new Map<string, AbortController>();
  /** The resumes being stored now, by tenant and run id as asked (see {@link resume}). */
  private readonly resuming = new Map<string, Promise<Continuation>>();
  /** Runs to queue again when their current execution stops. */
  private readonly again = new Set<string>();
  /** Per run queued or executing: settles when that run's execution stops. */
  private readonly settled = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly idleWaiters: (() => void)[] = [];
  private pumpScheduled = false;
  /** Starts and continuations being stored now (see {@link storing}). */
  private inStore = 0;
  private closing = false;
  private readonly now: () => Date;
  private readonly runAgents: RunAgents;
  /** Runs of other agents already logged as left alone. */
  private readonly leftAlone: RunsLeftAlone;
  /** This supervisor's id for the runs' leases. */
  readonly owner: string;
  /** Retries of runs whose lease another executor held (see {@link execute}). */
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: RunSupervisorOptions) {
    this.owner = options.owner ?? executorId();
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, not ${options.concurrency}`);
    this.now = options.now ?? (() => new Date());
    this.runAgents = options.runAgents ?? { mode: 'stub' };
    this.leftAlone = new RunsLeftAlone(this.runAgents, options.log);
  }

  /**
   * Why this process does not continue `run` — it was started with other agents than this process's (and
   * not stub ones) — or undefined when it does.
   */
  refusal(run: RunRecord): string | undefined {
    return agentsRefusal(run, this.runAgents);
  }

  /** The agents `run` continues with here (see {@link RunSupervisorOptions.runAgents}), or undefined. */
  private agentsOf(run: RunRecord): { agents: AgentCaller | undefined; runAgents: RunAgents } | undefined {
    const kept = keptAgents(run, this.runAgents);
    if (!kept) return undefined;
    return { agents: kept.mode === this.runAgents.mode ? this.options.agents : undefined, runAgents: kept };
  }

  /** Logs (once per run) that `run` is left alone; true when it is. */
  private leaveAlone(run: RunRecord): boolean {
    return this.leftAlone.leaves(run);
  }

  /**
   * Accepts a run of `flowName` (inputs already checked by the caller or checked here): stored `queued` with its
   * `run.started` event before this resolves; executed by the queue.
   * @returns its id and a promise that settles when its execution stops (succeeded, failed, waiting, stopped).
   * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing stored).
   */
  start(definition: WorkflowDefinition, flowName: string, inputs: Record<string, JsonValue>, file?: string): Promise<{ runId: string; done: Promise<void> }> {
    return this.storing(async () => {
      const { id: runId } = await enqueueRun(definition, flowName, inputs, { store: this.options.store, file, now: this.now, runAgents: this.runAgents });
      return { runId, done: this.schedule(runId) };
    });
  }

  /** See {@link RunSupervision.accept}. */
  accept(request: StartRequest): Promise<Accepted> {
    return this.storing(async () => {
      const stored = await storeStart(this.options.store, request, { runAgents: this.runAgents, now: this.now });
      return stored.duplicate ? stored : { ...stored, done: this.admit(stored.runId) };
    });
  }

  /**
   * Runs `work` (storing a start or a continuation, then queueing it) counted as under way: {@link idle} waits
   * for it, so that a run being accepted is never missed by a caller waiting for the queue to empty.
   */
  private async storing<T>(work: () => Promise<T>): Promise<T> {
    this.inStore++;
    try {
      return await work();
    } finally {
      this.inStore--;
      this.notifyIdle();
    }
  }

  /**
   * Executes a run already stored `queued` by the caller ({@link storeStart}, say, in a batch of starts).
   * @returns a promise that settles when its execution stops.
   */
  admit(runId: string): Promise<void> {
    return this.schedule(runId);
  }

  /**
   * Continues a stored run (after a decision, an event, a due timer): stored `queued` before this resolves
   * (unless it is executing now: then it is queued again when that execution stops).
   * A run of other agents ({@link refusal}) is left as it is (logged once).
   * @param scope only a run of this tenant (another's is `RUN_NOT_FOUND`; see `TenantScope`).
   * @returns once stored: `done` settles when the continuation stops.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  resume(runId: string, scope?: TenantScope): Promise<Continuation> {
    // a resume of the same run asked for while one is being stored shares it: both would find the run neither
    // queued nor executing yet, and store it resumed twice
    const key = `${scope?.tenant ?? ''}\u0000${runId}`;
    const storing = this.resuming.get(key);
    if (storing) return storing;
    const resumed = this.storing(() => this.resumeNow(runId, scope)).finally(() => this.resuming.delete(key));
    this.resuming.set(key, resumed);
    return resumed;
  }

  private async resumeNow(runId: string, scope?: TenantScope): Promise<Continuation> {
    if (this.leaveAlone(await this.options.store.getRun(runId, scope))) return { done: Promise.resolve() };
    if (this.executing.has(runId)) {
      this.again.add(runId);
      return { done: this.settledOf(runId).promise };
    }
    if (this.queued.has(runId)) return { done: this.settledOf(runId).promise };
    await enqueueResume(runId, { store: this.options.store, now: this.now });
    return { done: this.schedule(runId) };
  }

  /**
   * Redrives a failed run (see `redriveRun`): its redrive is stored and the run `queued` before this resolves.
   * @param scope only a run of this tenant (another's is `RUN_NOT_FOUND`; see `TenantScope`).
   * @param by who asked (recorded on the redrive's `run.resumed`).
   * @returns once stored: `done` settles when the redriven execution stops.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_NOT_FAILED`, `RUN_COMPENSATED`, `AGENTS_MISMATCH` ({@link refusal}; nothing stored).
   */
  redrive(runId: string, scope?: TenantScope, by?: string): Promise<Continuation> {
    return this.storing(() => this.redriveNow(runId, scope, by));
  }

  private async redriveNow(runId: string, scope?: TenantScope, by?: string): Promise<Continuation> {
    const run = await this.options.store.getRun(runId, scope);
    const refused = this.refusal(run);
    if (refused) throw new BatonError('AGENTS_MISMATCH', refused);
    await enqueueRedrive(runId, { store: this.options.store, now: this.now, runAgents: this.agentsOf(run)!.runAgents, by });
    return { done: this.schedule(runId) };
  }

  /**
   * Asks a run to stop: a queued, waiting or interrupted one is cancelled at once; an executing one is stopped
   * now (its execution ends `cancelled`).
   * @param scope only a run of this tenant (another's is `RUN_NOT_FOUND`; see `TenantScope`).
   * @returns the run's status after the request.
   * @throws BatonError `RUN_NOT_FOUND`, `RUN_FINISHED`.
   */
  async cancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus> {
    const status = await this.options.store.requestCancel(runId, by, scope);
    this.interrupt(runId);
    return status;
  }

  /** Stops the run's execution if it executes here (its cancellation was stored by another thread). */
  interrupt(runId: string): void {
    this.executing.get(runId)?.abort();
  }

  /**
   * Queues what a crash or a stop left behind, oldest first: every `queued` run, and every `interrupted` run
   * or one left `running` (stored `queued` now).
   * @returns the runs queued.
   */
  recover(): Promise<string[]> {
    return this.storing(() => this.recoverNow());
  }

  private async recoverNow(): Promise<string[]> {
    const store = this.options.store;
    const ids: string[] = [];
    for (const run of await leftBehind(store)) {
      if (this.queued.has(run.id) || this.executing.has(run.id)) continue;
      if (this.leaveAlone(run)) continue;
      this.options.log(`run ${run.id} · ${run.flow}: resuming (${run.status})`);
      // a run left `running` stays so: its leased execution sees that it lost its executor (a takeover)
      if (run.status !== 'running') await enqueueResume(run.id, { store, now: this.now });
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

  /** Resolves when nothing is being stored (accepted, continued), queued or executing. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.executing.size === 0 && this.inStore === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: no run starts executing any more, executing runs are interrupted (stored `interrupted`) and waited
   * for; queued runs stay `queued` in the store (the next {@link recover} picks them up).
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
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
      this.options.onChange?.();
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
    this.options.onChange?.();
    const { store } = this.options;
    store
      .getRun(runId)
      .then(async (run) => {
        const chosen = this.agentsOf(run) ?? { agents: this.options.agents, runAgents: this.runAgents };
        const outcome = await executeLeased(runId, {
          store,
          owner: this.owner,
          ttlMs: this.options.leaseTtlMs,
          agents: chosen.agents,
          runAgents: chosen.runAgents,
          signal: controller.signal,
          now: this.now,
          log: this.options.log,
        });
        if (outcome.kind === 'busy') this.retryLater(runId, outcome.lease?.expiresAt);
        else if (outcome.kind === 'lost') this.options.log(`run ${runId}: another executor took it over (${outcome.error.code}); this one stopped`);
        else if (outcome.kind === 'dead-letter') this.options.log(`run ${runId}: ${outcome.error.message}`);
      })
      .catch((error: unknown) => this.options.log(`run ${runId}: ${error instanceof Error ? error.message : String(error)}`))
      .then(() => this.executed(runId));
  }

  /**
   * Another executor holds the run's lease (another process on this store, or one that died and whose lease has
   * not run out): try again once it expires (`expiresAt`, ISO), or after a lease's length when unknown.
   */
  private retryLater(runId: string, expiresAt: string | undefined): void {
    if (this.closing || this.retries.has(runId)) return;
    const ttl = this.options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    const delay = expiresAt ? Math.min(Math.max(Date.parse(expiresAt) - Date.now() + 50, 50), ttl) : ttl;
    const timer = setTimeout(() => {
      this.retries.delete(runId);
      if (!this.closing && !this.has(runId)) void this.schedule(runId);
    }, delay);
    timer.unref();
    this.retries.set(runId, timer);
  }

  /** After a run's execution stopped: queues it again if it was asked to continue meanwhile, else settles it. */
  private async executed(runId: string): Promise<void> {
    this.executing.delete(runId);
    const settled = this.settledOf(runId);
    if (this.again.delete(runId) && !this.closing) {
      // asked to continue while it executed: queue it again if it can be continued
      // counted as being stored meanwhile, so that idle() does not resolve in between
      this.inStore++;
      let queuedAgain = false;
      try {
        await enqueueResume(runId, { store: this.options.store, now: this.now });
        void this.schedule(runId);
        queuedAgain = true;
      } catch {
        // it finished: nothing to continue
      } finally {
        this.inStore--;
      }
      if (queuedAgain) return this.schedulePump();
    }
    settled.resolve();
    this.options.onChange?.();
    this.schedulePump();
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.executing.size > 0 || this.inStore > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
