/**
 * The run store's lock files. node-sqlite3-wasm's VFS ("nodejs") has one lock per database file, taken by
 * creating the directory `<db>.lock` (mkdir is atomic) for every lock level SQLite asks for (shared, reserved,
 * exclusive alike) and removed (rmdir) when SQLite drops to no lock; a held lock makes every other process's
 * access fail with SQLITE_BUSY ("database is locked") — it has no busy handler, so waiting is the store's job.
 *
 * A process killed while holding the lock leaves the directory behind. So that others can tell such a lock
 * from a live one, the holder of a write burst names itself in `<db>.owner` — written only once it holds the
 * lock, removed before it lets go — and a process that finds the store locked breaks the lock when its
 * owner is a process of this host that no longer exists, or when it has no owner and is older than 10 s (a
 * reader holds the lock for milliseconds without naming itself). Breaking is serialized by the file
 * `<db>.breaking` (created exclusively), so two processes can never both judge one dead lock and then remove
 * the live lock a third process took in between. A process killed in the middle of a commit also leaves a
 * hot journal, which node-sqlite3-wasm never rolls back (`store-journal.ts`): the breaker rolls it back
 * before it removes the dead lock, and opening a store that nobody holds does too.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { rollBackHotJournal } from './store-journal.js';

/** A lock directory older than this, with no owner file, was left by a crashed process (ms). */
export const STALE_LOCK_MS = 10_000;

/** The lock files of one store file (see the module comment). */
export class StoreLock {
  /** The VFS's lock directory. */
  readonly lockDir: string;
  /** Names the process holding the lock for a write burst: `{ pid, host }`. */
  readonly ownerFile: string;
  /** Exists while one process judges and breaks a stale lock: `{ pid, host }`. */
  readonly breakFile: string;

  constructor(private readonly dbPath: string) {
    this.lockDir = `${dbPath}.lock`;
    this.ownerFile = `${dbPath}.owner`;
    this.breakFile = `${dbPath}.breaking`;
  }

  /** Names this process as the lock's holder; call only while holding it. Best effort (it only helps others). */
  claim(): void {
    try {
      // the lock directory's age then says when this hold began, not when some earlier holder took it
      const now = new Date();
      utimesSync(this.lockDir, now, now);
    } catch {
      // not essential
    }
    writeJson(this.ownerFile, 'w');
  }

  /**
   * Stops naming this process; call just before letting the lock go. The directory's time is renewed, so
   * that in the instant between this and the release no one takes it for a lock without owner left long ago.
   */
  unclaim(): void {
    try {
      const now = new Date();
      utimesSync(this.lockDir, now, now);
    } catch {
      // already gone
    }
    try {
      unlinkSync(this.ownerFile);
    } catch {
      // already gone
    }
  }

  /**
   * Removes the lock directory if it was left by a process that is gone (its owner, on this host, no longer
   * exists; or it has no owner and is older than {@link STALE_LOCK_MS}).
   * @returns whether a stale lock was removed (the caller retries at once).
   */
  breakIfStale(): boolean {
    return this.breakIf(() => this.isStale(), () => this.clearStaleBreaker());
  }

  /**
   * Breaks the lock when `dead()` judges its holder gone, under the guard file `<db>.breaking` (so that two
   * processes never both judge one dead lock and then remove the live lock a third took in between): the owner
   * file first (a process that takes the lock once the directory is gone then names itself undisturbed), the
   * dead holder's half-done commit rolled back while its lock still keeps everyone out, then the directory.
   * `guardTaken` runs when another process holds the guard.
   */
  private breakIf(dead: () => boolean, guardTaken?: () => void): boolean {
    if (!existsSync(this.lockDir)) return false;
    if (!writeJson(this.breakFile, 'wx')) {
      guardTaken?.();
      return false;
    }
    try {
      if (!dead()) return false;
      rmSync(this.ownerFile, { force: true });
      rollBackHotJournal(this.dbPath);
      rmSync(this.lockDir, { recursive: true, force: true });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(this.breakFile, { force: true });
    }
  }

  /**
   * Removes the lock when its owner file names this process: for a process one of whose threads used the store
   * and died (a worker thread ended while it held the lock, maybe in the middle of a commit) — its lock is then
   * no one's, and no other process can tell, as this process lives. Rolls back the hot journal it may have left.
   * A lock without owner file (the thread was stopped in the middle of a read) is removed once it is
   * `ownerlessAfterMs` old: readers of other processes hold it for milliseconds.
   * Call it only while no other connection of this process is inside a transaction.
   * @returns whether a lock was removed.
   */
  breakOwnLock(ownerlessAfterMs: number): boolean {
    return this.breakIf(() => {
      const owner = readOwner(this.ownerFile);
      if (owner === 'unreadable') return false;
      // no owner: a read's lock, which lives milliseconds — the dead thread's when it outlived `ownerlessAfterMs`
      if (!owner) return olderThan(this.lockDir, ownerlessAfterMs);
      return owner.pid === process.pid && owner.host === hostname();
    });
  }

  /**
   * Rolls back a hot journal left by a process killed in a commit, if nobody holds the store: takes the lock
   * as the VFS does (mkdir), rolls back, lets go. A store someone holds is left alone (a dead holder's lock
   * is broken, and its journal rolled back, by {@link breakIfStale} when the store is used).
   * @returns the number of pages written back.
   */
  recover(): number {
    try {
      mkdirSync(this.lockDir);
    } catch {
      return 0;
    }
    try {
      return rollBackHotJournal(this.dbPath);
    } finally {
      rmdirSync(this.lockDir);
    }
  }

  private isStale(): boolean {
    let lockTime: number;
    try {
      lockTime = statSync(this.lockDir).mtimeMs;
    } catch {
      return false; // released meanwhile
    }
    const owner = readOwner(this.ownerFile);
    if (owner === 'unreadable') return olderThan(this.ownerFile, STALE_LOCK_MS); // killed while writing it
    if (owner) return owner.host === hostname() && owner.pid !== process.pid && !processAlive(owner.pid);
    return Date.now() - lockTime > STALE_LOCK_MS;
  }

  /** A breaker killed in its few microseconds of work leaves `<db>.breaking`: remove it when its process is gone. */
  private clearStaleBreaker(): void {
    const breaker = readOwner(this.breakFile);
    const stale =
      breaker && breaker !== 'unreadable'
        ? breaker.host === hostname() && breaker.pid !== process.pid && !processAlive(breaker.pid)
        : olderThan(this.breakFile, STALE_LOCK_MS);
    if (stale) rmSync(this.breakFile, { force: true });
  }
}

/** Writes `{ pid, host }` to `file` (`wx`: only if it does not exist). @returns whether it was written. */
function writeJson(file: string, flag: 'w' | 'wx'): boolean {
  let fd: number;
  try {
    fd = openSync(file, flag);
  } catch {
    return false;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
  } catch {
    // an empty file still claims; its age decides when it is stale
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The process named in `file`; undefined when there is no such file; 'unreadable' while it is being written. */
function readOwner(file: string): { pid: number; host: string } | undefined | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(text) as { pid: number; host: string };
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
