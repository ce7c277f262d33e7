/**
 * Leases as their holders keep them (see `RunStoreApi.claimLease`): who an executor is, whether a holder is gone,
 * and the renewal loop.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { BatonError } from '../errors.js';
import type { Lease, RunStoreApi } from './store-api.js';

/** How long a lease lasts unless renewed (ms): a lost executor's run is taken over at most this long after. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/**
 * An executor's id for leases: `host/pid/random` — unique per process (and per call), and telling on which
 * machine and in which process it runs, so that a process of the same machine can see that it is gone
 * ({@link isGoneLocalExecutor}).
 */
export function executorId(): string {
  return `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

/**
 * Whether `owner` (an {@link executorId}) was a process of this machine that no longer exists: its leases need
 * not wait for their expiry. False for other machines, for this process, and when unsure (a pid that exists
 * again may be a new process: it waits for the expiry).
 */
export function isGoneLocalExecutor(owner: string): boolean {
  const [host, pidText] = owner.split('/');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Claims run `runId`'s lease for `owner` (see `RunStoreApi.claimLease`), taking at once one whose holder is a gone
 * process of this machine ({@link isGoneLocalExecutor}).
 * @returns the lease, or the other holder's lease (`held`; undefined when it could not be read) when it is busy.
 * @throws BatonError `RUN_NOT_FOUND`, and the store's errors.
 */
export async function claimRunLease(store: RunStoreApi, runId: string, owner: string, ttlMs: number): Promise<{ lease: Lease } | { lease: undefined; held: Lease | undefined }> {
  const lease = await store.claimLease(runId, owner, ttlMs);
  if (lease) return { lease };
  const held = await store.leaseOf(runId);
  if (held && isGoneLocalExecutor(held.owner)) {
    const taken = await store.claimLease(runId, owner, ttlMs, held.owner);
    if (taken) return { lease: taken };
  }
  return { lease: undefined, held };
}

/**
 * Keeps a held lease renewed (every third of its length) until {@link release}; a renewal refused with
 * `LEASE_LOST` aborts {@link signal} (the execution stops) and is kept in {@link lost}. Used by every executor of
 * stored runs: `executeLeased` (serve, workers) and the engine's own runs given `RunOptions.lease` (the CLI).
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  /** The refusal of a renewal: the lease was taken over. */
  lost: BatonError | undefined;

  constructor(
    private readonly store: RunStoreApi,
    private lease: Lease,
    private readonly ttlMs: number,
    outer: AbortSignal | undefined,
    private readonly log: ((line: string) => void) | undefined,
  ) {
    if (outer?.aborted) this.controller.abort();
    else outer?.addEventListener('abort', () => this.controller.abort(), { once: true });
    this.schedule();
  }

  /** Aborted when the caller's signal aborts or the lease is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref?.();
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      this.lease = await this.store.renewLease(this.lease, this.ttlMs);
    } catch (error) {
      if (error instanceof BatonError && error.code === 'LEASE_LOST') {
        this.lost = error;
        this.controller.abort();
        return;
      }
      // the store is unreachable for now: try again; if the lease expires meanwhile, the next write says so
      this.log?.(`run ${this.lease.runId}: renewing its lease failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!this.released) this.schedule();
  }

  /** Stops renewing and lets the lease go (unless it was lost). */
  async release(): Promise<void> {
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.lost) return;
    try {
      await this.store.releaseLease(this.lease);
    } catch (error) {
      // the lease runs out by itself; what the run wrote was committed before (or the run stopped for the store)
      this.log?.(`run ${this.lease.runId}: releasing its lease failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
