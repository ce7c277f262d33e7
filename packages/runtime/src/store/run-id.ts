import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Random bytes drawn 4 KiB at a time: `ulid` asks for one per character, and each draw costs a system call. */
const pool = new Uint8Array(4096);
let next = pool.length;

/**
 * The PRNG `ulid` calls (a fraction in [0, 1)): one byte of the OS's cryptographic random source / 256, as
 * `ulid`'s own Node PRNG computes it, from {@link pool}. 256 values onto ULID's 32 characters: uniform.
 */
function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++] / 256;
}

const ulid = monotonicFactory(pooledRandom);

/** A new run id: a ULID (https://github.com/ulid/spec) — 26 characters that sort by creation time. */
export function newRunId(): string {
  return ulid();
}

/** Crockford's base 32, as ULIDs write it. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The smallest run id of a run started at `time` (ms since the epoch, or ISO 8601): the ULID whose 10 time
 * characters encode `time` (ms, 48 bits) and whose 16 random characters are all `0`. Every run started at or after
 * `time` has an id ≥ it, every run started before has a smaller one — so a time range is an id range
 * (`RunFilter.fromId`/`toId`). Times before 1970 give the bound of 0; after 10889 AD (2⁴⁸ ms), the largest.
 * @throws RangeError for a text that is not a time.
 */
export function runIdBound(time: number | string | Date): string {
  const ms = typeof time === 'number' ? time : time instanceof Date ? time.getTime() : Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(time)}`);
  let rest = Math.min(Math.max(Math.floor(ms), 0), 2 ** 48 - 1);
  let chars = '';
  for (let i = 0; i < 10; i++) {
    chars = CROCKFORD[rest % 32] + chars;
    rest = Math.floor(rest / 32);
  }
  return chars + '0'.repeat(16);
}
