/**
 * {@link RunStoreApi.watchRuns} for the embedded SQLite store: polling, cheaply. SQLite has no notifications
 * between processes, and node-sqlite3-wasm takes the store's lock for every read — so a look that finds nothing
 * must not read the database. Each look (every `pollMs`, 250 ms by default) stats the file; only when its
 * modification time or size moved (every commit writes the file: rollback journal mode) does it read, under the
 * lock, the runs that can still change — unfinished ones — and those stored since the last look, and compares
 * each one's status, finish time, cancel flag, wait and last event seq with the previous look's, and reports the
 * changed runs with their records as read (so the watcher need not read them again, waiting). That read never
 * waits for the lock: when a writer holds the store, the look is skipped and the next one tries again — so a watch
 * costs a writer nothing (a read that waited for the lock slowed a 5,000-step chain 3× in bench/cases/run-watch.ts),
 * and a report waits at most until the writer lets go (after 100 ms idle, at the latest every 0.5 s of a burst).
 *
 * File times have the kernel's coarse clock (a few ms): a commit in the same tick as a look may leave the time as
 * that look saw it. So while the seen time is less than {@link RECENT_MS} old, the next look reads anyway.
 * An in-memory store (`:memory:`, one handle) has no file: each look reads.
 */
import { statSync } from 'node:fs';
import type { RunChanges, RunRecord, RunWatchOptions } from './store-api.js';
import { toRecord, type RunRow } from './sqlite-schema.js';

/** How long after a file's modification time a look still reads, ms (well above the kernel's clock tick). */
const RECENT_MS = 50;

/** One row of what the watch compares (see {@link RunActivity}). */
export interface RunActivity {
  /** The run's rowid (they grow: a run stored after the last look has a larger one). */
  rowid: number;
  id: string;
  /** Status, finish time, cancel flag, wait and last event seq, joined: any change of a run changes it. */
  state: string;
  /** The run as read. */
  run: RunRecord;
}

/** What the watch needs of the store: its file and a read of the runs that can change (under the store's lock). */
export interface WatchedStore {
  readonly path: string;
  /** Reads rows: waiting for the store's lock (`wait`), or in one try — undefined when another connection holds it. */
  readNow(sql: string, values: (string | number)[], wait: boolean): unknown[] | undefined;
}

/**
 * What a watch compares between two looks: every unfinished run and every run stored after rowid `afterRowid`, each
 * with its status, finish time, cancel flag, wait and last event seq joined in `state`.
 * @param wait false: one try — undefined when another connection holds the store (a watch then looks again later
 *   rather than make a writer wait for it); true: waits like any read.
 */
function runActivity(store: WatchedStore, afterRowid: number, wait: boolean): RunActivity[] | undefined {
  const rows = store.readNow(
    `SELECT rowid AS rowid, *, status || '|' || IFNULL(finished_at, '') || '|' || cancel_requested || '|' || waiting_on || '|' || IFNULL((SELECT MAX(seq) FROM events e WHERE e.run_id = runs.id), 0) AS state
     FROM runs WHERE status IN ('queued', 'running', 'waiting', 'interrupted') OR rowid > ?`,
    [afterRowid],
    wait,
  ) as (RunRow & { rowid: number; state: string })[] | undefined;
  return rows?.map((row) => ({ rowid: row.rowid, id: row.id, state: row.state, run: toRecord(row) }));
}

/** The runs with these ids, in one try: undefined when another connection holds the store. */
function runsNow(store: WatchedStore, ids: string[]): RunRecord[] | undefined {
  if (ids.length === 0) return [];
  const rows = store.readNow(`SELECT * FROM runs WHERE id IN (${ids.map(() => '?').join(', ')})`, ids, false) as RunRow[] | undefined;
  return rows?.map(toRecord);
}

/**
 * Starts watching `store` (see the module comment); the first read is done before it resolves, so a change
 * committed after that is reported.
 * @returns stops the watch (no report after it resolves).
 */
export async function watchSqliteRuns(
  store: WatchedStore,
  listener: (changes: RunChanges, runs?: readonly RunRecord[]) => void,
  options: RunWatchOptions = {},
): Promise<() => Promise<void>> {
  const pollMs = options.pollMs ?? 250;
  const memory = store.path === ':memory:';
  let seen = new Map<string, string>();
  let maxRowid = 0;
  let file = '';
  let fileTime = 0n;

  const fileState = (): { key: string; time: bigint } => {
    try {
      const s = statSync(store.path, { bigint: true });
      return { key: `${s.mtimeNs}/${s.size}/${s.ino}`, time: s.mtimeNs };
    } catch {
      return { key: 'missing', time: 0n };
    }
  };

  let skipped = 0;
  /**
   * Reads the runs that can change; returns those whose state differs from the last read (as read), or undefined
   * when the store was held (nothing is taken in: the next look reads again).
   */
  const read = (wait: boolean): RunRecord[] | undefined => {
    const rows = runActivity(store, maxRowid, wait);
    // a run that left the unfinished ones finished (or was redriven and finished again) since the last look
    const left = rows ? [...seen.keys()].filter((id) => !rows.some((r) => r.id === id)) : [];
    const finished = rows && runsNow(store, left);
    if (!rows || !finished) {
      skipped++;
      return undefined;
    }
    skipped = 0;
    const now = new Map<string, string>();
    const changed: RunRecord[] = [...finished];
    let top = maxRowid;
    for (const row of rows) {
      now.set(row.id, row.state);
      if (row.rowid > top) top = row.rowid;
      if (seen.get(row.id) !== row.state) changed.push(row.run);
    }
    maxRowid = top;
    seen = now;
    return changed;
  };

  const first = fileState();
  read(true);
  file = first.key;
  fileTime = first.time;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const look = (): void => {
    timer = undefined;
    if (stopped) return;
    try {
      const state = memory ? undefined : fileState();
      const recent = !memory && Number(BigInt(Date.now()) * 1_000_000n - fileTime) / 1e6 < RECENT_MS;
      if (memory || state!.key !== file || recent || skipped > 0) {
        const changed = read(false);
        // a skipped look leaves the file as last read: the next look reads
        if (changed && state) {
          file = state.key;
          fileTime = state.time;
        }
        if (changed && changed.length > 0) listener(changed.map((r) => r.id), changed);
      }
    } catch {
      // the store is busy for longer than its wait (STORE_BUSY) or was closed: look again next time
    }
    if (!stopped) timer = setTimeout(look, pollMs);
  };
  timer = setTimeout(look, pollMs);

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
