/**
 * Named locks across runs (issue 12, WCP-39 Critical Section): the part of the run store contract that a `lock
 * "name" { … }` block uses. A lock is named within a tenant; at most one holder per (tenant, name) across every
 * run of every process on the store; the others queue first come, first served. A holder or a waiter is one lock
 * block instance of a run (`key`: the block's instance key in the run's log), so two branches of one run exclude
 * each other like two runs. Both stores implement it in one transaction per call (see the conformance suite).
 */

/** One lock block instance asking for a lock (see {@link LockStoreApi.acquireLock}). */
export interface LockRequest {
  /** The lock's name (the block's rendered name, e.g. `stock:A1`); 1–500 characters. */
  name: string;
  /** The run asking; its tenant is the lock's tenant. */
  runId: string;
  /** The block instance's key in the run's log (`lock@<node id>` with the sub-flow prefix and loop indexes). */
  key: string;
  /** The IR node id of the lock block. */
  node: string;
}

/** A holder or a waiter of a lock, as {@link LockStoreApi.listLocks} lists it. */
export interface LockParty {
  runId: string;
  key: string;
  node: string;
  /** When it asked (a waiter) or got the lock (the holder), ISO 8601. */
  since: string;
}

/** A lock with its holder and its queue, oldest waiter first. */
export interface LockInfo {
  tenant: string;
  name: string;
  holder: LockParty;
  queue: LockParty[];
}

/** What {@link LockStoreApi.acquireLock} answers. */
export interface LockAcquired {
  /**
   * `held`: the request holds the lock. `queued`: it waits behind `holder` (and `ahead` other waiters).
   */
  state: 'held' | 'queued';
  /**
   * With `held`: whether this call took the lock (`true`: the caller records `lock.acquired`), or it was held
   * already — taken by an earlier call, or handed over by a release, which appended `lock.acquired` to the run's
   * log itself.
   */
  now: boolean;
  /** With `queued`: who holds it. */
  holder?: LockParty;
  /** With `queued`: how many waiters are before this one. */
  ahead?: number;
}

/** The lock methods of the run store (part of `RunStoreApi`). */
export interface LockStoreApi {
  /**
   * Asks for lock `name` for one block instance of a run, in one transaction: it holds the lock when nobody
   * does, else it joins the queue. Asking again for the same (run, key) answers the request's state and changes
   * nothing (a resumed run asks again).
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  acquireLock(request: LockRequest): Promise<LockAcquired>;
  /**
   * Gives up the request of (run, key) on lock `name`, held or queued; nothing when there is none. When it held
   * the lock, the oldest waiter gets it in the same transaction, and `lock.acquired { key, node, name }` is
   * appended to that waiter's run log (as a signal: see `SIGNAL_EVENT_TYPES`) — a waiting run is then runnable.
   * @returns the run and key the lock went to, if it went to one.
   */
  releaseLock(request: Omit<LockRequest, 'node'>): Promise<{ grantedTo?: { runId: string; key: string } }>;
  /**
   * Gives up every request of a run (the backstop when a run ends: succeeded, failed or cancelled), handing each
   * held lock to its oldest waiter as {@link releaseLock} does. The stores call it when a run's status becomes final.
   */
  releaseRunLocks(runId: string): Promise<void>;
  /** The locks held now (of `tenant` when given), by tenant and name, each with its queue. */
  listLocks(filter?: { tenant?: string }): Promise<LockInfo[]>;
}
