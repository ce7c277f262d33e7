/**
 * The run queue of a cluster (issue 11): BullMQ on Redis. A job is one activation of a run — its start, its
 * continuation after a decision, an event, a due timer or a redrive — never one step: the worker that takes the job
 * claims the run's lease and executes it until it ends or waits (see `executeLeased`). Jobs carry only the run's id;
 * the run store (PostgreSQL) holds everything else, so a job lost with Redis loses nothing: the reconciler (see
 * `worker.ts`) enqueues every runnable run again from the store.
 *
 * One queue per tenant: `baton-runs-<tenant>` (BullMQ queue names may not hold `:`), so a tenant's concurrency and
 * rate limit (`baton.config.json` `tenants.<id>`) are the queue's, cluster-wide.
 */
import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobType } from 'bullmq';
import { BatonError } from '@baton/runtime';
import { redisConnection } from './redis-connection.js';

/** What a job carries: the run to activate, and why (for logs and the queue UI). */
export interface RunJobData {
  runId: string;
  /** `start`, `resume`, `redrive`, `cancel`, `timer`, `reconcile`, `busy` (its lease was held: tried again). */
  reason: string;
  /** How many times this activation found the lease held by another executor (see the worker). */
  busyTries?: number;
}

/** The job name of an activation. */
export const RUN_JOB = 'run';
/** The job name of a reconciliation (a BullMQ job scheduler per queue). */
export const RECONCILE_JOB = 'reconcile';

/** The states of a job that will activate its run later (see {@link RunQueue.runsWithActivations}). */
const WAITING_JOB_STATES: JobType[] = ['wait', 'delayed', 'prioritized', 'waiting-children'];

/** The run id of an activation's job id (`<runId>.<reason>.<key>`), or undefined for another job (the reconciler's). */
export function runOfJobId(jobId: string): string | undefined {
  const dot = jobId.indexOf('.');
  return dot > 0 ? jobId.slice(0, dot) : undefined;
}

/** The tenant ids a queue name may hold: letters, digits, `_` and `-`, 1–64 of them. */
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The queue of `tenant`'s runs.
 * @throws BatonError `TENANT_INVALID` for a tenant id that is not 1–64 letters, digits, `_` or `-`.
 */
export function queueNameOf(tenant: string): string {
  if (!TENANT_ID.test(tenant)) throw new BatonError('TENANT_INVALID', `"${tenant}" is not a tenant id: use 1–64 letters, digits, _ or -`);
  return `baton-runs-${tenant}`;
}

/**
 * Options of a job that activates a run: removed once done, so its id can be used again; tried again with
 * exponential backoff (1 s, 2 s, 4 s, 8 s) when it fails — the store was unreachable, say — and after that left to the
 * reconciler, which finds the run in the store again.
 */
function jobOptions(delayMs = 0, jobId?: string): { delay?: number; jobId?: string; removeOnComplete: true; removeOnFail: number; attempts: number; backoff: { type: 'exponential'; delay: number } } {
  return { ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}), ...(jobId ? { jobId } : {}), removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } };
}

/**
 * Enqueues activations of runs: what `baton serve --queue`, the CLI and the workers themselves (timers, retries,
 * the reconciler) use. One Redis connection for all tenants' queues.
 */
export class RunQueue {
  private readonly queues = new Map<string, Queue<RunJobData>>();

  private constructor(
    /** `redis://host:port` without a password, for messages. */
    readonly location: string,
    private readonly connection: ConnectionOptions,
  ) {}

  /**
   * Connects to Redis at `url` (`redis://[user:password@]host:port[/db]`; a password may also come from
   * `REDISCLI_AUTH`) and checks that it answers.
   * @throws BatonError `QUEUE_UNREACHABLE` naming where and why (refused, timed out, wrong password).
   */
  static async open(url: string, options: { connectTimeoutMs?: number } = {}): Promise<RunQueue> {
    const { connection, location } = await redisConnection(url, options.connectTimeoutMs);
    return new RunQueue(location, connection);
  }

  /** The BullMQ queue of `tenant` (made at its first use). @throws BatonError `TENANT_INVALID`. */
  queue(tenant: string): Queue<RunJobData> {
    const name = queueNameOf(tenant);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<RunJobData>(name, { connection: this.connection });
      // an error of the connection is retried by ioredis; an 'error' event without a listener would end the process
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Enqueues an activation of `runId` (of `tenant`), after `delayMs` (a timer's or deadline's due time). Its job id
   * is `<runId>.<reason>.<key>` (see {@link runOfJobId}): with `key` when one activation per key is enough (a BullMQ
   * job id is unique while the job exists: a second add is a no-op), else a random one.
   */
  async activate(tenant: string, runId: string, reason: string, options: { delayMs?: number; key?: string; busyTries?: number } = {}): Promise<void> {
    const jobId = `${runId}.${reason}.${options.key ?? randomUUID()}`;
    await this.queue(tenant).add(RUN_JOB, { runId, reason, ...(options.busyTries ? { busyTries: options.busyTries } : {}) }, jobOptions(options.delayMs, jobId));
  }

  /**
   * The ids of the runs of `tenant` that have an activation in the queue, read from the job ids alone (one range
   * read per state, no job fetched): `waiting` — waiting (also in a paused queue), delayed or prioritized — and
   * `active` — taken by a worker, which may since have died (BullMQ finds such a job stalled only after its
   * stalled-job check). Failed and completed jobs do not count.
   */
  async runsWithActivations(tenant: string): Promise<{ waiting: Set<string>; active: Set<string> }> {
    const runsOf = (ids: string[]): Set<string> => new Set(ids.map(runOfJobId).filter((id): id is string => id !== undefined));
    const queue = this.queue(tenant);
    const [waiting, active] = await Promise.all([queue.getRanges(WAITING_JOB_STATES, 0, -1), queue.getRanges(['active'], 0, -1)]);
    return { waiting: runsOf(waiting), active: runsOf(active) };
  }

  /**
   * How many activations of `tenant`'s runs the queue holds: `waiting` — waiting (also in a paused queue), delayed,
   * prioritized — and `active` (taken by a worker), as {@link runsWithActivations} counts them but without reading
   * any id (BullMQ's `getJobCounts`: one count per state). For `baton serve --queue`'s `/metrics`.
   */
  async depth(tenant: string): Promise<{ waiting: number; active: number }> {
    const counts = await this.queue(tenant).getJobCounts(...WAITING_JOB_STATES, 'active');
    const waiting = WAITING_JOB_STATES.reduce((n, state) => n + (counts[state] ?? 0), 0);
    return { waiting, active: counts.active ?? 0 };
  }

  /** The connection settings (for BullMQ workers on the same Redis). */
  get connectionOptions(): ConnectionOptions {
    return this.connection;
  }

  /** Closes every queue's connection. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}
