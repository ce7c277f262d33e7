import type { RunAgents, RunStatus } from '@baton/protocol';
import {
  agentsRefusal,
  BatonError,
  enqueueRedrive,
  enqueueResume,
  storeStart,
  type Accepted,
  type Continuation,
  type RunRecord,
  type RunStoreApi,
  type RunSupervision,
  type StartRequest,
  type TenantScope,
} from '@baton/runtime';
import type { RunQueue } from './run-queue.js';

/** Options of {@link QueueFrontDoor}. */
export interface QueueFrontDoorOptions {
  store: RunStoreApi;
  queue: RunQueue;
  /** The agents the cluster's workers run, stored with every run started here (default stub). */
  runAgents?: RunAgents;
  now?: () => Date;
  log: (line: string) => void;
}

/** The longest an answer waits for Redis to take an activation (ms); the reconciler enqueues what it did not take. */
const ENQUEUE_WAIT_MS = 2000;

/** A continuation the front door has handed to the workers: nothing executes here, so it is done at once. */
const HANDED: Continuation = { done: Promise.resolve() };

/**
 * `baton serve --queue redis://…`: the front door of a cluster. Webhooks, events, schedules and the runs API write
 * the store and enqueue an activation for the workers (`baton worker`); nothing executes in this process. Several
 * front doors may serve one store: a start key makes one run however many of them are given it (the store's atomic
 * insert). A run whose activation is lost (Redis down between the commit and the enqueue) is found by the
 * workers' reconciler: what is stored is never lost.
 */
export class QueueFrontDoor implements RunSupervision {
  private readonly runAgents: RunAgents;
  private readonly now: () => Date;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: QueueFrontDoorOptions) {
    this.runAgents = options.runAgents ?? { mode: 'stub' };
    this.now = options.now ?? (() => new Date());
  }

  /** Stores the run `queued` (with its start key, atomically) and enqueues its start; `done` settles at once. */
  accept(request: StartRequest): Promise<Accepted> {
    return this.counted(async () => {
      const stored = await storeStart(this.options.store, request, { runAgents: this.runAgents, now: this.now });
      if (stored.duplicate) return stored;
      await this.enqueue(stored.runId, 'start', request.tenant ?? 'default');
      return { runId: stored.runId, duplicate: false, done: Promise.resolve() };
    });
  }

  /** Marks a waiting or interrupted run `queued` and enqueues it (a run executing elsewhere reads the signal itself). */
  resume(runId: string, scope?: TenantScope): Promise<Continuation> {
    return this.counted(async () => {
      const run = await this.options.store.getRun(runId, scope);
      if (run.status === 'waiting' || run.status === 'interrupted') await enqueueResume(run.id, { store: this.options.store, now: this.now });
      await this.enqueue(run.id, 'resume', run.tenant ?? 'default');
      return HANDED;
    });
  }

  /** Stores the redrive (the run `queued`) and enqueues it. @throws BatonError `AGENTS_MISMATCH`, and `enqueueRedrive`'s. */
  redrive(runId: string, scope?: TenantScope): Promise<Continuation> {
    return this.counted(async () => {
      const run = await this.options.store.getRun(runId, scope);
      const refused = agentsRefusal(run, this.runAgents);
      if (refused) throw new BatonError('AGENTS_MISMATCH', refused);
      await enqueueRedrive(run.id, { store: this.options.store, now: this.now, runAgents: this.runAgents });
      await this.enqueue(run.id, 'redrive', run.tenant ?? 'default');
      return HANDED;
    });
  }

  /** Stores the request; an executing run is stopped by its worker (which reads it), a waiting one is cancelled now. */
  cancel(runId: string, by?: string, scope?: TenantScope): Promise<RunStatus> {
    return this.counted(async () => {
      const status = await this.options.store.requestCancel(runId, by, scope);
      if (status !== 'cancelled') await this.enqueue(runId, 'cancel');
      return status;
    });
  }

  refusal(run: RunRecord): string | undefined {
    return agentsRefusal(run, this.runAgents);
  }

  /** The workers' reconciler continues what was left behind: nothing to do here. */
  async recover(): Promise<string[]> {
    return [];
  }

  has(): boolean {
    return false;
  }

  active(): number {
    return 0;
  }

  waiting(): number {
    return 0;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
  }

  /**
   * Enqueues an activation on the queue of the run's tenant (`tenant`, else read from the store). Redis failing here is logged, not thrown: the run is
   * stored, and the reconciler enqueues it.
   */
  private async enqueue(runId: string, reason: string, tenant?: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      tenant ??= (await this.options.store.getRun(runId)).tenant ?? 'default';
      // a Redis that is down would keep the request waiting for its reconnection: the answer does not wait for it
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not take it within ${ENQUEUE_WAIT_MS} ms`)), ENQUEUE_WAIT_MS);
      });
      await Promise.race([this.options.queue.activate(tenant, runId, reason), late]);
    } catch (error) {
      this.options.log(`run ${runId}: stored, but its ${reason} could not be enqueued (${(error as Error).message}); the workers' reconciler will find it`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async counted<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
