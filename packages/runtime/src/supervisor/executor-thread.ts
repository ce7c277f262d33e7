import { Worker } from 'node:worker_threads';
import type { RunAgents, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { enqueueRedrive, enqueueResume } from '../engine/engine.js';
import { BatonError } from '../errors.js';
import { DEAD_THREAD_READ_LOCK_MS } from '../store/run-store.js';
import { SqliteRunStore } from '../store/sqlite-store.js';
import type { RunRecord, RunStoreApi, TenantScope } from '../store/store-api.js';
import { executorId } from '../store/lease-keeper.js';
import { agentsRefusal, keptAgents, leftBehind, RunsLeftAlone, type Accepted, type Continuation, type DuePollResult, type RunSupervision, type StartRequest } from './run-supervisor.js';
import type { FromExecutor, ToExecutor } from './executor-messages.js';

/** How many times the executor thread is replaced within {@link RESTART_WINDOW_MS} before the server gives up on it. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;


/** Options of {@link ExecutorThread.start}. */
export interface ExecutorThreadOptions {
  /**
   * This thread's store: what it accepts is stored here before it is acknowledged. Open it with
   * `holdLock: false` and the same `lockWaiters` as the executor's store, so that neither thread makes the
   * other wait for more than one commit.
   */
  store: RunStoreApi;
  /** The executor thread's entry: a module that calls {@link serveExecutorThread} when it runs as a worker. */
  script: URL | string;
  /** Given to the entry as `workerData` (structured-cloned): what it needs to open its store and build its agents. */
  workerData: unknown;
  /**
   * The definitions runs are started from (the served flows'), also given to the executor by its entry in the
   * same order ({@link ExecutorSetup.definitions}): a start names its definition by its index, not by a copy.
   */
  definitions: WorkflowDefinition[];
  /** The agents the executor runs (stored with every run accepted here; see `RunSupervisorOptions.runAgents`). */
  runAgents: RunAgents;
  /** The clock of accepted runs' times (default: the real one). */
  now?: () => Date;
  /** Log lines: the executor's, and this thread's (a recovered run, an executor that stopped). */
  log: (line: string) => void;
}

/**
 * `baton serve`'s runs, executed on a worker thread so that the thread answering HTTP never waits behind them
 * (issue 10, item 19: the 202 of a webhook waited behind running flows on one event loop). The executor thread
 * owns the store's writes for starts — one writer, keeping the lock across a burst, as a single process does —
 * and executes runs in its {@link RunSupervisor}: {@link accept} hands it a start and resolves once the run
 * is stored `queued` (with its start key, checked and recorded on that one thread). Decisions, events, redrives
 * and cancellations are rarer: this thread stores them on its own connection (`holdLock: false`, sharing
 * `lockWaiters` with the executor's, so each waits for at most one commit of the other) before it answers, and
 * tells the executor to continue the run; one it is executing is continued again when that execution stops.
 *
 * When the executor thread dies (an error nothing caught), the lines say so, a new one is started and every run
 * left queued, interrupted or running is queued on it again (nothing accepted is lost: it is in the store). After
 * {@link MAX_RESTARTS} replacements within a minute (a run that kills every executor it meets) it is not replaced
 * again: starts are refused with `EXECUTOR_STOPPED` (503) and the lines say why.
 */
export class ExecutorThread implements RunSupervision {
  private worker!: Worker;
  private seq = 0;
  /** Continuations the executor has not settled: seq → run and how to settle. */
  private readonly pending = new Map<number, { runId: string; resolve: () => void }>();
  /** Per run: how many of {@link pending} are its. */
  private readonly perRun = new Map<string, number>();
  private counts = { active: 0, queued: 0, seen: 0 };
  private readonly idleWaiters: (() => void)[] = [];
  private closing = false;
  /** Why there is no executor any more (it died too often, or could not start again); undefined while there is one. */
  private stopped: string | undefined;
  /**
   * Messages for the executor held while a dead one is being replaced (undefined otherwise): posted to the dead
   * thread they would be lost — a start accepted in that gap was never stored nor answered.
   */
  private outbox: ToExecutor[] | undefined;
  /** When the executor died, ms since the epoch (within {@link RESTART_WINDOW_MS}). */
  private deaths: number[] = [];
  /** Executor threads that have ended. */
  private readonly exited = new WeakSet<Worker>();
  private readonly now: () => Date;
  private readonly leftAlone: RunsLeftAlone;
  /** Starts the executor has not answered: seq → how to answer. */
  private readonly accepting = new Map<number, { resolve: (accepted: Accepted) => void; reject: (error: Error) => void }>();
  private readonly definitionIndex = new Map<WorkflowDefinition, number>();
  /** Polls the executor has not answered: seq → how to answer. */
  private readonly polls = new Map<number, (result: DuePollResult) => void>();

  /**
   * The executor's id for the runs' leases, the same for every executor thread this process starts: a replacement
   * takes over at once the runs its dead predecessor held.
   */
  private readonly owner = executorId();

  private constructor(private readonly options: ExecutorThreadOptions) {
    this.now = options.now ?? (() => new Date());
    options.definitions.forEach((definition, i) => this.definitionIndex.set(definition, i));
    this.leftAlone = new RunsLeftAlone(options.runAgents, options.log);
  }

  /**
   * Starts the executor thread and waits until it is ready (its store open, its agents built).
   * @throws BatonError `EXECUTOR_FAILED` with the thread's own message when it could not start.
   */
  static async start(options: ExecutorThreadOptions): Promise<ExecutorThread> {
    const thread = new ExecutorThread(options);
    await thread.spawn();
    return thread;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(this.options.script, { workerData: { ...(this.options.workerData as object), batonLeaseOwner: this.owner } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromExecutor) => {
        switch (message.kind) {
          case 'ready':
            ready = true;
            resolve();
            return;
          case 'failed':
            reject(new BatonError('EXECUTOR_FAILED', message.message));
            return;
          case 'accepted':
            return this.accepted(message);
          case 'refused': {
            const waiter = this.accepting.get(message.seq);
            this.accepting.delete(message.seq);
            return waiter?.reject(new BatonError(message.code, message.message));
          }
          case 'settled':
            return this.settle(message.seq);
          case 'counts':
            this.counts = { active: message.active, queued: message.queued, seen: message.seen };
            return this.notifyIdle();
          case 'log':
            return this.options.log(message.line);
          case 'polled': {
            const answer = this.polls.get(message.seq);
            this.polls.delete(message.seq);
            return answer?.({ resumed: message.resumed, breaches: message.breaches });
          }
          case 'adopted':
            this.pending.set(message.seq, { runId: message.runId, resolve: () => undefined });
            this.perRun.set(message.runId, (this.perRun.get(message.runId) ?? 0) + 1);
            return;
          case 'closed':
            void worker.terminate();
            return;
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(new BatonError('EXECUTOR_FAILED', error.message));
        else this.options.log(`the run executor failed: ${error.message}`);
      });
      worker.on('exit', () => {
        this.exited.add(worker);
        if (!ready) return reject(new BatonError('EXECUTOR_FAILED', 'the run executor stopped before it was ready'));
        if (this.closing || this.worker !== worker) return;
        this.restart();
      });
    });
  }

  /** A new executor after one died: what it was doing is settled here, and queued again from the store. */
  private restart(): void {
    this.refuseAccepting('the run executor stopped before it stored the run');
    for (const seq of [...this.pending.keys()]) this.settle(seq);
    this.counts = { active: 0, queued: 0, seen: this.seq };
    // the dead thread may have held the store's lock (in a burst, or mid-commit): nobody else can tell it is gone
    // (an embedded SQLite store's lock; a server store's transaction ends with the thread's connection)
    const store = this.options.store;
    const freed = (): boolean => store instanceof SqliteRunStore && store.database.breakLockOfDeadThread();
    if (freed()) this.options.log('the run executor held the store when it stopped: its lock was removed and its unfinished commit rolled back');
    const now = Date.now();
    this.deaths = this.deaths.filter((at) => now - at < RESTART_WINDOW_MS);
    this.deaths.push(now);
    if (this.deaths.length > MAX_RESTARTS) {
      // a run that kills its executor would otherwise be resumed, and kill the next one, forever
      return this.giveUp(`the run executor stopped ${this.deaths.length} times within ${RESTART_WINDOW_MS / 1000} s; runs stay stored: fix the cause (the lines above) and start baton serve again`);
    }
    this.outbox = [];
    this.options.log('the run executor stopped; starting a new one, which continues every run left queued or running');
    // a lock the thread took for a read has no owner: it is taken for the thread's once it is old enough
    const readLockLeft = store instanceof SqliteRunStore && store.database.isLocked();
    const settledStore = readLockLeft ? new Promise<void>((resolve) => setTimeout(() => (freed(), resolve()), DEAD_THREAD_READ_LOCK_MS + 50)) : Promise.resolve();
    settledStore.then(() => this.spawn()).then(
      () => {
        // what came meanwhile goes to the new executor first, in order
        const held = this.outbox ?? [];
        this.outbox = undefined;
        for (const message of held) this.worker.postMessage(message);
        return this.recover().then(
          () => undefined,
          // a store that fails now (busy past its wait, unreachable) must not take the server down: the runs stay stored
          (error: unknown) => this.options.log(`a new run executor started, but the runs the old one left could not be queued: ${(error as Error).message}; they continue at the next start`),
        );
      },
      (error: unknown) => this.giveUp(`the run executor could not start again: ${(error as Error).message}; runs are kept in the store and continue at the next start`),
    );
  }

  /** No executor any more: starts are refused (`EXECUTOR_STOPPED`) until the process is started again. */
  private giveUp(why: string): void {
    this.stopped = why;
    this.outbox = undefined;
    this.options.log(why);
    this.refuseAccepting(why);
    for (const seq of [...this.pending.keys()]) this.settle(seq);
  }

  private post(message: ToExecutor): void {
    if (this.outbox) this.outbox.push(message);
    else this.worker.postMessage(message);
  }

  /** Asks the executor to continue `runId` (stored as continuable); settles when that continuation stops. */
  private continueRun(runId: string): Promise<void> {
    if (this.closing || this.stopped) return Promise.resolve();
    const seq = ++this.seq;
    const done = new Promise<void>((resolve) => this.pending.set(seq, { runId, resolve }));
    this.perRun.set(runId, (this.perRun.get(runId) ?? 0) + 1);
    this.post({ kind: 'continue', seq, runId });
    return done;
  }

  private settle(seq: number): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    this.pending.delete(seq);
    const left = (this.perRun.get(entry.runId) ?? 1) - 1;
    if (left > 0) this.perRun.set(entry.runId, left);
    else this.perRun.delete(entry.runId);
    entry.resolve();
    this.notifyIdle();
  }

  /**
   * See {@link RunSupervision.accept}: the executor thread stores the run `queued` (or finds its start key's run)
   * and answers; then it executes it.
   * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID`, `EXECUTOR_STOPPED` (the executor stopped first: nothing stored).
   */
  accept(request: StartRequest): Promise<Accepted> {
    if (this.closing) return Promise.reject(new BatonError('EXECUTOR_STOPPED', 'the server is stopping: the run was not started'));
    if (this.stopped) return Promise.reject(new BatonError('EXECUTOR_STOPPED', this.stopped));
    const seq = ++this.seq;
    return new Promise<Accepted>((resolve, reject) => {
      this.accepting.set(seq, { resolve, reject });
      const { definition, ...rest } = request;
      this.post({ kind: 'start', seq, definition: this.definitionIndex.get(definition) ?? definition, ...rest });
    });
  }

  private accepted(message: Extract<FromExecutor, { kind: 'accepted' }>): void {
    const waiter = this.accepting.get(message.seq);
    this.accepting.delete(message.seq);
    if (message.duplicate) return waiter?.resolve({ runId: message.runId, duplicate: true, status: message.status! });
    // the executor settles the start's execution under the same seq
    const done = new Promise<void>((resolve) => this.pending.set(message.seq, { runId: message.runId, resolve }));
    this.perRun.set(message.runId, (this.perRun.get(message.runId) ?? 0) + 1);
    waiter?.resolve({ runId: message.runId, duplicate: false, done });
  }

  private refuseAccepting(why: string): void {
    for (const waiter of this.accepting.values()) waiter.reject(new BatonError('EXECUTOR_STOPPED', why));
    this.accepting.clear();
    // a poll the executor did not answer did nothing it reported: the next one polls again
    for (const answer of this.polls.values()) answer({ resumed: [], breaches: [] });
    this.polls.clear();
  }

  /**
   * See {@link RunSupervision.pollDue}: the executor polls with its own store connection (which holds the lock
   * across its writes) and continues the due runs itself, so that this thread — answering HTTP — never waits
   * for the store's lock in the background. Resolves with nothing when the executor stops first.
   */
  pollDue(nowMs: number): Promise<DuePollResult> {
    if (this.closing || this.stopped) return Promise.resolve({ resumed: [], breaches: [] });
    const seq = ++this.seq;
    return new Promise<DuePollResult>((resolve) => {
      this.polls.set(seq, resolve);
      this.post({ kind: 'poll', seq, nowMs });
    });
  }

  /**
   * See {@link RunSupervisor.resume}. A waiting or interrupted run is stored `queued` on this thread before this
   * returns; one queued or executing is the executor's already (it continues it again when it stops).
   */
  async resume(runId: string, scope?: TenantScope): Promise<Continuation> {
    const run = await this.options.store.getRun(runId, scope);
    if (this.leaveAlone(run)) return { done: Promise.resolve() };
    if (run.status === 'waiting' || run.status === 'interrupted') await enqueueResume(runId, { store: this.options.store, now: this.now });
    else if (run.status !== 'queued' && run.status !== 'running') throw new BatonError('RUN_FINISHED', `run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}; there is nothing to resume`);
    return { done: this.continueRun(runId) };
  }

  /** See {@link RunSupervisor.redrive}: stored on this thread before it resolves. */
  async redrive(runId: string, scope?: TenantScope, by?: string): Promise<Continuation> {
    const run = await this.options.store.getRun(runId, scope);
    const refused = this.refusal(run);
    if (refused) throw new BatonError('AGENTS_MISMATCH', refused);
    await enqueueRedrive(runId, { store: this.options.store, now: this.now, runAgents: keptAgents(run, this.options.runAgents), by });
    return { done: this.continueRun(runId) };
  }

  /** See {@link RunSupervisor.cancel}: the request is stored here; an executing run is stopped by the executor. */
  async cancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus> {
    const status = await this.options.store.requestCancel(runId, by, scope);
    if (!this.closing && !this.stopped) this.post({ kind: 'interrupt', runId });
    return status;
  }

  refusal(run: RunRecord): string | undefined {
    return agentsRefusal(run, this.options.runAgents);
  }

  private leaveAlone(run: RunRecord): boolean {
    return this.leftAlone.leaves(run);
  }

  /** See {@link RunSupervisor.recover}. */
  async recover(): Promise<string[]> {
    const ids: string[] = [];
    for (const run of await leftBehind(this.options.store)) {
      if (this.perRun.has(run.id) || this.leaveAlone(run)) continue;
      this.options.log(`run ${run.id} · ${run.flow}: resuming (${run.status})`);
      // a run left `running` stays so: its leased execution sees that it lost its executor (a takeover)
      if (run.status !== 'running') await enqueueResume(run.id, { store: this.options.store, now: this.now });
      void this.continueRun(run.id);
      ids.push(run.id);
    }
    return ids;
  }

  has(runId: string): boolean {
    return this.perRun.has(runId);
  }

  active(): number {
    return this.counts.active;
  }

  /** Runs queued in the executor, and those told to it that it has not counted yet. */
  waiting(): number {
    let untold = 0;
    for (const seq of this.pending.keys()) if (seq > this.counts.seen) untold++;
    for (const seq of this.accepting.keys()) if (seq > this.counts.seen) untold++;
    return this.counts.queued + untold;
  }

  idle(): Promise<void> {
    if (this.pending.size === 0 && this.accepting.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  private notifyIdle(): void {
    if (this.pending.size > 0 || this.accepting.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** See {@link RunSupervisor.close}: the executor interrupts its runs, closes its store and ends. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const worker = this.worker;
    if (!this.exited.has(worker)) {
      const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      this.post({ kind: 'close' });
      await ended;
    }
    this.refuseAccepting('the server stopped before the run was stored');
    for (const seq of [...this.pending.keys()]) this.settle(seq);
    this.notifyIdle();
  }
}

