/**
 * The run store's files beside the database: the header check that refuses a file that is not SQLite,
 * and the lock node-sqlite3-wasm takes by creating the directory `<db>.lock`, with the `<db>.owner`
 * file that names the process holding it so a lock left by a crashed process can be recognised.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { BatonError } from '../errors.js';

const SQLITE_HEADER = 'SQLite format 3\0';
/** A lock directory older than this, with no owner file, was left by a crashed process (ms). */
const STALE_LOCK_MS = 10_000;

/**
 * Refuses an existing, non-empty file that is not an SQLite database, without touching it.
 * @throws BatonError `STORE_NOT_A_DATABASE` (a folder, or a file without the SQLite header),
 *   `STORE_UNREADABLE`.
 */
export function checkIsDatabase(file: string): void {
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new BatonError('STORE_NOT_A_DATABASE', `${file} is a folder, not a run store`);
    size = stat.size;
  } catch (error) {
    if (error instanceof BatonError) throw error;
    return; // does not exist yet
  }
  if (size === 0) return;
  const header = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, header, 0, 16, 0);
  } catch (error) {
    throw new BatonError('STORE_UNREADABLE', `cannot read the run store ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) {
    throw new BatonError('STORE_NOT_A_DATABASE', `${file} is not a Baton run store (not an SQLite database); it was left untouched`);
  }
}

/** Names this process as the holder of the lock (best effort: the file only helps others detect a stale lock). */
export function writeOwner(ownerFile: string): void {
  try {
    writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname() }));
  } catch {
    // not essential
  }
}

export function removeOwner(ownerFile: string): void {
  try {
    unlinkSync(ownerFile);
  } catch {
    // already gone
  }
}

/**
 * Removes the lock directory if its owner process (on this host) is gone, or if it has no owner file and
 * is older than 10 s.
 * @returns whether a stale lock was removed (the caller retries at once).
 */
export function removeStaleLock(lockDir: string, ownerFile: string): boolean {
  let stat;
  try {
    stat = statSync(lockDir);
  } catch {
    return false;
  }
  let stale = false;
  if (existsSync(ownerFile)) {
    try {
      const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as { pid: number; host: string };
      stale = owner.host === hostname() && owner.pid !== process.pid && !processAlive(owner.pid);
    } catch {
      stale = false;
    }
  } else {
    stale = Date.now() - stat.mtimeMs > STALE_LOCK_MS;
  }
  if (!stale) return false;
  try {
    rmSync(lockDir, { recursive: true, force: true });
    rmSync(ownerFile, { force: true });
  } catch {
    return false;
  }
  return true;
}

/** Whether an SQLite error means another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /database is locked|SQLITE_BUSY|database table is locked/i.test(message);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (the store's API is synchronous, so waiting for a lock is too). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
