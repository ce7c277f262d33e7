import { decideApproval, emptyRunModel, foldRunEvent, idRenamer, type JsonValue, type RunError, type RunEvent, type RunModel, type RunStatus, type WaitingOn } from '@baton/protocol';
import { entryOf, touchedBy, type EntrySource } from './run-entries.js';
import type { RunRecord } from '@baton/runtime';

/**
 * The state of runs as the editor shows them, folded from the run's {@link RunEvent}s by the protocol's one fold
 * (`foldRunEvent`): a run's entries are a view of its run model (`run-entries.ts`). Pure (no `vscode`, no
 * processes): the Runs view, the status bar and the run diagnostics all read it.
 */

/** What an entry of a run is: an agent or sub-flow step, a tool call of a step's tool loop, an approval, a timer, an event wait, an undo. */
export type RunEntryKind = 'step' | 'tool' | 'flow' | 'approval' | 'timer' | 'event' | 'condition' | 'signal' | 'lock' | 'compensation' | 'region';

/**
 * The status of an entry. `running` (started, not finished), `retrying` (an attempt failed, another comes),
 * `waiting` (an approval, timer or event not yet there), `approved` / `rejected` (an approval decided; any
 * other decision is `approved` with {@link RunEntry.decision} set), `interrupted` (the run stopped under it).
 */
export type RunEntryStatus = 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting' | 'approved' | 'rejected' | 'interrupted';

/** One line under a run in the Runs view. */
export interface RunEntry {
  /** Unique in the run: the step instance (`intake`, `migrate[1]`, `incident/page`), the approval task, … */
  key: string;
  kind: RunEntryKind;
  /** What the Runs view shows when the key is an internal name: `wait 3d` for a timer, `event paid` for an event wait. */
  label?: string;
  /** The IR node id (`Flow/step`), to find the source range. */
  node: string;
  /** The agent or sub-flow called (steps, compensations); a tool call: its step and turn (`support · turn 1`). */
  agent?: string;
  status: RunEntryStatus;
  /** Attempts so far (1 for the first); retries show as "2 attempts". */
  attempts: number;
  /** Wall time of all attempts, ms (when finished). */
  durationMs?: number;
  /** ISO 8601. */
  startedAt: string;
  output?: JsonValue;
  error?: RunError;
  /** Approvals: the prompt, who decides, the options, and the decision once made. */
  prompt?: string;
  assignee?: string;
  options?: string[];
  decision?: string;
  by?: string;
}

/** One run: started from the editor (live) or read from the run store. */
export interface RunState {
  runId: string;
  flow: string;
  /** The entry `.flow` file (absolute path), when known. */
  file?: string;
  status: RunStatus;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601, once the run succeeded, failed or was cancelled (waiting runs have none). */
  finishedAt?: string;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  error?: RunError;
  waitingOn: WaitingOn[];
  /** Entries in the order they started. Undefined for a stored run whose events are not loaded yet. */
  entries?: RunEntry[];
  /** Highest event `seq` applied. */
  lastSeq: number;
}

/** A run as `baton runs list --json` prints it: the run store's record (type only; no runtime code is bundled). */
export type StoredRun = RunRecord;

/** A run from the store, before its events are loaded (`entries` undefined). */
export function runFromRecord(record: StoredRun): RunState {
  const run: RunState = {
    runId: record.id,
    flow: record.flow,
    status: record.status,
    startedAt: record.startedAt,
    inputs: record.inputs,
    outputs: record.outputs,
    waitingOn: record.waitingOn,
    lastSeq: 0,
  };
  if (record.file) run.file = record.file;
  if (record.finishedAt) run.finishedAt = record.finishedAt;
  if (record.error) run.error = record.error;
  return run;
}

/**
 * A stored run with its event log (`baton runs show --json`): the record's status, times and error win
 * over what the events say (the record also knows about `interrupted`). `statements` (that output's, node id →
 * `cancel fulfil (line 14)`) names the statements that ended regions as the CLI does.
 */
export function runFromStore(record: StoredRun, events: RunEvent[], statements?: Readonly<Record<string, string>>): RunState {
  const run = runFromRecord(record);
  run.entries = [];
  if (statements) modelOf(run).statements = statements;
  for (const event of events) applyEvent(run, event);
  Object.assign(run, { status: record.status, startedAt: record.startedAt, waitingOn: record.waitingOn });
  if (record.finishedAt) run.finishedAt = record.finishedAt;
  if (record.error) run.error = record.error;
  if (record.status === 'interrupted') markInterrupted(run);
  return run;
}

/** A new live run from its first event, `run.started`. */
export function runFromStart(event: Extract<RunEvent, { type: 'run.started' }>): RunState {
  const run: RunState = { runId: event.runId, flow: event.flow, status: 'running', startedAt: event.time, inputs: event.inputs, outputs: {}, waitingOn: [], entries: [], lastSeq: 0 };
  if (event.file) run.file = event.file;
  return applyEvent(run, event);
}

// each run's model (the protocol's one fold) and its entries by source, beside the RunState the views read
const models = new WeakMap<RunState, RunView>();

/** A run's model, its entries by source, and the names of the statements that ended its regions (when known). */
interface RunView {
  model: RunModel;
  index: Map<string, RunEntry>;
  statements?: Readonly<Record<string, string>>;
}

function modelOf(run: RunState): RunView {
  let m = models.get(run);
  if (!m) models.set(run, (m = { model: emptyRunModel(run.runId), index: new Map() }));
  return m;
}

/** Writes the entry of `source` from the model: in place when the run has it (views keep references), else appended. */
function refresh(run: RunState, source: EntrySource): void {
  const m = modelOf(run);
  const entry = entryOf(m.model, source, m.statements);
  if (!entry) return;
  const id = `${source.from}:${source.key}`;
  const existing = m.index.get(id);
  if (existing) {
    for (const k of Object.keys(existing)) delete (existing as unknown as Record<string, unknown>)[k];
    Object.assign(existing, entry);
  } else {
    (run.entries ??= []).push(entry);
    m.index.set(id, entry);
  }
}

/**
 * Folds one event into `run` (mutating it) and returns it: the event goes through the protocol's fold
 * (`foldRunEvent`), and the entries it touched are written again from the run model (`run-entries.ts`). Events at
 * or below `lastSeq` are ignored, so a log can be applied over a live state without doubling entries.
 */
export function applyEvent(run: RunState, event: RunEvent): RunState {
  if (event.seq <= run.lastSeq) return run;
  run.lastSeq = event.seq;
  run.entries ??= [];
  const { model } = modelOf(run);
  foldRunEvent(model, event);
  for (const source of touchedBy(event, model)) refresh(run, source);
  switch (event.type) {
    case 'run.started':
      run.status = 'running';
      break;
    case 'run.resumed':
      run.status = 'running';
      run.waitingOn = [];
      delete run.finishedAt;
      delete run.error;
      for (const [id, e] of modelOf(run).index) if (e.status === 'interrupted') refresh(run, { from: id.slice(0, id.indexOf(':')) as EntrySource['from'], key: id.slice(id.indexOf(':') + 1) });
      break;
    case 'run.migrated': {
      // the entries folded before name the old definition's node ids: their keys and nodes become the new ones
      const rename = idRenamer(event.renamed ?? {});
      const m = modelOf(run);
      if (!rename) break;
      const before = [...m.index];
      m.index.clear();
      for (const [id, e] of before) {
        const cut = id.indexOf(':');
        const source: EntrySource = { from: id.slice(0, cut) as EntrySource['from'], key: rename(id.slice(cut + 1)) };
        m.index.set(`${source.from}:${source.key}`, e);
        refresh(run, source);
      }
      break;
    }
    case 'approval.decided':
      run.waitingOn = run.waitingOn.filter((w) => !(w.kind === 'approval' && w.task === event.task));
      break;
    case 'run.waiting':
      run.status = 'waiting';
      run.waitingOn = event.waitingOn;
      run.outputs = event.outputs;
      break;
    case 'run.succeeded':
    case 'run.failed':
    case 'run.cancelled':
      run.status = model.status;
      run.finishedAt = event.time;
      run.outputs = event.outputs;
      run.waitingOn = [];
      if (event.type === 'run.failed') run.error = event.error;
      break;
    default:
      break;
  }
  return run;
}

/** Records an approval decision (from the log, or made in the editor before the continued run streams). */
export function decide(run: RunState, task: string, decision: string, by: string | undefined, time: string, node = ''): void {
  run.entries ??= [];
  decideApproval(modelOf(run).model, task, decision, by, time, node);
  refresh(run, { from: 'wait', key: task });
  run.waitingOn = run.waitingOn.filter((w) => !(w.kind === 'approval' && w.task === task));
}

/** The run's process stopped without a closing event (Ctrl-C / SIGINT: exit 130): stored as `interrupted`. */
export function markInterrupted(run: RunState): void {
  run.status = 'interrupted';
  for (const e of run.entries ?? []) if (e.status === 'running' || e.status === 'retrying') e.status = 'interrupted';
}

/** Steps finished and steps known so far (approvals, waits and undos not counted), for the status bar. */
export function stepCounts(run: RunState): { finished: number; total: number } {
  const steps = (run.entries ?? []).filter((e) => e.kind === 'step');
  return { finished: steps.filter((e) => e.status === 'succeeded' || e.status === 'failed' || e.status === 'skipped' || e.status === 'cancelled').length, total: steps.length };
}

/** The approvals a run waits for (status `waiting`). */
export function waitingApprovals(run: RunState): RunEntry[] {
  return (run.entries ?? []).filter((e) => e.kind === 'approval' && e.status === 'waiting');
}

/**
 * What a click on an approval notification's Approve / Reject does with `run` as known now: `decide` while the
 * approval still waits, else a `message` saying why not (decided already — how and by whom —, the run ended, or
 * the run is gone). A notification cannot be closed once shown, so one outlives a decision made elsewhere (the Runs
 * view, another notification, `baton approve`).
 */
export function approvalChoice(run: RunState | undefined, runId: string, task: string): { decide: true } | { message: string } {
  if (!run) return { message: `Baton: run ${runId} is not in the Runs view any more; approval "${task}" was not decided here.` };
  const entry = (run.entries ?? []).find((e) => e.kind === 'approval' && e.key === task);
  if (entry?.status === 'waiting') return { decide: true };
  if (entry?.decision) return { message: `Baton: approval "${task}" of ${run.flow} was already ${entry.decision}${entry.by ? ` by ${entry.by}` : ''}.` };
  return { message: `Baton: approval "${task}" of ${run.flow} is not waiting any more (the run is ${run.status}).` };
}
