/**
 * Executing a run under its lease (issue 11): only the holder of a run's lease executes it. Every executor that
 * continues stored runs — `baton serve`'s run queue, a cluster worker — goes through {@link executeLeased}: it
 * claims the lease (database clock), keeps it renewed while the run executes, and lets it go at the end. An
 * executor whose lease is taken over meanwhile (paused, partitioned) is stopped: the store refuses its writes
 * (`LEASE_LOST`) and it writes nothing more.
 *
 * A run found `running` when its lease is claimed lost its executor (a killed worker or process): it is taken
 * over — continued from its log, its `run.resumed` event marked `takeover` — and, the
 * {@link MAX_RUN_LOSSES}th time, failed with `WORKER_LOST` instead (a dead letter `baton runs redrive` continues).
 */
import type { RunError, RunEvent, RunStatus } from '@baton/protocol';
import { abandonRun, enqueueResume, runQueued, type RunOptions, type RunSummary } from '../engine/engine.js';
import { BatonError } from '../errors.js';
import type { Lease, RunRecord } from '../store/store-api.js';
import { isDue, lockGranted } from './due-timers.js';
import { claimRunLease, DEFAULT_LEASE_TTL_MS, LeaseKeeper } from '../store/lease-keeper.js';

/** How many times a run may lose its executor; at that loss it fails with `WORKER_LOST` (a dead letter). */
export const MAX_RUN_LOSSES = 3;

/** What {@link executeLeased} did. */
export type LeasedOutcome =
  /** The run executed (possibly several times, when signals arrived while it did) and stopped with `summary`. */
  | { kind: 'executed'; summary: RunSummary }
  /** Another executor holds an unexpired lease: nothing was done. `lease` is theirs (when it could be read). */
  | { kind: 'busy'; lease?: Lease }
  /** There was nothing to execute: the run has finished, or waits for something that has not come (`status`). */
  | { kind: 'idle'; status: RunStatus }
  /** The lease was taken over while the run executed: this executor stopped and wrote nothing more. */
  | { kind: 'lost'; error: BatonError }
  /** The run had lost its executor {@link MAX_RUN_LOSSES} times: it was failed with `WORKER_LOST`. */
  | { kind: 'dead-letter'; error: RunError };

/** Options of {@link executeLeased}: the engine's, plus who executes. */
export interface LeasedRunOptions extends Omit<RunOptions, 'takeover'> {
  /** This executor's id (see {@link executorId}). */
  owner: string;
  /** The lease's length (ms, default {@link DEFAULT_LEASE_TTL_MS}); it is renewed every third of it. */
  ttlMs?: number;
  /** Lines worth a log (a renewal that failed for a reason other than a takeover). */
  log?: (line: string) => void;
}

/**
 * Whether a stored run has something to continue now (`nowMs`, ms since the epoch): it is `queued`, `interrupted`
 * or `running` (left by a lost executor), or it is `waiting` and something it waits for has come — a decision on
 * its approval, the event it waits for, a timer or a deadline that is due. `events` is the run's log (needed
 * for a waiting run only).
 */
export function isRunnable(run: RunRecord, events: readonly RunEvent[], nowMs: number): boolean {
  if (run.status === 'queued' || run.status === 'interrupted' || run.status === 'running') return true;
  if (run.status !== 'waiting') return false;
  const decided = new Set<string>();
  const received = new Set<string>();
  for (const e of events) {
    if (e.type === 'approval.decided') decided.add(e.task);
    else if (e.type === 'event.received' && e.key !== undefined) received.add(e.key);
  }
  if (isDue(run, nowMs) || lockGranted(run, events)) return true;
  return run.waitingOn.some((w) => (w.kind === 'approval' ? decided.has(w.task) : w.kind === 'event' && received.has(w.key)));
}

/** How many times the run was taken over (its `run.resumed` events marked `takeover`). */
export function lossesOf(events: readonly RunEvent[]): number {
  return events.filter((e) => e.type === 'run.resumed' && e.takeover === true).length;
}

/** The most times one call continues a run that signals reached while it executed (a bound, not a goal). */
const MAX_ROUNDS = 8;

/**
 * Executes run `runId` as its lease holder: claims the lease for `owner`, continues the run if it has something
 * to do ({@link isRunnable}), and releases the lease. A run found `running` is taken over (or failed with
 * `WORKER_LOST` the {@link MAX_RUN_LOSSES}th time). A run that stops `waiting` while a decision or an event
 * that it waits for was stored meanwhile is continued again at once, so a signal is never left unread.
 * A lease held by a process of this machine that is gone (`isGoneLocalExecutor`) is taken at once.
 * @throws BatonError `RUN_NOT_FOUND`; the store's errors (`STORE_*`) other than during the execution.
 */
export async function executeLeased(runId: string, options: LeasedRunOptions): Promise<LeasedOutcome> {
  const { store, owner } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const claimed = await claimRunLease(store, runId, owner, ttlMs);
  if (!claimed.lease) return { kind: 'busy', lease: claimed.held };
  const keeper = new LeaseKeeper(store, claimed.lease, ttlMs, options.signal, options.log);
  try {
    return await executeHeld(runId, options, keeper);
  } catch (error) {
    if (error instanceof BatonError && (error.code === 'LEASE_LOST' || error.code === 'EVENTS_CONFLICT')) return { kind: 'lost', error };
    throw error;
  } finally {
    await keeper.release();
  }
}

async function executeHeld(runId: string, options: LeasedRunOptions, keeper: LeaseKeeper): Promise<LeasedOutcome> {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  let summary: RunSummary | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const run = await store.getRun(runId);
    const events = run.status === 'waiting' || run.status === 'running' ? await store.getEvents(runId) : [];
    if (!isRunnable(run, events, now().getTime())) return summary ? { kind: 'executed', summary } : { kind: 'idle', status: run.status };
    const takeover = run.status === 'running';
    if (takeover) {
      const losses = lossesOf(events) + 1;
      if (losses >= MAX_RUN_LOSSES) {
        const error: RunError = { code: 'WORKER_LOST', message: `run ${run.id} lost its executor ${losses} times (killed or cut off while it ran); it is not continued again: find the cause, then baton runs redrive ${run.id}` };
        await abandonRun(store, run.id, error);
        return { kind: 'dead-letter', error };
      }
    }
    // a takeover's run.resumed is stored with the run becoming queued: the loss counts even if this executor is lost next
    if (run.status !== 'queued') await enqueueResume(run.id, { store, now, takeover, runAgents: options.runAgents });
    const { owner: _owner, ttlMs: _ttl, log: _log, ...runOptions } = options;
    // a queued run is executed as just read (under the lease: only a signal can have changed it since, read with the log)
    summary = await runQueued(run.id, { ...runOptions, signal: keeper.signal }, run.status === 'queued' ? run : undefined);
    if (keeper.lost) throw keeper.lost;
    if (!summary) return { kind: 'idle', status: (await store.getRun(runId)).status };
    if (summary.status !== 'waiting') return { kind: 'executed', summary };
  }
  return { kind: 'executed', summary: summary! };
}
