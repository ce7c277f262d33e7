import { spawn, type ChildProcess } from 'node:child_process';
import type { CliLaunch } from './run-process.js';
import type { StoredRun } from './run-state.js';

/**
 * The Runs view's live feed: `baton runs watch --json` as a child process (the CLI follows the store — PostgreSQL
 * `LISTEN/NOTIFY`, SQLite polling — so the editor never opens the database itself), restarted with backoff when
 * it dies. No `vscode`.
 */

/** A line of `baton runs watch --json` (see packages/cli/src/commands/runs-watch.ts). */
export type WatchLine = { type: 'run'; run: StoredRun } | { type: 'listed'; count: number };

/** Splits a child's stdout into JSON Lines; a line that is not a watch line is ignored (never fatal). */
export class WatchLineReader {
  private partial = '';

  /** The complete lines of `chunk` (after what came before), parsed. */
  push(chunk: string): WatchLine[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    const lines: WatchLine[] = [];
    for (const part of parts) {
      const line = parseWatchLine(part);
      if (line) lines.push(line);
    }
    return lines;
  }
}

/** One watch line, or undefined for anything else (blank, not JSON, another shape). */
export function parseWatchLine(text: string): WatchLine | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as { type?: unknown; run?: { id?: unknown; flow?: unknown; status?: unknown }; count?: unknown };
  if (v?.type === 'run' && typeof v.run?.id === 'string' && typeof v.run.flow === 'string' && typeof v.run.status === 'string') return value as WatchLine;
  if (v?.type === 'listed' && typeof v.count === 'number') return value as WatchLine;
  return undefined;
}

/** The pause before the next restart after one of `pause` ms: doubled, up to `max` ms. */
export function nextBackoff(pause: number, max: number): number {
  return Math.min(pause * 2, max);
}

/** Options of {@link RunsWatch}. */
export interface RunsWatchOptions {
  /** How to start the CLI (its environment carries `PGPASSWORD` for a PostgreSQL store). */
  launch: () => CliLaunch;
  /** `--store`: a file or a URL without its password. */
  store: () => string;
  /** Whether the watch may start now (a SQLite store whose file does not exist yet is not created by watching it). */
  canStart?: () => boolean;
  /** Each run as the watch prints it. */
  onRun: (run: StoredRun) => void;
  /** The first listing after a (re)start is complete. */
  onListed?: (count: number) => void;
  /** A line the child wrote on stderr (a lost connection, a store that cannot be opened), or a restart notice. */
  onMessage?: (line: string) => void;
  /** The first pause before a restart, ms (default 1000); it doubles up to `maxBackoffMs` (default 30,000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How many runs the first listing shows (default 50). */
  limit?: number;
}

/**
 * Keeps one `baton runs watch --json` child running between {@link start} and {@link stop}: when it exits (the
 * store unreachable at start, a crash), it is started again after a pause that doubles (1 s → 30 s) and goes back
 * to the first once a restart has listed the runs. The child is stopped with SIGTERM (it exits 0).
 */
export class RunsWatch {
  private child: ChildProcess | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pause: number;
  /** Whether the current child has printed its first listing (its `listed` line). */
  private listed = false;
  /** How many children were started (for tests and the log). */
  starts = 0;

  constructor(private readonly options: RunsWatchOptions) {
    this.pause = options.backoffMs ?? 1000;
  }

  /** Whether the watch is wanted (started and not stopped). */
  get active(): boolean {
    return this.running;
  }

  /**
   * Whether the watch follows the store now: its child has listed the stored runs (its `listed` line) and runs on,
   * so every change from then on reaches `onRun`. False before that line — the child may not yet have read the store
   * — and again from when the child exits until a restarted one has listed.
   */
  get following(): boolean {
    return this.running && this.listed;
  }

  /** Whether no child runs and no start is planned. */
  get idle(): boolean {
    return this.child === undefined && this.timer === undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawn();
  }

  /** Stops the child (SIGTERM) and any planned restart. */
  stop(): void {
    this.running = false;
    this.listed = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  /** Stops, then starts again at once (the store setting changed). */
  restart(): void {
    this.stop();
    this.pause = this.options.backoffMs ?? 1000;
    this.start();
  }

  private spawn(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (this.options.canStart && !this.options.canStart()) return this.later(false);
    const launch = this.options.launch();
    const args = [launch.cli, 'runs', 'watch', '--json', '--limit', String(this.options.limit ?? 50), '--store', this.options.store()];
    let child: ChildProcess;
    try {
      child = spawn(launch.node, args, { cwd: launch.cwd, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.options.onMessage?.(`baton runs watch could not start: ${(error as Error).message}`);
      return this.later(true);
    }
    this.starts++;
    this.child = child;
    const reader = new WatchLineReader();
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      for (const line of reader.push(chunk)) {
        if (line.type === 'run') this.options.onRun(line.run);
        else {
          if (this.child === child) this.listed = true;
          this.pause = this.options.backoffMs ?? 1000;
          this.options.onListed?.(line.count);
        }
      }
    });
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.options.onMessage?.(line);
    });
    child.on('error', (error) => this.options.onMessage?.(`baton runs watch could not start: ${error.message}`));
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.listed = false;
      if (!this.running) return;
      this.options.onMessage?.(`baton runs watch ended (${signal ?? `exit ${code}`}); starting it again in ${(this.pause / 1000).toFixed(1)} s`);
      this.later(true);
    });
  }

  /** Plans the next start: after the backoff (growing it) when `failed`, else after the first pause (waiting for the store). */
  private later(failed: boolean): void {
    if (!this.running) return;
    const pause = this.pause;
    if (failed) this.pause = nextBackoff(this.pause, this.options.maxBackoffMs ?? 30_000);
    this.timer = setTimeout(() => this.spawn(), failed ? pause : (this.options.backoffMs ?? 1000));
    this.timer.unref?.();
  }
}
