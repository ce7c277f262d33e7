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
