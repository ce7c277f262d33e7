import type { JsonValue, RunEvent } from '@baton/protocol';
import type { RunState } from './run-state.js';
import type { BatonTests } from './test-controller.js';

/**
 * What `activate()` returns: the extension's API for other extensions and for the real-editor tests.
 */
export interface BatonApi {
  runs: BatonRunsApi;
  /** The Test Explorer's controller, `runTest` and `refresh` (test-controller.ts). */
  tests: BatonTests;
}

/**
 * What `baton.flow.run`, `baton.flow.runWithInputs` and a decision resolve with when the run's process
 * ends: the run id, its last event, the exit code (0 succeeded or waiting, 1 failed, 2 did not start,
 * 130 interrupted) and the run's state in the Runs view.
 */
export interface RunOutcome {
  runId: string | undefined;
  last: RunEvent | undefined;
  exitCode: number;
  run: RunState | undefined;
}

/** The runs the editor knows (started here, or read from the run store), and ways to drive them. */
export interface BatonRunsApi {
  /** Every run, newest first (a snapshot; the states are live objects updated as events arrive). */
  list(): RunState[];
  get(runId: string): RunState | undefined;
  /** Fires when a run or the list changed. */
  onDidChange(listener: (run: RunState | undefined) => void): { dispose(): void };
  /**
   * Runs a flow with these inputs (no prompts), like `baton.flow.runWithInputs` with its third argument.
   * @returns the outcome once the process exits, or undefined when no process started (no file, prompts
   * cancelled, a missing API key: the reason was shown to the user).
   */
  run(uri: string, flow: string | undefined, inputs: Record<string, JsonValue>): Promise<RunOutcome | undefined>;
  /** Decides a waiting approval (`baton approve`) and resolves when the continued run's process exits. */
  decide(runId: string, task: string, approve: boolean): Promise<RunOutcome | undefined>;
  /** Cancels a run: SIGINT to a running process, `baton cancel` for a waiting or interrupted run. */
  cancel(runId: string): Promise<void>;
  /** Reloads the stored runs (`baton runs list --json`). */
  refresh(): Promise<void>;
  /** The status bar item's text while a run is active (undefined when hidden). */
  statusBarText(): string | undefined;
}
