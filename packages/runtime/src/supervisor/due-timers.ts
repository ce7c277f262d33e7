import type { RunEvent, WaitingOn } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { RunRecord, RunStoreApi } from '../store/store-api.js';
import type { RunSupervision } from './run-supervisor.js';
import { pollSlas, type SlaPollResult } from './sla.js';

/**
 * When something `run` waits for falls due (ms since the epoch): the earliest of its `wait` timers' `until` and
 * its approvals' and awaited events' `deadline`s; undefined when it waits for nothing with a time (an approval
 * or event without a deadline). A worker can delay a run's wake-up job until then.
 */
export function dueAt(run: Pick<RunRecord, 'waitingOn'>): number | undefined {
  let soonest: number | undefined;
  for (const w of run.waitingOn) {
    const at = timeOf(w);
    if (at !== undefined && !Number.isNaN(at) && (soonest === undefined || at < soonest)) soonest = at;
  }
  return soonest;
}

function timeOf(w: WaitingOn): number | undefined {
  if (w.kind === 'timer') return Date.parse(w.until);
  return w.deadline === undefined ? undefined : Date.parse(w.deadline);
}

/**
 * Whether a waiting run must be continued at `nowMs` (ms since the epoch): a timer's `until` or a deadline is at
 * or before it (see {@link dueAt}). Pure: looks at `waitingOn` only, not at the run's status.
 */
export function isDue(run: Pick<RunRecord, 'waitingOn'>, nowMs: number): boolean {
  const at = dueAt(run);
  return at !== undefined && at <= nowMs;
}

/**
 * Whether a lock `run` waits for was handed to it: its log has the `lock.acquired` the holder's release appended
 * (see `LockStoreApi.releaseLock`). Pure.
 */
export function lockGranted(run: Pick<RunRecord, 'waitingOn'>, events: readonly RunEvent[]): boolean {
  const waits = new Set(run.waitingOn.filter((w) => w.kind === 'lock').map((w) => w.key));
  return waits.size > 0 && events.some((e) => e.type === 'lock.acquired' && waits.has(e.key));
}

/** The most waiting runs {@link dueRuns} reads per call. */
export const DUE_RUNS_SCAN_LIMIT = 10_000;

/**
 * The `waiting` runs of `store` that are due at `nowMs` ({@link isDue}) or were handed a lock they wait for
 * ({@link lockGranted}), newest first, among the newest
 * {@link DUE_RUNS_SCAN_LIMIT} waiting runs (of `tenant` when given). Shared by `baton serve`'s
 * {@link DueTimerPoller} and a cluster's reconciler.
 */
export async function dueRuns(store: RunStoreApi, nowMs: number, filter: { tenant?: string } = {}): Promise<RunRecord[]> {
  const waiting = await store.listRuns({ status: 'waiting', limit: DUE_RUNS_SCAN_LIMIT, ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}) });
  const due: RunRecord[] = [];
  for (const run of waiting) {
    // a lock handed over is in the run's log (read only for runs waiting on a lock)
    if (isDue(run, nowMs) || (run.waitingOn.some((w) => w.kind === 'lock') && lockGranted(run, await store.getEvents(run.id)))) due.push(run);
  }
  return due;
}

/** Options of {@link DueTimerPoller}. */
export interface DueTimerPollerOptions {
  store: RunStoreApi;
  /**
   * Who continues a due run (`resume`) and knows the runs already queued or executing here (`has`); one with
   * `pollDue` is given each poll instead (its runs execute on another thread, which reads its own store).
   */
  supervisor: Pick<RunSupervision, 'has' | 'resume' | 'pollDue'>;
  /** The clock (default: the real one). */
  now?: () => Date;
  /** How often to poll (ms; 0: never — {@link DueTimerPoller.start} does nothing, {@link DueTimerPoller.poll} still works). */
  intervalMs: number;
  /** One line per poll that failed (the next poll tries again). */
  log: (line: string) => void;
  /** Told each SLA breach a poll recorded (see {@link pollSlas}): `baton serve` counts and notifies them. */
  onSlaBreach?: (breach: SlaPollResult['recorded'][number]) => void;
}

/**
 * Continues the waiting runs whose timer or deadline is due, and records the SLA breaches due ({@link pollSlas}), every
 * `intervalMs` (`baton serve` without a queue).
 * One poll at a time (a tick while one is under way is dropped); a run queued or executing here already is
 * skipped, one that finished meanwhile (cancelled through the API, say: `RUN_FINISHED`) too; any other failure
 * is logged and the poll stops — the next one tries again.
 */
export class DueTimerPoller {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly now: () => Date;

  constructor(private readonly options: DueTimerPollerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * One poll at `nowMs` (default: the clock's now): the SLA breaches due are recorded first (a breach is about the
   * wait the run is leaving), then the due runs continued.
   * @returns the runs continued (empty when another poll was under way; up to the failure when one failed).
   */
  async poll(nowMs: number = this.now().getTime()): Promise<string[]> {
    if (this.polling) return [];
    this.polling = true;
    const resumed: string[] = [];
    try {
      const elsewhere = this.options.supervisor.pollDue;
      if (elsewhere) {
        // the runs execute on another thread, which polls its own store (see RunSupervision.pollDue)
        const polled = await elsewhere.call(this.options.supervisor, nowMs);
        for (const breach of polled.breaches) this.options.onSlaBreach?.(breach);
        return polled.resumed;
      }
      try {
        await pollSlas(this.options.store, new Date(nowMs), this.options.onSlaBreach);
      } catch (error) {
        // the timers are polled all the same
        this.options.log(`SLAs: ${error instanceof Error ? error.message : String(error)}`);
      }
      for (const run of await dueRuns(this.options.store, nowMs)) {
        if (this.options.supervisor.has(run.id)) continue;
        try {
          await this.options.supervisor.resume(run.id);
          resumed.push(run.id);
        } catch (error) {
          if (!(error instanceof BatonError && error.code === 'RUN_FINISHED')) throw error;
        }
      }
    } catch (error) {
      this.options.log(`due timers: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.polling = false;
    }
    return resumed;
  }

  /** Polls every `intervalMs` on an unref'd timer until {@link stop} (nothing when `intervalMs` is 0). */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops polling (a poll under way finishes). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
