import type { RunStatus } from '@baton/protocol';
import { BatonError, type RunChanges, type RunRecord } from '@baton/runtime';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import { openStore, toCliError } from '../backend.js';
import { RUN_STATUSES, statusColor } from './runs.js';

/**
 * One line of `baton runs watch --json` (JSON Lines: one object per line, this shape is stable):
 * - `{"type":"run","run":RunRecord}` — a run as it is now (the fields of `baton runs list --json`): first each run
 *   the filter selects (oldest first), then each run that was created or changed (status, outputs, error, wait,
 *   cancel flag, finish time) — also once when a change takes it out of `--status`;
 * - `{"type":"listed","count":n}` — after the runs that were there when the watch started: changes follow.
 */
export type WatchLine = { type: 'run'; run: RunRecord } | { type: 'listed'; count: number };

/** How long after a failed read of the store the watch reads everything again, ms. */
const RETRY_MS = 1000;

/**
 * `baton runs watch`: the store's runs live, until Ctrl+C or SIGTERM (exit 0). Prints the runs the filter selects,
 * then one line per change, whoever made it (another process, another machine). On PostgreSQL it listens
 * (`LISTEN/NOTIFY`); on SQLite it polls the file every 250 ms (the store's `watchRuns`). A lost connection is
 * said once on stderr; the watch reconnects with backoff and catches up.
 * @param stop resolves the command when aborted (default: SIGINT or SIGTERM).
 * @throws UsageError (exit 2) for a bad option or a store that cannot be opened.
 */
export async function runsWatchCommand(
  opts: { json?: boolean; store?: string; flow?: string; status?: string; limit: string },
  output: Output,
  stop?: AbortSignal,
): Promise<number> {
  if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus)) {
    throw new UsageError(`--status ${opts.status}: use one of ${RUN_STATUSES.join(', ')}`);
  }
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${opts.limit}: expected a whole number above 0`);
  const store = await openStore(resolveStorePath(opts.store));
  const matches = (run: RunRecord): boolean => (!opts.flow || run.flow === opts.flow) && (!opts.status || run.status === opts.status);
  /** What was printed last of each run followed, as JSON. */
  const shown = new Map<string, string>();
  const print = (run: RunRecord, initial: boolean): void => {
    if (opts.json) output.out(JSON.stringify({ type: 'run', run } satisfies WatchLine));
    else output.out(humanLine(run, initial, output));
  };

  // changes reported while a read is under way wait for it; 'all' reads every run followed and the filter's again
  let pending = new Set<string>();
  let everything = false;
  let reading: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let listed = false;
  let readFailure: string | undefined;

  const apply = (run: RunRecord): void => {
    const json = JSON.stringify(run);
    const followed = shown.has(run.id);
    if (!matches(run) && !followed) return;
    if (shown.get(run.id) === json) return;
    print(run, false);
    if (matches(run)) shown.set(run.id, json);
    else shown.delete(run.id);
  };
  const readChanges = async (): Promise<void> => {
    while (pending.size > 0 || everything) {
      const ids = pending;
      const all = everything;
      pending = new Set();
      everything = false;
      try {
        if (all) {
          const runs = await store.listRuns({ status: opts.status as RunStatus | undefined, flow: opts.flow, limit: Math.max(limit, 200) });
          for (const run of runs) ids.add(run.id);
          for (const id of shown.keys()) ids.add(id);
        }
        for (const id of [...ids].sort()) {
          const run = await store.findRun(id);
          if (run) apply(run);
        }
        readFailure = undefined;
      } catch (error) {
        if (!(error instanceof BatonError)) throw error;
        // the store is out of reach or busy: read everything again in a moment (said once per cause)
        for (const id of ids) pending.add(id);
        if (readFailure !== error.message && !/^lost the connection|^cannot reach/.test(error.message)) output.err(`baton: ${error.message}; trying again`);
        readFailure = error.message;
        retry ??= setTimeout(() => {
          retry = undefined;
          report('all');
        }, RETRY_MS);
        return;
      }
    }
  };
  const report = (changes: RunChanges, runs?: readonly RunRecord[]): void => {
    if (changes === 'all') everything = true;
    else if (runs && listed && !reading && pending.size === 0 && !everything) {
      // the store read them with the change (SQLite): no read of ours, which would wait for a writer's lock
      for (const run of runs) apply(run);
      return;
    } else for (const id of changes) pending.add(id);
    if (!listed || reading) return;
    reading = readChanges().finally(() => {
      reading = undefined;
      if (pending.size > 0 || everything) report([]);
    });
    reading.catch(fail);
  };
  // a bug while reading ends the command (reported as an internal error), not silently the watch
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));

  let unwatch: (() => Promise<void>) | undefined;
  const stopped = stop ?? interruption();
  try {
    // watching starts before the listing: a change made meanwhile is read after it, not lost
    unwatch = await store.watchRuns(report, {
      onConnection: (state, message) => output.err(`baton: ${state === 'lost' ? `${message}; reconnecting` : message}`),
    });
    const runs = (await store.listRuns({ status: opts.status as RunStatus | undefined, flow: opts.flow, limit })).reverse();
    for (const run of runs) {
      shown.set(run.id, JSON.stringify(run));
      print(run, true);
    }
    if (opts.json) output.out(JSON.stringify({ type: 'listed', count: runs.length } satisfies WatchLine));
    else if (runs.length === 0) output.err(`No runs${opts.flow || opts.status ? ' match' : ' stored yet'}; watching ${store.location} for changes (Ctrl+C to stop).`);
    else output.err(`Watching ${store.location} for changes (Ctrl+C to stop).`);
    listed = true;
    report([]);
    await Promise.race([failed, new Promise<void>((resolve) => (stopped.aborted ? resolve() : stopped.addEventListener('abort', () => resolve(), { once: true })))]);
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    if (retry) clearTimeout(retry);
    await unwatch?.().catch(() => undefined);
    await reading?.catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}

/** A signal aborted by the first Ctrl+C (SIGINT) or SIGTERM; the handlers are removed then. */
function interruption(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}

/**
 * A human line: time (UTC; the finish time of a finished run, else the start time for the runs listed first and
 * now for a change), id, flow, status, and what it waits for or why it failed.
 */
function humanLine(run: RunRecord, initial: boolean, output: Output): string {
  const c = output.colors;
  const time = (run.finishedAt ?? (initial ? run.startedAt : new Date().toISOString())).slice(0, 19).replace('T', ' ');
  let detail = '';
  if (run.status === 'waiting') detail = run.waitingOn.map((w) => (w.kind === 'approval' ? `approval "${w.task}"` : w.kind === 'event' ? `event "${w.event}"` : w.kind)).join(', ');
  else if (run.status === 'failed' && run.error) detail = c.red(`${run.error.code}: ${run.error.message}`);
  else if (run.cancelRequested && run.status === 'running') detail = 'cancel requested';
  return `${c.dim(time)}  ${run.id}  ${run.flow.padEnd(22)}  ${statusColor(run.status, output)(run.status.padEnd(11))}${detail ? `  ${detail}` : ''}`.trimEnd();
}
