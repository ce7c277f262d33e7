// `lock "name" [timeout D] { … } [on timeout { … }]` as the statement interpreter runs it (issue 12, WCP-39 Critical
// Section): the block asks the store for the tenant's lock of that name, waits its turn (first come, first served)
// in the process for a while and then with the run `waiting`, runs its body holding it, and gives it up when the
// body ends — succeeded or failed. A run that stops (waits, is interrupted, is killed) inside the body keeps it: the
// lock is durable, and the store gives it up as a backstop when the run ends.
import type { LockNode, RunEvent } from '@baton/protocol';
import { renderText } from '../expr/evaluate.js';
import type { RunStoreApi } from '../store/store-api.js';
import { stepKey, type Frame } from './frame.js';
import { RunFailure, Stopped } from './stops.js';
import { Suspended, type WaitHost } from './waits.js';

/** What a lock block uses of the execution running it. */
export interface LockHost extends WaitHost {
  /** The run's store (guarded: a store failure stops the run as interrupted). */
  store: RunStoreApi;
  runId: string;
}

/** The first pause between two looks at a lock the block waits for (ms); it grows by half up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 1000;

/**
 * Runs a `lock` block. Replay: a block whose `lock.released` is in the log ran (or timed out) before — its body (or
 * `on timeout`) replays from the log without asking the store; one whose `lock.acquired` is there holds the lock
 * (taken, or handed over by the previous holder's release) and continues its body.
 * @throws RunFailure `LOCK_DEADLOCK` when a block inside a block of the same lock name (through sub-flows too) asks
 *   for it — it would wait for itself; `LOCK_TIMEOUT` when the `timeout` passed without the lock and there is no
 *   `on timeout` block. Suspended while it waits longer than the short-wait bound.
 */
export async function lockStatement(host: LockHost, s: LockNode, frame: Frame): Promise<void> {
  const key = stepKey(frame, `lock@${s.id}`);
  const released = host.log.locksReleased.get(key);
  if (released) return released.timedOut ? timedOut(host, s, frame, released.name) : host.block(s.body, inner(frame, released.name));
  const requested = host.log.locksRequested.get(key);
  const acquired = host.log.locksAcquired.get(key);
  const name = acquired?.name ?? requested?.name ?? renderText(s.name, host.evalScope(frame));
  if (frame.heldLocks?.has(name)) {
    throw new RunFailure('LOCK_DEADLOCK', `lock "${name}" is asked for inside a lock "${name}" block of the same run: it would wait for itself (locks are not re-entrant)`);
  }
  if (!acquired) {
    const got = await acquire(host, s, frame, key, name, requested);
    if (!got) {
      await host.store.releaseLock({ name, runId: host.runId, key });
      host.emit({ type: 'lock.released', key, node: s.id, name, timedOut: true });
      return timedOut(host, s, frame, name);
    }
  }
  try {
    await host.block(s.body, inner(frame, name));
  } catch (error) {
    // waiting or stopped inside the critical section: the run keeps the lock (it continues there when resumed)
    if (error instanceof Suspended || error instanceof Stopped) throw error;
    await release(host, s, key, name);
    throw error;
  }
  await release(host, s, key, name);
}

/** The frame of a lock block's body: it holds `name`. */
function inner(frame: Frame, name: string): Frame {
  return { ...frame, heldLocks: new Set([...(frame.heldLocks ?? []), name]) };
}

async function release(host: LockHost, s: LockNode, key: string, name: string): Promise<void> {
  await host.store.releaseLock({ name, runId: host.runId, key });
  host.emit({ type: 'lock.released', key, node: s.id, name });
}

/** The lock did not come within the block's `timeout`: its `on timeout` block runs, or the run fails. */
async function timedOut(host: LockHost, s: LockNode, frame: Frame, name: string): Promise<void> {
  if (!s.onTimeout) throw new RunFailure('LOCK_TIMEOUT', `lock "${name}" did not come within ${formatTimeout(s.timeoutMs ?? 0)} (another run or branch held it); add an \`on timeout { … }\` block to go on without it`);
  await host.block(s.onTimeout, frame);
}

/**
 * Asks the store for the lock and waits for it: in the process while the waits add up to at most the short-wait
 * bound, then by suspending the run (`WaitingOn` kind `lock`; the previous holder's release appends `lock.acquired`
 * to this run's log, which makes it runnable). @returns true when the block holds the lock, false when its deadline
 * passed first.
 */
async function acquire(host: LockHost, s: LockNode, frame: Frame, key: string, name: string, requested: Extract<RunEvent, { type: 'lock.requested' }> | undefined): Promise<boolean> {
  let waited = 0;
  let pause = FIRST_POLL_MS;
  let deadline = requested?.deadline;
  for (;;) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    const answer = await host.store.acquireLock({ name, runId: host.runId, key, node: s.id });
    if (answer.state === 'held') {
      // taken now by this call: recorded here; handed over by a release: the store appended it to the log already
      if (answer.now || !requested) host.emit({ type: 'lock.acquired', key, node: s.id, name });
      return true;
    }
    if (!requested) {
      deadline = s.timeoutMs !== undefined ? new Date(host.now().getTime() + s.timeoutMs).toISOString() : undefined;
      requested = host.emit({ type: 'lock.requested', key, node: s.id, name, holder: answer.holder?.runId, deadline }) as Extract<RunEvent, { type: 'lock.requested' }>;
    }
    const now = host.now().getTime();
    if (deadline !== undefined && now >= Date.parse(deadline)) return false;
    const left = deadline !== undefined ? Date.parse(deadline) - now : Infinity;
    if (waited + pause > host.shortWaitMs) throw new Suspended([{ kind: 'lock', key, node: s.id, name, deadline }]);
    await host.commit();
    const ms = Math.max(1, Math.min(pause, left));
    await host.sleep(ms, frame.signal);
    waited += ms;
    pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
  }
}

function formatTimeout(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms} ms`;
}
