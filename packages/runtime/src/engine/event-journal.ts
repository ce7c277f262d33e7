import type { NewRunEvent, RunEvent } from '@baton/protocol';
import type { RunStore } from '../store/run-store.js';

/**
 * A run's events on their way to the store and then to its listeners, in that order: an event is appended to
 * the store's write buffer at once ({@link record}) but given to `onEvent` (the CLI's printer, the `--json`
 * stream the editor reads, `baton serve`) only after the transaction holding it has committed
 * ({@link commit}) — nothing is reported that a crash could still lose. A commit is also arranged for when the
 * current burst of work yields to the event loop, so a step finishing inside `parallel`/`foreach` is stored at
 * once rather than at the slowest sibling's next commit.
 */
export class EventJournal {
  /** Events appended to the store's buffer but not yet committed, so not yet given to `onEvent`. */
  private readonly unreported: RunEvent[] = [];
  /** The pending prompt commit (see {@link scheduleCommit}). */
  private timer: NodeJS.Immediate | undefined;
  /** A prompt commit that threw; rethrown by {@link throwIfCommitFailed}. */
  private failure: unknown;

  constructor(
    private readonly store: RunStore,
    private readonly runId: string,
    private readonly onEvent: ((event: RunEvent) => void) | undefined,
  ) {}

  /** Appends `event` (stamped `time`) to the store's buffer and arranges its commit; returns it as stored. */
  record(event: NewRunEvent, time: Date): RunEvent {
    const full = this.store.append(this.runId, event, time);
    this.unreported.push(full);
    this.scheduleCommit();
    return full;
  }

  /**
   * Commits the store's buffered writes (one transaction), then reports the newly stored events, in order.
   * @throws what the store's flush throws (`STORE_BUSY`…); nothing is reported then.
   */
  commit(): void {
    this.store.flush();
    this.report();
  }

  /** Reports the events already committed (by a flush or a store transaction such as `updateRun`). */
  report(): void {
    if (this.unreported.length === 0) return;
    const events = this.unreported.splice(0);
    if (this.onEvent) for (const e of events) this.onEvent(e);
  }

  /** Drops the pending prompt commit (the run has ended and committed by itself). */
  cancelScheduled(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
  }

  /** Rethrows the error of a prompt commit that failed, if one did. */
  throwIfCommitFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Arranges a commit once the current burst of work yields to the event loop (setImmediate). Events appended
   * in the same turn share the transaction; in a sequence of steps the next step's start commits first and
   * this finds nothing to do.
   */
  private scheduleCommit(): void {
    if (this.timer) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      try {
        this.commit();
      } catch (error) {
        this.failure ??= error;
      }
    });
  }
}
