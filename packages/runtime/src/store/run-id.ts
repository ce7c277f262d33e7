import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** A new run id: a ULID (https://github.com/ulid/spec) — 26 characters that sort by creation time. */
export function newRunId(): string {
  return ulid();
}
