/**
 * `baton worker`: executes a cluster's runs (issue 11). It takes activations from the tenants' BullMQ queues (see
 * `run-queue.ts`) and executes each run as its lease holder (`executeLeased`): a run is executed by one worker at a
 * time; a worker killed mid-run has its job taken over after BullMQ's stalled-job check, and the new owner claims
 * the expired lease and replays the log (finished steps are never called again; the step in flight is called again
 * with the same idempotency key). A run that loses its worker three times fails with `WORKER_LOST`.
 *
 * Timers and deadlines wake a waiting run through delayed jobs. Behind the jobs stands the reconciler: a BullMQ job
 * scheduler per queue (and, should Redis lose it, each worker's own timer upserting it again) whose job enqueues
 * every runnable run of the store — queued, interrupted, left running with an expired lease, or waiting with a
 * decision, an event or a due timer — so losing Redis loses no run.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import type { RunAgents, RunStatus, WaitingOn } from '@baton/protocol';
import {
  agentsRefusal,
  BatonError,
  DEFAULT_LEASE_TTL_MS,
  dueAt,
  executeLeased,
  executorId,
  isRunnable,
  keptAgents,
  pollSlas,
  RunsLeftAlone,
  type AgentCaller,
  type RunRecord,
  type RunStoreApi,
} from '@baton/runtime';
import { queueNameOf, RECONCILE_JOB, RUN_JOB, type RunJobData, type RunQueue } from './run-queue.js';

/** Options of {@link ClusterWorker.start}. */
export interface ClusterWorkerOptions {
  /** The run store (PostgreSQL for a cluster of machines; a SQLite file serves workers of one machine). */
  store: RunStoreApi;
  queue: RunQueue;
  /** The tenants whose queues this worker serves (default `['default']`). */
  tenants?: string[];
  /** Runs executing at once in this worker, per tenant queue (default 8). */
  concurrency?: number;
  /** How agents are called (default: the stub agents). */
  agents?: AgentCaller;
  /** What `agents` are (default `{ mode: 'stub' }`): a run keeps its agents (see `RunSupervisorOptions.runAgents`). */
  runAgents?: RunAgents;
  /**
   * A run's lease (ms, default {@link DEFAULT_LEASE_TTL_MS}): a killed worker's runs are taken over this long after
   * it stopped renewing at the latest. BullMQ's stalled-job check runs every half of it.
   */
  leaseTtlMs?: number;
  /** How often the reconciler runs (ms, default 5,000). */
  reconcileEveryMs?: number;
  /** This worker's id (default {@link executorId}). */
  owner?: string;
  /**
   * Per tenant, from `baton.config.json` `tenants.<id>` (only what is configured): the most runs of the tenant executing
   * at once across the cluster (`concurrency`, BullMQ's global concurrency of its queue) and how many activations it
   * may have per window (`rateLimit`, the queue's global rate limit). Set on the queues at start and again with the
   * reconciler (a Redis restarted empty forgets them); a tenant without them has them removed.
   */
  tenantLimits?: Record<string, { concurrency?: number; rateLimit?: { max: number; perMs: number } }>;
  /** Timers up to this long sleep in the worker; longer ones leave the run waiting for a delayed job (ms, default 5,000). */
  shortWaitMs?: number;
  log: (line: string) => void;
}

/** How often an activation whose run's lease was held is tried again before the reconciler is left to it. */
const MAX_BUSY_TRIES = 20;

/** What a worker has done, for logs, tests and the soak (counts since it started). */
export interface WorkerCounts {
  /** Activations that executed a run. */
  executed: number;
  /** Runs this worker took over from a lost executor. */
  takeovers: number;
  /** Runs failed with WORKER_LOST here. */
  deadLetters: number;
  /** Runs whose lease this worker lost while executing them. */
  lost: number;
  /** Runs the reconciler enqueued. */
  reconciled: number;
  /** SLA breaches the reconciler recorded (see the runtime's `pollSlas`; another reconciler may record the rest). */
  slaBreaches: number;
}

/** A running `baton worker` (see the module comment). */
export class ClusterWorker {
  private readonly workers: Worker<RunJobData>[] = [];
  private readonly executing = new Map<string, AbortController>();
  private readonly leftAlone: RunsLeftAlone;
  private readonly runAgents: RunAgents;
  private readonly ttlMs: number;
  private readonly tenants: string[];
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closing = false;
  readonly owner: string;
  readonly counts: WorkerCounts = { executed: 0, takeovers: 0, deadLetters: 0, lost: 0, reconciled: 0, slaBreaches: 0 };

  private constructor(private readonly options: ClusterWorkerOptions) {
    this.runAgents = options.runAgents ?? { mode: 'stub' };
    this.leftAlone = new RunsLeftAlone(this.runAgents, options.log);
    this.ttlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.tenants = [...new Set(options.tenants?.length ? options.tenants : ['default'])];
    this.owner = options.owner ?? executorId();
  }

  /**
   * Starts taking jobs from the tenants' queues, after upserting each queue's reconciler.
   * @throws BatonError `TENANT_INVALID`, `USAGE` (a concurrency that is not a whole number ≥ 1).
   */
  static async start(options: ClusterWorkerOptions): Promise<ClusterWorker> {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new BatonError('USAGE', `the concurrency must be a whole number ≥ 1, not ${concurrency}`);
    const worker = new ClusterWorker(options);
    for (const tenant of worker.tenants) queueNameOf(tenant); // a bad id fails before anything starts
    await worker.upsertReconcilers();
    for (const tenant of worker.tenants) {
      const bull = new Worker<RunJobData>(queueNameOf(tenant), (job) => worker.process(tenant, job), {
        connection: options.queue.connectionOptions,
        concurrency,
        stalledInterval: Math.max(500, Math.floor(worker.ttlMs / 2)),
        // a run lost again and again is failed by its lease count (WORKER_LOST), not by BullMQ
        maxStalledCount: 1000,
        lockDuration: Math.max(1000, worker.ttlMs),
      });
      bull.on('error', (error) => worker.options.log(`queue ${queueNameOf(tenant)}: ${error.message}`));
      bull.on('failed', (job, error) => {
        if (!(error instanceof DelayedError)) worker.options.log(`job ${job?.id ?? '?'} (run ${job?.data.runId ?? '?'}): ${error.message}`);
      });
      worker.workers.push(bull);
    }
    const every = options.reconcileEveryMs ?? 5000;
    // the scheduler lives in Redis: upserted again on this worker's own timer, so a Redis restarted empty gets it back
    worker.reconcileTimer = setInterval(() => void worker.upsertReconcilers().catch(() => undefined), every * 2);
    worker.reconcileTimer.unref();
    return worker;
  }

  private async upsertReconcilers(): Promise<void> {
    const every = this.options.reconcileEveryMs ?? 5000;
    for (const tenant of this.tenants) {
      const queue = this.options.queue.queue(tenant);
      await queue.upsertJobScheduler('baton-reconcile', { every }, { name: RECONCILE_JOB, data: { runId: '', reason: 'reconcile' }, opts: { removeOnComplete: true, removeOnFail: 100 } });
      const limits = this.options.tenantLimits?.[tenant];
      if (limits?.concurrency !== undefined) await queue.setGlobalConcurrency(limits.concurrency);
      else await queue.removeGlobalConcurrency();
      if (limits?.rateLimit) await queue.setGlobalRateLimit(limits.rateLimit.max, limits.rateLimit.perMs);
      else await queue.removeGlobalRateLimit();
    }
  }

  /** Runs executing here now. */
  active(): number {
    return this.executing.size;
  }

  private async process(tenant: string, job: Job<RunJobData>): Promise<unknown> {
    if (job.name === RECONCILE_JOB) return { enqueued: await this.reconcile(tenant) };
    if (job.name !== RUN_JOB || typeof job.data?.runId !== 'string') {
      this.options.log(`job ${job.id} on ${queueNameOf(tenant)} is not a Baton activation (${job.name}); dropped`);
      return { dropped: true };
    }
    return this.activate(tenant, job.data);
  }

  /** Executes the run of one activation as its lease holder; what it did, as the job's result. */
  private async activate(tenant: string, data: RunJobData): Promise<{ outcome: string; status?: RunStatus }> {
    const { store, queue, log } = this.options;
    const run = await store.findRun(data.runId).catch((error: unknown) => {
      if (error instanceof BatonError && error.code === 'RUN_ID_AMBIGUOUS') return undefined;
      throw error;
    });
    if (!run || run.id !== data.runId) {
      log(`job for run ${data.runId}: no such run in ${store.location}; dropped`);
      return { outcome: 'no-such-run' };
    }
    if ((run.tenant ?? 'default') !== tenant) {
      log(`job for run ${run.id} came on the queue of tenant ${tenant}, but the run is tenant ${run.tenant}'s; dropped`);
      return { outcome: 'wrong-tenant' };
    }
    if (this.closing) {
      await queue.activate(tenant, run.id, 'handoff');
      return { outcome: 'handed-off' };
    }
    const agents = this.agentsOf(run);
    if (!agents) return { outcome: 'left-alone' };
    if (this.executing.has(run.id)) {
      // this worker executes it now (its lease is this worker's): that execution reads what came; look again after
      const tries = (data.busyTries ?? 0) + 1;
      if (tries <= MAX_BUSY_TRIES) await queue.activate(tenant, run.id, 'busy', { delayMs: 250, busyTries: tries });
      return { outcome: 'busy' };
    }
    const controller = new AbortController();
    this.executing.set(run.id, controller);
    try {
      const outcome = await executeLeased(run.id, { store, owner: this.owner, ttlMs: this.ttlMs, agents: agents.agents, runAgents: agents.runAgents, signal: controller.signal, log, shortWaitMs: this.options.shortWaitMs });
      switch (outcome.kind) {
        case 'busy': {
          const tries = (data.busyTries ?? 0) + 1;
          if (tries <= MAX_BUSY_TRIES) {
            const expires = outcome.lease ? Date.parse(outcome.lease.expiresAt) - Date.now() : this.ttlMs;
            await queue.activate(tenant, run.id, 'busy', { delayMs: Math.min(Math.max(expires + 100, 250), this.ttlMs), busyTries: tries });
          }
          return { outcome: 'busy' };
        }
        case 'executed':
          this.counts.executed++;
          if (outcome.summary.status === 'waiting') await this.wakeLater(tenant, run.id, outcome.summary.waitingOn);
          if (outcome.summary.status === 'interrupted' && this.closing) await queue.activate(tenant, run.id, 'handoff');
          return { outcome: 'executed', status: outcome.summary.status };
        case 'dead-letter':
          this.counts.deadLetters++;
          log(`run ${run.id}: ${outcome.error.message}`);
          return { outcome: 'dead-letter', status: 'failed' };
        case 'lost':
          this.counts.lost++;
          log(`run ${run.id}: another worker took it over (${outcome.error.code}); this one stopped executing it`);
          return { outcome: 'lost' };
        case 'idle':
          return { outcome: 'idle', status: outcome.status };
      }
    } finally {
      this.executing.delete(run.id);
    }
  }

  /** A delayed activation at the earliest timer or deadline the run waits for (one job per run and due time). */
  private async wakeLater(tenant: string, runId: string, waitingOn: WaitingOn[]): Promise<void> {
    const due = dueAt({ waitingOn });
    if (due === undefined) return;
    await this.options.queue.activate(tenant, runId, 'timer', { delayMs: due - Date.now(), key: String(due) });
  }

  /** The agents `run` continues with here, or undefined (logged once) when this worker runs other agents. */
  private agentsOf(run: RunRecord): { agents: AgentCaller | undefined; runAgents: RunAgents } | undefined {
    if (this.leftAlone.leaves(run)) return undefined;
    const kept = keptAgents(run, this.runAgents)!;
    return { agents: kept.mode === this.runAgents.mode ? this.options.agents : undefined, runAgents: kept };
  }

  /**
   * Records the SLA breaches due in `tenant`'s runs, and enqueues every runnable run of `tenant` from the store (see the module comment) that has no activation in the
   * queue yet (waiting, delayed or taken by a worker: see `RunQueue.runsWithActivations`; a running run whose lease
   * expired counts a taken job for nothing) — one reconciliation job per run at a time (`<run>.reconcile.once`). Runs of other agents than this worker's are left to workers that run them.
   * @returns how many were enqueued.
   */
  async reconcile(tenant: string): Promise<number> {
    const { store, queue } = this.options;
    const now = Date.now();
    // a run with an activation in the queue already is left to it — a backlog of queued runs is not enqueued twice —
    // except a run found running with its lease expired: the job a worker took for it may be a dead worker's, which
    // BullMQ would find stalled only after its stalled-job check (30 s)
    const pending = await queue.runsWithActivations(tenant);
    let enqueued = 0;
    for (const status of ['queued', 'interrupted', 'running', 'waiting'] as RunStatus[]) {
      for (const run of await store.listRuns({ status, tenant, limit: 10_000 })) {
        if (pending.waiting.has(run.id) || (status !== 'running' && pending.active.has(run.id)) || agentsRefusal(run, this.runAgents)) continue;
        if (status === 'running') {
          const lease = await store.leaseOf(run.id);
          if (lease && Date.parse(lease.expiresAt) > now) continue; // its executor is alive
        } else if (status === 'waiting' && !isRunnable(run, await store.getEvents(run.id), now)) continue;
        await queue.activate(tenant, run.id, 'reconcile', { key: 'once' });
        enqueued++;
      }
    }
    this.counts.reconciled += enqueued;
    // the tenant's SLAs due: a breach is recorded once whichever reconciler (or front door) sees it first
    // (read after the poll: `x += await …` would read the count before it and lose a concurrent call's breaches)
    const polled = await pollSlas(store, new Date(now), undefined, { tenant });
    this.counts.slaBreaches += polled.recorded.length;
    return enqueued;
  }

  /**
   * Stops: takes no more jobs; the runs executing here are interrupted (stored `interrupted`, their leases let go)
   * and each is handed to another worker with a new activation; then the queues' connections close.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    for (const controller of this.executing.values()) controller.abort();
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
  }
}
