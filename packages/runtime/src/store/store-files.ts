/**
 * The run store's file checks and waits: the header check that refuses a file that is not SQLite, what a
 * busy error looks like, and a synchronous sleep (the lock files are `store-lock.ts`'s).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { BatonError } from '../errors.js';

const SQLITE_HEADER = 'SQLite format 3\0';

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

/** Whether an SQLite error means another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /database is locked|SQLITE_BUSY|database table is locked/i.test(message);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (the store's API is synchronous, so waiting for a lock is too). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
