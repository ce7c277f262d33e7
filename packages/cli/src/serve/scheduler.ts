import { Cron } from 'croner';

/** A flow started on a cron schedule (`trigger schedule "…"`). */
export interface ScheduleEntry {
  /** A name for logs: `file · Flow`. */
  label: string;
  /** Five-field cron expression (croner syntax). */
  cron: string;
  /** IANA time zone the expression is read in (default: the machine's). */
  timezone?: string;
  /**
   * Names the schedule the same way in every `baton serve` of one store — the flow's file relative to the served
   * folder (`/`-separated), the flow and the cron expression (and time zone): `billing/nightly.flow#Nightly@0 2 * * *`.
   * With the fire time it is the run's start key, so the servers of a cluster start one run per fire time.
   */
  id: string;
  /**
   * The tenant its runs belong to: the one whose `tenants.<id>.flows` (baton.config.json) names the flow's file or a
   * folder holding it; `default` when none does (and when absent). With `--queue` they go to that tenant's queue.
   */
  tenant?: string;
}

/**
 * The start key of `entry`'s run for the fire time `at` (see `RunStoreApi.createRun`): scope `schedule:<id>`, key
 * the scheduled time (ISO 8601) — not the moment a server's timer woke up, which differs from server to server.
 */
export function scheduleStartKey(entry: ScheduleEntry, at: Date): { scope: string; key: string } {
  return { scope: `schedule:${entry.id}`, key: at.toISOString() };
}

/**
 * Fires schedules: each entry's next fire time comes from croner (time-zone aware); {@link due} starts every
 * entry whose time has come, at most once per fire time, and never while the entry's previous run is still
 * running here (a skipped fire is reported, not queued). Several servers on one store each fire; the start key
 * ({@link scheduleStartKey}) makes one run of it. {@link start} drives it with a real timer; tests call
 * {@link due} with a fake clock instead.
 */
export class Scheduler {
  private readonly next = new Map<ScheduleEntry, Date | undefined>();
  private readonly running = new Map<ScheduleEntry, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param fire starts a run of the entry's flow; its promise settles when the run stops (undefined: the run
   *   could not start — the caller said why).
   * @param log one line per fire or skip.
   */
  constructor(
    readonly entries: ScheduleEntry[],
    private readonly fire: (entry: ScheduleEntry, at: Date) => Promise<unknown> | undefined,
    private readonly log: (line: string) => void,
    from: Date,
  ) {
    for (const entry of entries) this.next.set(entry, nextRun(entry, from));
  }

  /** When `entry` fires next (undefined: never again). */
  nextFire(entry: ScheduleEntry): Date | undefined {
    return this.next.get(entry);
  }

  /**
   * Starts every entry due at `now` (ms precision) and moves it to its next fire time.
   * @returns the entries started (skipped ones, still running from their previous fire, and ones that could
   *   not start, are not).
   */
  due(now: Date): ScheduleEntry[] {
    const started: ScheduleEntry[] = [];
    for (const entry of this.entries) {
      const at = this.next.get(entry);
      if (!at || at.getTime() > now.getTime()) continue;
      this.next.set(entry, nextRun(entry, now));
      if (this.running.has(entry)) {
        this.log(`schedule ${entry.label}: skipped the ${at.toISOString()} run — the previous one is still running`);
        continue;
      }
      const fired = this.fire(entry, at);
      if (!fired) continue;
      const run = fired.finally(() => this.running.delete(entry));
      this.running.set(entry, run);
      started.push(entry);
    }
    return started;
  }

  /** Fires on time with a real timer (at most a minute between checks) until {@link stop}. */
  start(clock: () => Date = () => new Date()): void {
    const tick = (): void => {
      this.due(clock());
      const soonest = Math.min(...[...this.next.values()].filter((d): d is Date => d !== undefined).map((d) => d.getTime()));
      const wait = Number.isFinite(soonest) ? Math.max(50, Math.min(60_000, soonest - clock().getTime())) : 60_000;
      this.timer = setTimeout(tick, wait);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function nextRun(entry: ScheduleEntry, from: Date): Date | undefined {
  return new Cron(entry.cron, { paused: true, ...(entry.timezone ? { timezone: entry.timezone } : {}) }).nextRun(from) ?? undefined;
}
