import { spawn, type ChildProcess } from 'node:child_process';
import type { RunEvent } from '@baton/protocol';

/**
 * One `baton` child process that prints run events (`run`, `approve`, `resume` with `--json`): spawns it,
 * parses its stdout line by line into {@link RunEvent}s and reports how it ended. No `vscode`: the
 * {@link RunsModel} and the editor parts listen to it.
 */

/** How a run process ended. */
export interface RunProcessExit {
  /** Exit code (0 succeeded or waiting, 1 failed, 2 did not start, 130 interrupted); null when killed. */
  code: number | null;
  /** The last event printed, if any. */
  lastEvent?: RunEvent;
  /** Everything the process wrote on stderr. */
  stderr: string;
  /**
   * One line for people when the process did not end with a run event (bad usage, checker errors, a
   * crash): the CLI's own `baton: …` message without its prefix, or a generic sentence.
   */
  problem?: string;
}

/** Where and how to start the CLI. */
export interface CliLaunch {
  /** The Node executable (the extension host's `process.execPath`, run with `ELECTRON_RUN_AS_NODE=1`). */
  node: string;
  /** Path of the CLI bundle, `out/cli.mjs`. */
  cli: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A `baton` process streaming run events. Create, subscribe, then {@link start}. */
export class RunProcess {
  private child: ChildProcess | undefined;
  private readonly eventListeners: ((event: RunEvent) => void)[] = [];
  private readonly exitListeners: ((exit: RunProcessExit) => void)[] = [];
  private readonly lineListeners: ((line: string) => void)[] = [];
  private lastEvent: RunEvent | undefined;
  private stderr = '';
  private exitInfo: RunProcessExit | undefined;
  /** The run's id: known up front for `approve`/`resume`, else from the first event. */
  runId: string | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<RunProcessExit>;
  private resolveExit!: (exit: RunProcessExit) => void;

  constructor(
    private readonly launch: CliLaunch,
    readonly args: string[],
    runId?: string,
  ) {
    this.runId = runId;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Each event as it is printed. */
  onEvent(listener: (event: RunEvent) => void): void {
    this.eventListeners.push(listener);
  }

  /** Lines of stdout that are not events (there should be none with `--json`) and all of stderr. */
  onOutput(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  onExit(listener: (exit: RunProcessExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  start(): void {
    const child = spawn(this.launch.node, [this.launch.cli, ...this.args], { cwd: this.launch.cwd, env: this.launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const stdout = new LineSplitter((line) => this.onStdoutLine(line));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => stdout.push(chunk));
    child.stderr!.setEncoding('utf8');
    const stderrLines = new LineSplitter((line) => this.lineListeners.forEach((l) => l(line)));
    child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      stderrLines.push(chunk);
    });
    child.on('error', (error) => this.finish(null, `could not start the Baton CLI: ${error.message}`));
    child.on('close', (code) => {
      stdout.flush();
      stderrLines.flush();
      this.finish(code);
    });
  }

  /**
   * Stops the run as Ctrl-C does (SIGINT): the CLI stores it as `interrupted` and exits 130; `baton resume`
   * continues it. @returns false when the process is not running.
   */
  interrupt(): boolean {
    if (!this.running) return false;
    return this.child!.kill('SIGINT');
  }

  private onStdoutLine(line: string): void {
    if (line.trim() === '') return;
    let event: RunEvent;
    try {
      event = JSON.parse(line) as RunEvent;
    } catch {
      this.lineListeners.forEach((l) => l(line));
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
      this.lineListeners.forEach((l) => l(line));
      return;
    }
    this.lastEvent = event;
    this.runId ??= event.runId;
    for (const l of this.eventListeners) l(event);
  }

  private finish(code: number | null, spawnProblem?: string): void {
    if (this.exitInfo) return;
    const exit: RunProcessExit = { code, stderr: this.stderr };
    if (this.lastEvent) exit.lastEvent = this.lastEvent;
    const problem = spawnProblem ?? problemOf(code, this.lastEvent, this.stderr);
    if (problem) exit.problem = problem;
    this.exitInfo = exit;
    for (const l of this.exitListeners.splice(0)) l(exit);
    this.resolveExit(exit);
  }
}

const CLOSING = new Set(['run.succeeded', 'run.failed', 'run.waiting', 'run.cancelled']);

/**
 * Why a run process needs a message of its own: `undefined` when it ended with a closing run event or was
 * interrupted (130). Otherwise the CLI's last `baton: <where>: <what>` line (prefix dropped), or, when
 * there is none (a crash), a sentence pointing at the output channel.
 */
export function problemOf(code: number | null, lastEvent: RunEvent | undefined, stderr: string): string | undefined {
  if (code === 130) return undefined;
  if (lastEvent && CLOSING.has(lastEvent.type)) return undefined;
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const own = lines.filter((l) => l.startsWith('baton: ')).at(-1);
  if (own) return own.slice('baton: '.length);
  if (code === null) return 'the Baton CLI was stopped before the run finished';
  return `the Baton CLI stopped unexpectedly (exit ${code}); its output is in the "Baton" output channel`;
}

/** Splits a stream of text chunks into lines (without `\n`, a trailing `\r` dropped). */
export class LineSplitter {
  private buffer = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
    }
  }

  /** Emits what is left after the last newline. */
  flush(): void {
    if (this.buffer !== '') this.onLine(this.buffer);
    this.buffer = '';
  }
}
