import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RunStoreApi } from '@baton/runtime';

/** Longest message an internal-error line shows (characters); the rest is cut with `…`. */
const MAX_MESSAGE = 300;

/** The runs this process is executing, so a crash of the process can still mark them failed. */
const activeRuns = new Map<string, RunStoreApi>();

/** Notes that this process executes run `runId` in `store` (until {@link untrackRun}). */
export function trackRun(store: RunStoreApi, runId: string): void {
  activeRuns.set(runId, store);
}

/** The run is no longer executed by this process. */
export function untrackRun(runId: string): void {
  activeRuns.delete(runId);
}

/**
 * Marks every run this process executes as failed with `error` (code `INTERNAL` unless it has one): an
 * uncaught error is about to end the process, and a run must not be left `running`. Store failures are
 * ignored (the run then stays as stored; `baton resume` continues it). Resolves once every run is marked (or
 * its store failed): exit the process only then.
 */
export async function failActiveRuns(error: unknown): Promise<void> {
  const runs = [...activeRuns];
  activeRuns.clear();
  // a process that executes runs has the runtime loaded already (a command that runs none, `baton check`, never loads it)
  if (runs.length === 0) return;
  const { abandonRun, toRunError } = await import('./run-abandon.js');
  const runError = toRunError(error);
  for (const [runId, store] of runs) {
    try {
      await abandonRun(store, runId, runError);
    } catch {
      // the store cannot take it either
    }
  }
}

/**
 * One line for an error that is a bug in Baton: `internal error: <message> (at <where>)` — never the stack and
 * never the bundle's source. `where` is the innermost frame of the stack in Baton's code: a source file and
 * line (`packages/runtime/src/store/run-store.ts:321`) when the bundle's source map is beside it (esbuild
 * writes `out/cli.mjs.map`), else the bundle's `file:line:column`.
 */
export function internalErrorLine(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const oneLine = raw.replace(/\s+/g, ' ').trim();
  const message = oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE - 1)}…` : oneLine;
  const where = whereThrown(error);
  return `internal error: ${message}${where ? ` (at ${where})` : ''}`;
}

/** See {@link internalErrorLine}; undefined when the stack names no file. */
export function whereThrown(error: unknown): string | undefined {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  for (const line of stack.split('\n').slice(1)) {
    // a file of this machine (`/…` or `file:///…`), not Node's own (`node:internal/…`)
    const m = /(?:\(|at )((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
    const lineNo = Number(m[2]);
    const column = Number(m[3]);
    return mapToSource(file, lineNo, column) ?? `${file}:${lineNo}:${column}`;
  }
  return undefined;
}

/** `source:line` for a position in a bundle with a source map beside it, else undefined. */
function mapToSource(file: string, line: number, column: number): string | undefined {
  try {
    const mapFile = `${file}.map`;
    if (!existsSync(mapFile)) return undefined;
    const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number };
    if (!entry.originalSource || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource.replace(/^(?:file:\/\/)?(?:\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}`;
  } catch {
    return undefined;
  }
}
