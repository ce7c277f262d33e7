import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { RunEvent, WrittenFlowView } from '@baton/protocol';
import type { CliLaunch, RunProcess, RunProcessExit } from './run-process.js';
import { isStoreUrl } from './run-env.js';
import { applyEvent, decide, markInterrupted, runFromRecord, runFromStart, runFromStore, type RunState, type StoredRun } from './run-state.js';

/**
 * Every run the editor knows: the ones started from it (live, fed by their {@link RunProcess}es) and the
 * ones read from the run store. One model shared by the Runs view, the status bar, the run diagnostics and
 * the approval notifications. No `vscode`.
 */
export class RunsModel {
  private readonly runs = new Map<string, RunState>();
  private readonly processes = new Map<string, RunProcess>();
  private readonly changeListeners: ((run: RunState | undefined) => void)[] = [];
  private readonly eventListeners: ((run: RunState, event: RunEvent) => void)[] = [];
  /** Counts the model's changes of runs; {@link changedAt} holds the count at each run's last change. */
  private generation = 0;
  private readonly changedAt = new Map<string, number>();

  /** Fires after a run changed (its state) or the list changed (`undefined`). */
  onDidChange(listener: (run: RunState | undefined) => void): { dispose(): void } {
    return subscribe(this.changeListeners, listener);
  }

  /** Fires for each event of a live run, after it has been applied. */
  onDidApplyEvent(listener: (run: RunState, event: RunEvent) => void): { dispose(): void } {
    return subscribe(this.eventListeners, listener);
  }

  /** The runs, newest first (run ids are ULIDs: they sort by start time). */
  list(): RunState[] {
    return [...this.runs.values()].sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  /**
   * A mark to take before reading the store (`baton runs list`, `baton runs show`): {@link setStored} and
   * {@link setStoredDetail} given it leave alone the runs that changed in the model after it — what the read
   * returns of them is older than what the model has (a `baton runs watch` line that came in while it ran).
   */
  mark(): number {
    return this.generation;
  }

  /** Whether run `runId` changed in the model after `mark` (see {@link mark}). */
  private changedSince(runId: string, mark: number | undefined): boolean {
    return mark !== undefined && (this.changedAt.get(runId) ?? -1) > mark;
  }

  private set(run: RunState): void {
    this.runs.set(run.runId, run);
    this.changedAt.set(run.runId, ++this.generation);
  }

  /** The live process of a run, while one runs. */
  processOf(runId: string): RunProcess | undefined {
    const p = this.processes.get(runId);
    return p?.running ? p : undefined;
  }

  /** The runs whose process is running. */
  active(): RunState[] {
    return this.list().filter((r) => this.processOf(r.runId) !== undefined);
  }

  /**
   * Feeds a started (or about to start) process's events into the model; its run appears with its first
   * event (`run.started`, or `run.resumed` for a known run). When it exits without a closing event after
   * SIGINT (exit 130), the run is marked `interrupted`.
   */
  attach(process: RunProcess): void {
    if (process.runId) this.processes.set(process.runId, process);
    process.onEvent((event) => {
      this.processes.set(event.runId, process);
      let run = this.runs.get(event.runId);
      if (!run) {
        if (event.type !== 'run.started') return;
        run = runFromStart(event);
      } else {
        if (event.type === 'run.started') run.entries ??= [];
        applyEvent(run, event);
      }
      this.set(run);
      for (const l of this.eventListeners) l(run, event);
      this.fire(run);
    });
    process.onExit((exit: RunProcessExit) => {
      const run = process.runId ? this.runs.get(process.runId) : undefined;
      if (run && (exit.code === 130 || exit.code === null) && run.status === 'running') markInterrupted(run);
      this.fire(run);
    });
  }

  /** Records a decision made in the editor before `baton approve` streams the continued run. */
  recordDecision(runId: string, task: string, decision: string, by: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    decide(run, task, decision, by, new Date().toISOString());
    this.fire(run);
  }

  /**
   * Replaces the stored runs with `records` (`baton runs list --json`): a run with a live process keeps its
   * live state; a stored run keeps its loaded entries while its last event is unchanged. Given the {@link mark}
   * taken before the list was read, a run that changed after it is neither removed nor replaced.
   */
  setStored(records: StoredRun[], since?: number): void {
    const keep = new Set(records.map((r) => r.id));
    for (const id of [...this.runs.keys()]) {
      if (keep.has(id) || this.processOf(id) || this.changedSince(id, since)) continue;
      this.runs.delete(id);
      this.changedAt.delete(id);
    }
    for (const record of records) {
      if (this.processOf(record.id) || this.changedSince(record.id, since)) continue;
      const existing = this.runs.get(record.id);
      const fresh = runFromRecord(record);
      if (existing?.entries && existing.status === record.status && existing.finishedAt === fresh.finishedAt) continue;
      this.set(fresh);
    }
    this.fire(undefined);
  }

  /**
   * Puts one stored run in place as `baton runs watch` reports it (created or changed by anyone): a run with a live
   * process keeps its live state; a run whose status, wait and finishedness are unchanged keeps what the model has
   * (its loaded entries; a run just finished in the editor keeps the state its events built).
   */
  upsertStored(record: StoredRun): void {
    if (this.processOf(record.id)) return;
    const existing = this.runs.get(record.id);
    const fresh = runFromRecord(record);
    if (
      existing &&
      existing.status === record.status &&
      (existing.finishedAt === undefined) === (record.finishedAt === null) &&
      JSON.stringify(existing.waitingOn) === JSON.stringify(record.waitingOn)
    ) {
      return;
    }
    this.set(fresh);
    this.fire(existing ? fresh : undefined);
  }

  /**
   * Puts a stored run's full state (`baton runs show --json`) in place, unless a live process owns it (its live
   * state is returned).
   * @param since the {@link mark} taken before the run was read: when the run changed in the model after it, the
   *   read is older than the model and nothing is put in place.
   * @param statements the read's `statements` (node id → `cancel fulfil (line 14)`): the region entries name them.
   * @returns the run as the model has it now; undefined when the read was older (read it again).
   */
  setStoredDetail(record: StoredRun, events: RunEvent[], since?: number, statements?: Readonly<Record<string, string>>): RunState | undefined {
    const live = this.processOf(record.id) ? this.runs.get(record.id) : undefined;
    if (live) return live;
    if (this.changedSince(record.id, since)) return undefined;
    const run = runFromStore(record, events, statements);
    this.set(run);
    this.fire(run);
    return run;
  }

  private fire(run: RunState | undefined): void {
    for (const l of this.changeListeners) l(run);
  }
}

function subscribe<T>(list: T[], listener: T): { dispose(): void } {
  list.push(listener);
  return { dispose: () => void list.splice(list.indexOf(listener) >>> 0, 1) };
}

/** `baton runs show --json`. */
export interface StoredRunDetail {
  run: StoredRun;
  events: RunEvent[];
  /** SHA-256 (hex) of the definition the run executes now (`baton runs show --json`; absent from older CLIs). */
  definition?: string;
  /** The statements that ended regions early, node id → `cancel fulfil (line 14)` (absent when none, and from older CLIs). */
  statements?: Record<string, string>;
  /** The flows agents wrote in the run and their policies accepted, with their graphs (absent when none, and from older CLIs). */
  written?: WrittenFlowView[];
}

/**
 * The run store, read and changed through the CLI (`baton runs list/show --json`, `baton cancel`), so the
 * editor never opens the database itself. Errors reject with the CLI's one-line message. The store is a file or
 * a `postgres://` URL (its password in the launch's environment, `PGPASSWORD`).
 */
export class RunStoreClient {
  constructor(
    private readonly launch: () => CliLaunch,
    private readonly storePath: () => string,
  ) {}

  /** The newest `limit` runs; `[]` when the store is a file that does not exist yet. */
  async list(limit = 50): Promise<StoredRun[]> {
    if (!isStoreUrl(this.storePath()) && !existsSync(this.storePath())) return [];
    return JSON.parse(await this.cli(['runs', 'list', '--json', '--limit', String(limit), '--store', this.storePath()])) as StoredRun[];
  }

  async show(runId: string): Promise<StoredRunDetail> {
    return JSON.parse(await this.cli(['runs', 'show', runId, '--json', '--store', this.storePath()])) as StoredRunDetail;
  }

  /** `baton cancel <id>`: cancels a waiting or interrupted run. @returns the CLI's sentence. */
  async cancel(runId: string): Promise<string> {
    return (await this.cli(['cancel', runId, '--store', this.storePath()])).trim();
  }

  private cli(args: string[]): Promise<string> {
    const launch = this.launch();
    return new Promise((resolve, reject) => {
      execFile(launch.node, [launch.cli, ...args], { cwd: launch.cwd, env: launch.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const own = stderr.split('\n').filter((l) => l.startsWith('baton: ')).at(-1);
        reject(new Error(own ? own.slice('baton: '.length) : `baton ${args[0]} ${args[1] ?? ''} failed (${error.message.split('\n')[0]})`));
      });
    });
  }
}
