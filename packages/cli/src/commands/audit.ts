import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { verifyRunChain, type ChainProblem, type ChainRow, type RunStoreApi } from '@baton/runtime';
import { openStore, toCliError } from '../backend.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';

/** How many events one read of the store returns (one page is held at a time). */
const PAGE = 1000;
/** How many named runs one read asks for (SQLite's and PostgreSQL's bound parameters stay few). */
const RUNS_PER_READ = 200;

/**
 * Every stored event of the runs `runIds` (all runs when empty), ordered by run id then seq, one run at a time:
 * `onRun` gets each run's events together, and only one run's (plus one page) is held in memory.
 */
async function eachRun(store: RunStoreApi, runIds: readonly string[], onRun: (runId: string, rows: ChainRow[]) => Promise<void>): Promise<void> {
  const read = store.readChain?.bind(store);
  if (!read) throw new UsageError(`--store ${store.location}: this store keeps no audit chain`);
  const groups = runIds.length === 0 ? [undefined] : chunk([...runIds].sort(), RUNS_PER_READ);
  for (const group of groups) {
    let after: { runId: string; seq: number } | undefined;
    let current: { runId: string; rows: ChainRow[] } | undefined;
    for (;;) {
      const page = await read(after, PAGE, group);
      for (const row of page) {
        if (current && current.runId !== row.runId) {
          await onRun(current.runId, current.rows);
          current = undefined;
        }
        current ??= { runId: row.runId, rows: [] };
        current.rows.push(row);
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1];
      after = { runId: last.runId, seq: last.seq };
    }
    if (current) await onRun(current.runId, current.rows);
  }
}

/** Full run ids of `ids` (ids or unique prefixes). @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`. */
async function resolveRuns(store: RunStoreApi, ids: readonly string[]): Promise<string[]> {
  const full: string[] = [];
  for (const id of ids) full.push((await store.getRun(id)).id);
  return [...new Set(full)];
}

/**
 * The heads recorded in an earlier export (`baton audit export`'s JSON lines): each run's last line gives the seq and
 * hash that must still be in the chain. @throws UsageError for a file that cannot be read or a line that is not one.
 */
async function readAnchors(file: string): Promise<Map<string, { seq: number; hash: string }>> {
  const anchors = new Map<string, { seq: number; hash: string }>();
  const input = createReadStream(file, 'utf8');
  const failed = once(input, 'error').then(([error]) => {
    throw new UsageError(`--anchor ${file}: ${(error as Error).message}`);
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  const reading = (async () => {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let parsed: { runId?: unknown; seq?: unknown; hash?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        throw new UsageError(`--anchor ${file}:${n}: not a line of baton audit export (not JSON)`);
      }
      if (typeof parsed.runId !== 'string' || typeof parsed.seq !== 'number' || typeof parsed.hash !== 'string') {
        throw new UsageError(`--anchor ${file}:${n}: not a line of baton audit export (it needs runId, seq and hash)`);
      }
      const known = anchors.get(parsed.runId);
      if (!known || known.seq < parsed.seq) anchors.set(parsed.runId, { seq: parsed.seq, hash: parsed.hash });
    }
  })();
  await Promise.race([reading, failed]);
  return anchors;
}

/**
 * `baton audit verify [runId…] [--anchor <export.jsonl>] [--json] [--store …]`: checks the hash chain of every run's
 * events (or the named runs') and names each changed, removed, inserted or reordered event (see `verifyRunChain`).
 * With `--anchor`, each run's last exported event must still be there with the same hash (a removed tail, a rewritten
 * chain). `--json`: `{ ok, runs, events, problems: ChainProblem[] }`.
 * @returns 0 when every chain is whole, 1 when something was tampered with.
 * @throws UsageError (exit 2) for an unknown run, an unreadable anchor file, a store that cannot be opened.
 */
export async function auditVerifyCommand(runIds: string[], opts: { json?: boolean; store?: string; anchor?: string }, output: Output): Promise<number> {
  const anchors = opts.anchor ? await readAnchors(opts.anchor) : undefined;
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const runs = await resolveRuns(store, runIds);
    const problems: ChainProblem[] = [];
    let runCount = 0;
    let events = 0;
    const seen = new Set<string>();
    await eachRun(store, runs, async (runId, rows) => {
      runCount++;
      events += rows.length;
      seen.add(runId);
      const found = verifyRunChain(runId, rows, anchors?.get(runId));
      problems.push(...found);
      if (!opts.json) for (const p of found) output.out(problemLine(p));
    });
    // an anchored run of the store whose events are all gone
    if (anchors) {
      for (const [runId, anchor] of anchors) {
        if (seen.has(runId) || (runs.length > 0 && !runs.includes(runId))) continue;
        const p: ChainProblem = { runId, seq: anchor.seq, kind: 'removed', message: `the anchored run has no events left (its head was seq ${anchor.seq})` };
        problems.push(p);
        if (!opts.json) output.out(problemLine(p));
      }
    }
    const tampered = new Set(problems.map((p) => p.runId)).size;
    if (opts.json) output.out(JSON.stringify({ ok: problems.length === 0, runs: runCount, events, problems }, null, 2));
    else if (problems.length === 0) output.out(`${plural(runCount, 'run')}, ${plural(events, 'event')}: every chain is whole.`);
    else output.out(`${plural(problems.length, 'problem')} in ${plural(tampered, 'run')} (of ${plural(runCount, 'run')}, ${plural(events, 'event')} checked).`);
    return problems.length === 0 ? 0 : 1;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** `run <id> seq <n>: <kind> — <message>`. */
export function problemLine(p: ChainProblem): string {
  return `run ${p.runId} seq ${p.seq}: ${p.kind} — ${p.message}`;
}

/**
 * `baton audit export [runId…] [--out <file>] [--store …]`: every stored event of every run (or the named ones) as JSON
 * lines, ordered by run id then seq — `{ runId, seq, type, time, data, prev, hash }` — read a page at a time and
 * written as the output takes it (a store of 100,000 runs is never held in memory). A run's last line is its head:
 * kept elsewhere, it is the anchor `baton audit verify --anchor` checks the store against.
 * @returns 0. @throws UsageError (exit 2) for an unknown run, an output file that cannot be written.
 */
export async function auditExportCommand(runIds: string[], opts: { out?: string; store?: string }, output: Output): Promise<number> {
  const store = await openStore(resolveStorePath(opts.store));
  let sink: Writable | undefined;
  try {
    const runs = await resolveRuns(store, runIds);
    sink = opts.out ? createWriteStream(opts.out) : process.stdout;
    const target = sink;
    let failure: Error | undefined;
    const onError = (error: Error): void => {
      failure = error;
    };
    target.on('error', onError);
    let events = 0;
    await eachRun(store, runs, async (_runId, rows) => {
      for (const row of rows) {
        if (failure) break;
        events++;
        const line = JSON.stringify({ runId: row.runId, seq: row.seq, type: row.type, time: row.time, data: row.data, prev: row.prev, hash: row.hash }) + '\n';
        if (!target.write(line)) await Promise.race([once(target, 'drain'), once(target, 'error')]);
      }
      if (failure) throw failure;
    });
    if (opts.out) {
      await new Promise<void>((resolve, reject) => target.end((error?: Error | null) => (error ? reject(error) : resolve())));
      output.err(`Exported ${plural(events, 'event')} to ${opts.out}.`);
    }
    if (failure) throw failure;
    return 0;
  } catch (error) {
    if (opts.out && error instanceof Error && 'syscall' in error) throw new UsageError(`--out ${opts.out}: ${error.message}`);
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
