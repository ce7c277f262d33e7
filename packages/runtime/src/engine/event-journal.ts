import type { NewRunEvent, RunEvent } from '@baton/protocol';
import type { RunStoreApi } from '../store/store-api.js';

/**
 * A run's events on their way to the store and then to its listeners, in that order: an event is appended to
 * the store's write buffer at once ({@link record}) but given to `onEvent` (the CLI's printer, the `--json`
 * stream the editor reads, `baton serve`) only after the transaction holding it has committed
 * ({@link commit}) — nothing is reported that a crash could still lose. A commit is also arranged for when the
 * current burst of work yields to the event loop, so a step finishing inside `parallel`/`foreach` is stored at
 * once rather than at the slowest sibling's next commit.
 *
 * The store is asynchronous ({@link RunStoreApi}): while a commit is under way, other branches of the run may
 * append more events. A commit therefore reports only the events recorded before it began (they are in its
 * transaction); later ones wait for a later commit.
 */
export class EventJournal {
  /** Events appended to the store's buffer but not yet reported to `onEvent`, oldest first. */
  private readonly unreported: RunEvent[] = [];
  /** How many events were recorded in all ({@link record} calls), and how many of them were reported. */
  private recorded = 0;
  private reported = 0;
  /** The pending prompt commit (see {@link scheduleCommit}). */
  private timer: NodeJS.Immediate | undefined;
  /** A prompt commit that failed; rethrown by {@link throwIfCommitFailed}. */
  private failure: unknown;

  constructor(
    private readonly store: RunStoreApi,
    private readonly runId: string,
    private readonly onEvent: ((event: RunEvent) => void) | undefined,
  ) {}

  /** Appends `event` (stamped `time`) to the store's buffer and arranges its commit; returns it as stored. */
  record(event: NewRunEvent, time: Date): RunEvent {
    const full = this.store.append(this.runId, event, time);
    this.unreported.push(full);
    this.recorded++;
    this.scheduleCommit();
    return full;
  }

  /**
   * Commits the store's buffered writes (one transaction), then reports the events recorded before it began, in
   * order. Another run's events refused in that transaction do not fail it (see `RunStoreApi.flush`).
   * @throws what the store's flush throws for this run (`STORE_BUSY`, `LEASE_LOST`…); nothing is reported then.
   */
  commit(): Promise<void> {
    return this.committing(this.store.flush(this.runId));
  }

  /**
   * Reports, once `write` (a store transaction that flushes the buffered events first, such as `updateRun`,
   * begun just now) has committed, the events recorded before it began.
   * @throws what `write` rejects with; nothing is reported then.
   */
  async committing(write: Promise<void>): Promise<void> {
    const upTo = this.recorded;
    await write;
    this.report(upTo);
  }

  /** Drops the pending prompt commit (the run has ended and commits by itself). */
  cancelScheduled(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
  }

  /** Rethrows the error of a prompt commit that failed, if one did. */
  throwIfCommitFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Reports the events recorded up to the `upTo`th (committed), in order. */
  private report(upTo: number): void {
    if (upTo <= this.reported) return;
    const events = this.unreported.splice(0, upTo - this.reported);
    this.reported = upTo;
    if (this.onEvent) for (const e of events) this.onEvent(e);
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
      this.commit().catch((error: unknown) => {
        this.failure ??= error;
      });
    });
  }
}
