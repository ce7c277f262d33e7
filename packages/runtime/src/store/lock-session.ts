import type sqlite from 'node-sqlite3-wasm';
import { BatonError } from '../errors.js';
import { isBusy, sleepSync } from './store-files.js';
import { StoreLock } from './store-lock.js';

type Db = InstanceType<(typeof sqlite)['Database']>;

/**
 * How long a burst of writes may keep the store locked after its last write, ms. Each release and retake costs a
 * mkdir and an rmdir of the lock directory — ~2 ms each on an ext4 mounted with `discard` (the project machine) —
 * so a server whose runs commit every few tens of ms keeps it between them; another process waits at most
 * {@link MAX_HOLD_MS} either way.
 */
const IDLE_RELEASE_MS = 100;
/** The longest a burst keeps the lock before letting other processes in, ms. */
export const MAX_HOLD_MS = 500;
/** The longest pause between two tries to get a held store, ms (the pause doubles from 1 ms up to this). */
const MAX_BUSY_PAUSE_MS = 20;

/** What a {@link LockSession} is told by its store's options (see `RunStoreOptions`). */
export interface LockSessionOptions {
  /** How long one access waits while others hold the store, ms; then `STORE_BUSY`. */
  busyTimeoutMs: number;
  /** Whether a burst of writes keeps the lock (exclusive locking mode). */
  holdLock: boolean;
  /** The cell shared with stores of other threads on the same file (`RunStoreOptions.lockWaiters`). */
  lockWaiters?: Int32Array;
}

/** Options of `RunStore.open` (run-store.ts): its commits' sync and its locking (see {@link LockSession}). */
export interface RunStoreOptions {
  /**
   * `normal` (default): commits are written without fsync — durable when the process crashes or is
   * killed, not on power loss. `full`: fsync on every commit (about 5× slower here).
   */
  sync?: 'normal' | 'full';
  /**
   * How long one access waits while other processes hold the store, ms (default 30,000); then it fails
   * with `STORE_BUSY`. Each process holds the store for at most {@link MAX_HOLD_MS} at a time.
   */
  busyTimeoutMs?: number;
  /**
   * Whether a burst of writes keeps the lock (exclusive locking mode, released after 100 ms idle or 500 ms; see
   * {@link LockSession}). Default true. A store whose thread must never wait long — `baton serve`'s HTTP thread —
   * passes false: each access takes the lock and lets it go at once, so it never makes another thread wait.
   */
  holdLock?: boolean;
  /**
   * A cell (`Int32Array` of length ≥ 1 on a `SharedArrayBuffer`) shared by the stores of several threads of one
   * process on one file: a store waiting for the lock counts itself in `[0]` while it waits, and a store holding
   * the lock for a burst lets go right after its current commit while the count is above 0 — so another thread
   * waits for one commit, not for the end of a burst (up to 500 ms). Stores of one thread need no cell.
   */
  lockWaiters?: Int32Array;
}

/**
 * The sessions this thread has open, by database file. The lock is per process in SQLite's eyes but per
 * connection here: a store that finds the file held by another store of this thread (a store kept open by
 * `baton serve` beside one a command opens, say) asks it to let go — it is idle, as this thread is the one
 * waiting — instead of waiting for a release timer that cannot fire while the wait blocks the thread.
 */
const openSessions = new Map<string, Set<LockSession>>();

/**
 * The database lock of one run-store connection: waiting for it, keeping it across a burst of commits, letting
 * it go. node-sqlite3-wasm locks the whole database by creating the directory `<db>.lock` for every statement
 * or transaction, readers included, and has no busy handler: an access that finds it held gets SQLITE_BUSY at
 * once. So every access waits and tries again ({@link withBusyRetry}: pauses of 1–20 ms with jitter, up to
 * `busyTimeoutMs`). During a burst of writes the connection keeps the lock (SQLite's exclusive locking mode,
 * {@link hold}), which makes a commit ~15× cheaper, and lets it go after 100 ms without writes or 500 ms of
 * holding ({@link scheduleRelease}), at once when a store of another thread waits (`lockWaiters`), or when a
 * store of this thread needs it. The files beside the database — who holds it, breaking a lock a killed
 * process left — are {@link StoreLock}'s.
 */
export class LockSession {
  /** In exclusive locking mode: the lock is kept from the first access until {@link release}. */
  holding = false;
  /** This process holds the lock and is named in the owner file. */
  private claimed = false;
  private lastWriteAt = 0;
  private holdSince = 0;
  private releaseTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Counts the starts and ends of held bursts: {@link heldSince}'s ids. */
  private tenure = 0;
  readonly lock: StoreLock;

  constructor(
    readonly path: string,
    private readonly db: Db,
    private readonly options: LockSessionOptions,
  ) {
    this.lock = new StoreLock(path);
    if (path !== ':memory:') {
      const siblings = openSessions.get(path) ?? new Set<LockSession>();
      siblings.add(this);
      openSessions.set(path, siblings);
    }
  }

  /** Keeps the database lock across commits (exclusive locking mode) from the next access on. */
  hold(): void {
    if (this.holding || this.path === ':memory:' || !this.options.holdLock) return;
    this.db.exec('PRAGMA locking_mode = EXCLUSIVE');
    this.holding = true;
    this.tenure++;
    this.holdSince = Date.now();
  }

  /**
   * The id of the lock's current uninterrupted hold across commits, or undefined when this connection does not keep it
   * (another process may write between two of its commits then). What a transaction of this connection read or wrote
   * under the lock stays true of the stored state while the id stays the same: nobody else can have written since.
   * An in-memory store has this one connection: always 0.
   */
  heldSince(): number | undefined {
    if (this.path === ':memory:') return 0;
    return this.holding ? this.tenure : undefined;
  }

  /** Names this process in the owner file once a held burst has taken the lock (call inside the transaction). */
  claim(): void {
    if (this.claimed || !this.holding) return;
    this.claimed = true;
    this.lock.claim();
  }

  /** After a commit: lets the lock go now, or when the burst has been idle for 100 ms (one timer per burst). */
  scheduleRelease(): void {
    if (!this.holding) return;
    this.lastWriteAt = Date.now();
    if (this.lastWriteAt - this.holdSince >= MAX_HOLD_MS || this.othersWaiting()) return this.release();
    // One timer per burst (not one per commit): when it fires early, it waits for the rest of the idle time.
    if (!this.releaseTimer) this.armReleaseTimer(IDLE_RELEASE_MS);
  }

  private armReleaseTimer(ms: number): void {
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = undefined;
      const idle = Date.now() - this.lastWriteAt;
      if (idle >= IDLE_RELEASE_MS || Date.now() - this.holdSince >= MAX_HOLD_MS || this.othersWaiting()) this.release();
      else if (this.holding) this.armReleaseTimer(IDLE_RELEASE_MS - idle);
    }, ms);
    this.releaseTimer.unref();
  }

  /** Whether a store of another thread waits for the lock (`lockWaiters`). */
  private othersWaiting(): boolean {
    return this.options.lockWaiters !== undefined && Atomics.load(this.options.lockWaiters, 0) > 0;
  }

  /**
   * Lets other processes in: stops naming this process, then back to normal locking, which drops the lock
   * at the next access (a read of one row). Never fails for a busy store: a connection that gets SQLITE_BUSY
   * here held no lock.
   */
  release(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    if (!this.holding) return;
    this.holding = false;
    this.tenure++;
    if (this.claimed) {
      this.claimed = false;
      this.lock.unclaim();
    }
    this.db.exec('PRAGMA locking_mode = NORMAL');
    try {
      this.db.all('SELECT 1 FROM meta LIMIT 1');
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
  }

  /** Lets the lock go and leaves this thread's sessions (before the connection closes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const siblings = openSessions.get(this.path);
    siblings?.delete(this);
    if (siblings?.size === 0) openSessions.delete(this.path);
    this.release();
  }

  /** Asks the other sessions of this thread on the same file to let go of the lock; true if one held it. */
  private releaseSiblings(): boolean {
    let released = false;
    for (const other of openSessions.get(this.path) ?? []) {
      if (other === this || !other.holding || other.closed) continue;
      other.release();
      released = true;
    }
    return released;
  }

  /**
   * Runs `body`, trying again while another connection holds the database: pauses of 1 ms doubling up to
   * 20 ms (with jitter, so waiting processes do not retry in lockstep), up to `busyTimeoutMs`. A lock left by
   * a process that is gone is broken at once ({@link StoreLock.breakIfStale}); a store of this thread that holds
   * it is asked to let go. While it waits, it counts itself in `lockWaiters`.
   * @throws BatonError `STORE_BUSY` when the store stayed held for `busyTimeoutMs`.
   */
  withBusyRetry<T>(body: () => T): T {
    const deadline = Date.now() + this.options.busyTimeoutMs;
    const waiters = this.options.lockWaiters;
    let counted = false;
    try {
      return this.retryWhileBusy(body, deadline, () => {
        if (waiters && !counted) {
          counted = true;
          Atomics.add(waiters, 0, 1);
        }
      });
    } finally {
      if (counted) Atomics.sub(waiters!, 0, 1);
    }
  }

  /** {@link withBusyRetry}'s loop; `waiting` is called at each busy answer. */
  private retryWhileBusy<T>(body: () => T, deadline: number, waiting: () => void): T {
    let pause = 1;
    for (;;) {
      try {
        return body();
      } catch (error) {
        if (!isBusy(error)) throw error;
        waiting();
        // Busy means this connection holds no lock (one process at a time holds it): leave exclusive mode,
        // so that a later read does not take the lock and keep it with no release planned.
        if (this.holding) {
          this.holding = false;
          this.tenure++;
          this.db.exec('PRAGMA locking_mode = NORMAL');
        }
        if (this.releaseSiblings() || this.lock.breakIfStale()) continue;
        if (Date.now() >= deadline) {
          throw new BatonError('STORE_BUSY', `the run store ${this.path} stayed in use by other processes for ${formatWait(this.options.busyTimeoutMs)}; try again in a moment`);
        }
        sleepSync(pause / 2 + Math.random() * (pause / 2));
        pause = Math.min(pause * 2, MAX_BUSY_PAUSE_MS);
      }
    }
  }
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
