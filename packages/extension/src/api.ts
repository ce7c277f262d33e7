import type { JsonValue, RenderedMessage, RunEvent, RunSummary, WrittenFlowView } from '@baton/protocol';
import type { RunState } from './run-state.js';
import type { BatonTests } from './test-controller.js';

/**
 * What `activate()` returns: the extension's API for other extensions and for the real-editor tests.
 */
export interface BatonApi {
  runs: BatonRunsApi;
  /** The Test Explorer's controller, `runTest` and `refresh` (test-controller.ts). */
  tests: BatonTests;
  /** The graph panel (graph-panel.ts). */
  graph: BatonGraphApi;
}

/**
 * The graph panel (graph-panel.ts). The run controller calls `showRunEvent` with each event of a run it
 * started, and the run's file; a `run.started`/`run.resumed` takes the overlay over, the panel turning to the
 * run's flow (and file) when it shows another one; without a file, only a run of the drawn flow is drawn.
 * Events of other runs are ignored; events naming nodes the graph does not have are counted, never fatal.
 */
export interface BatonGraphApi {
  /**
   * `baton.graph.open`: opens (or reveals) the panel beside the editor on `uri` (default: the active .flow
   * editor), drawing `flow`, else the flow at that editor's cursor, else the file's first flow.
   */
  open(uri?: string, flow?: string): Promise<void>;
  /**
   * Draws one run event on the graph: nodes waiting/running/succeeded/failed/skipped, durations, retries, the path
   * taken. `file`: the run's `.flow` file (absolute path), when known.
   */
  showRunEvent(event: RunEvent, file?: string): void;
  /** Clears the run overlay. */
  resetRun(): void;
  /** What the panel shows (undefined when it is closed). */
  snapshot(): GraphPanelSnapshot | undefined;
  /** Fires when the page has handled a graph update (drawn it, or shown why not). */
  onDidRender(listener: (rendered: RenderedMessage & { totalMs: number }) => void): { dispose(): void };
  /** Does what clicking a node does: reveals and selects its source. @returns false when the node has no source range. */
  reveal(id: string): Promise<boolean>;
  /**
   * History mode: draws a stored run of the drawn flow (what picking it in the panel's run picker does);
   * undefined clears the overlay. @returns false when its events could not be read.
   */
  showStoredRun(runId: string | undefined): Promise<boolean>;
  /**
   * Opens or closes a sub-flow step of the drawn graph (what its +/− toggle does), by node id; redraws. The toggle of
   * a `step s: run plan` step opens the flow `plan` wrote in the drawn run instead ({@link showWrittenFlow}).
   */
  toggleSubflow(id: string): void;
  /**
   * Draws a flow an agent wrote in run `runId` (its graph from the stored definition, `baton runs show --json`'s
   * `written`) with the run's events over it: `which` names it by the generating step's key or node id, the
   * definition (`sha256:…`) or the flow's name; without it, the run's only one (or the one picked from a list).
   * Clicking a node opens the written text read-only; the flow picker goes back to the run's flow.
   * @returns false when the run could not be read or wrote no such flow (the reason is shown in a message).
   */
  showWrittenFlow(runId: string, which?: string): Promise<boolean>;
}

/** What the graph panel reads of a stored run ({@link BatonRunsApi.storedDetail}). */
export interface StoredRunView {
  events: RunEvent[];
  /** SHA-256 (hex) of the definition the run executes now. */
  definition?: string;
  /** The run's `.flow` file (absolute path), when stored. */
  file?: string;
  /** The flows agents wrote in the run and their policies accepted (`baton runs show --json`'s `written`). */
  written?: WrittenFlowView[];
}

/** The graph panel's state, for tests and other extensions. */
export interface GraphPanelSnapshot {
  uri: string | undefined;
  flow: string | undefined;
  flows: string[];
  /** The ids of the last good graph's nodes. */
  nodes: string[];
  /** Why the latest update has no graph (`line 4: …`, `the file declares no flow`). */
  error: string | undefined;
  /** The node at the editor's cursor. */
  highlighted: string | undefined;
  /** Whether the page has sent `ready` (and is visible). */
  ready: boolean;
  /** The latest `rendered` answer, with `totalMs` from the edit (or open) to the drawn graph. */
  lastRendered: (RenderedMessage & { totalMs: number }) | undefined;
  /** The run drawn (live or stored), and how many of its events were drawn. */
  runId: string | undefined;
  runEvents: number;
  /** The types of the drawn run's events, in the order the page got them (`run.started`, `step.started`, …). */
  runEventTypes: string[];
  /** What the title says about a stored run's definition (`definition 3f2a9c1e · migrated from 91bb02de`); undefined for a live run or none. */
  runDefinition: string | undefined;
  /** The stored runs of the drawn flow in the run picker, newest first. */
  history: string[];
  /** The sub-flow steps drawn open (node ids). */
  expanded: string[];
  /** Files saved by Export SVG/PNG since activation. */
  exports: number;
  /** The written flow drawn ({@link BatonGraphApi.showWrittenFlow}): its run, generating step, name and definition. */
  written: { runId: string; step: string; flow: string; definition: string } | undefined;
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
  /** Why the process needed a message of its own (the run could not start, the CLI crashed), as shown to the user. */
  problem?: string;
}

/** The runs the editor knows (started here, or read from the run store), and ways to drive them. */
export interface BatonRunsApi {
  /** Every run, newest first (a snapshot; the states are live objects updated as events arrive). */
  list(): RunState[];
  get(runId: string): RunState | undefined;
  /** Fires when a run or the list changed. */
  onDidChange(listener: (run: RunState | undefined) => void): { dispose(): void };
  /** Fires for each event of a live run (started from the editor), after the run's state took it in. */
  onDidApplyEvent(listener: (run: RunState, event: RunEvent) => void): { dispose(): void };
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
  /**
   * Whether the Runs view follows the store live now: `baton runs watch --json` runs (while the view is visible) and
   * has listed the stored runs, so every change from now on reaches the view (`RunsWatch.following`).
   */
  watching(): boolean;
  /**
   * The stored runs of `flow` (of the file `file`, an absolute path, when given), newest first, at most 50 —
   * what the graph panel's run picker lists. Rejects with the CLI's one-line message.
   */
  storedRuns(flow: string, file?: string): Promise<RunSummary[]>;
  /** A stored run's events in order (`baton runs show --json`). Rejects with the CLI's one-line message. */
  storedEvents(runId: string): Promise<RunEvent[]>;
  /**
   * A stored run's events, the SHA-256 (hex) of the definition it executes now, its `.flow` file and the flows agents
   * wrote in it with their graphs (`baton runs show --json`).
   */
  storedDetail(runId: string): Promise<StoredRunView>;
}
