import { formatDurationLiteral, type JsonValue, type RunError, type RunEvent, type RunStatus, type WaitingOn } from '@baton/protocol';
import type { RunRecord } from '@baton/runtime';

/**
 * The state of runs as the editor shows them, folded from the run's {@link RunEvent}s. Pure (no `vscode`,
 * no processes): the Runs view, the status bar and the run diagnostics all read it.
 */

/** What an entry of a run is: an agent or sub-flow step, an approval, a timer, an event wait, an undo. */
export type RunEntryKind = 'step' | 'approval' | 'timer' | 'event' | 'condition' | 'signal' | 'lock' | 'compensation' | 'region';

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
  /** The agent or sub-flow called (steps, compensations). */
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
 * over what the events say (the record also knows about `interrupted`).
 */
export function runFromStore(record: StoredRun, events: RunEvent[]): RunState {
  const run = runFromRecord(record);
  run.entries = [];
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

/**
 * Folds one event into `run` (mutating it) and returns it. Events at or below `lastSeq` are ignored, so a
 * log can be applied over a live state without doubling entries.
 */
export function applyEvent(run: RunState, event: RunEvent): RunState {
  if (event.seq <= run.lastSeq) return run;
  run.lastSeq = event.seq;
  const entries = (run.entries ??= []);
  const entry = (key: string): RunEntry | undefined => {
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i].key === key) return entries[i];
    return undefined;
  };
  switch (event.type) {
    case 'run.started':
      run.status = 'running';
      break;
    case 'run.resumed':
      run.status = 'running';
      run.waitingOn = [];
      delete run.finishedAt;
      delete run.error;
      for (const e of entries) if (e.status === 'interrupted') e.status = 'running';
      break;
    case 'step.started': {
      const existing = entry(event.step);
      if (existing && (existing.status === 'running' || existing.status === 'interrupted' || existing.status === 'retrying')) {
        existing.status = 'running';
      } else {
        entries.push({ key: event.step, kind: 'step', node: event.node, agent: event.agent, status: 'running', attempts: 1, startedAt: event.time });
      }
      break;
    }
    case 'step.retrying': {
      const e = entry(event.step) ?? pushEntry(entries, { key: event.step, kind: 'step', node: event.node, agent: event.agent, startedAt: event.time });
      e.status = 'retrying';
      e.attempts = event.attempt + 1;
      e.error = event.error;
      break;
    }
    case 'step.finished': {
      const e = entry(event.step) ?? pushEntry(entries, { key: event.step, kind: 'step', node: event.node, agent: event.agent, startedAt: event.time });
      e.status = event.status;
      e.attempts = event.attempts;
      e.durationMs = event.durationMs;
      if (event.output !== undefined) e.output = event.output;
      if (event.error) e.error = event.error;
      else delete e.error;
      break;
    }
    case 'approval.requested': {
      const e = entry(event.task) ?? pushEntry(entries, { key: event.task, kind: 'approval', node: event.node, startedAt: event.time });
      e.status = 'waiting';
      e.options = event.options;
      if (event.prompt !== undefined) e.prompt = event.prompt;
      if (event.assignee !== undefined) e.assignee = event.assignee;
      break;
    }
    case 'approval.decided':
      decide(run, event.task, event.decision, event.by, event.time, event.node);
      break;
    case 'wait.started': {
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'timer', node: event.node, startedAt: event.time });
      e.label = `wait ${formatDurationLiteral(event.durationMs)}`;
      e.status = 'waiting';
      break;
    }
    case 'timer.fired': {
      const e = entry(event.key);
      if (e) finishWait(e, event.time);
      break;
    }
    case 'event.waiting': {
      // an event loop (`foreach … in event`): one entry for its arrivals (keyed by the loop), one per instance it admits
      const key = event.stream ? loopKey(event.key) : event.key;
      const e = entry(key) ?? pushEntry(entries, { key, kind: 'event', node: event.node, startedAt: event.time });
      e.label = event.stream ? `foreach … in event ${event.event}` : `event ${event.event}`;
      e.status = 'waiting';
      break;
    }
    case 'event.received': {
      const loop = event.key && /#\d+$/.test(event.key) ? entry(loopKey(event.key)) : undefined;
      if (loop && event.timedOut) finishWait(loop, event.time);
      else if (loop) {
        const n = Number(event.key!.slice(event.key!.lastIndexOf('#') + 1));
        const admitted = pushEntry(entries, { key: event.key!, kind: 'event', node: event.node ?? loop.node, startedAt: event.time });
        admitted.label = `event ${event.event} → instance ${n + 1}`;
        finishWait(admitted, event.time);
        admitted.output = event.data;
        break;
      }
      // the terminating event (`until event`) ends the loop's arrivals too
      const ended = event.key?.endsWith('#end') ? entry(event.key.slice(0, -'#end'.length)) : undefined;
      if (ended?.status === 'waiting') finishWait(ended, event.time);
      const e = event.key ? entry(event.key) : undefined;
      if (e) {
        finishWait(e, event.time);
        if (event.timedOut) e.error = { code: 'EVENT_TIMEOUT', message: `event "${event.event}" did not come before its deadline` };
        else e.output = event.data;
      }
      break;
    }
    case 'condition.waiting': {
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'condition', node: event.node, startedAt: event.time });
      e.label = `wait until ${event.condition}`;
      e.status = 'waiting';
      break;
    }
    case 'condition.met': {
      const e = entry(event.key);
      if (e) {
        finishWait(e, event.time);
        if (event.timedOut) e.error = { code: 'CONDITION_TIMEOUT', message: `wait until ${event.condition}: its timeout passed first (on timeout ran)` };
      }
      break;
    }
    case 'signal.received': {
      // a `wait signal` that had to wait shows as an entry once it passed (the run's waitingOn says it waits before)
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'signal', node: event.node, startedAt: event.time });
      e.label = `wait signal ${event.name}`;
      finishWait(e, event.time);
      if (event.timedOut) e.error = { code: 'SIGNAL_TIMEOUT', message: `wait signal ${event.name}: its timeout passed first (on timeout ran)` };
      break;
    }
    case 'lock.requested': {
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'lock', node: event.node, startedAt: event.time });
      e.label = `lock "${event.name}"`;
      e.status = 'waiting';
      break;
    }
    case 'lock.acquired': {
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'lock', node: event.node, startedAt: event.time });
      e.label = `lock "${event.name}"`;
      e.status = 'running';
      break;
    }
    case 'lock.released': {
      const e = entry(event.key) ?? pushEntry(entries, { key: event.key, kind: 'lock', node: event.node, startedAt: event.time });
      e.label = `lock "${event.name}"`;
      finishWait(e, event.time);
      if (event.timedOut) e.error = { code: 'LOCK_TIMEOUT', message: `lock "${event.name}" did not come in time (on timeout ran)` };
      break;
    }
    case 'join.reached': {
      // an event loop's join ends its arrivals
      const loop = entries.find((e) => e.node === event.node && e.kind === 'event' && e.status === 'waiting' && e.label?.startsWith('foreach'));
      if (loop) finishWait(loop, event.time);
      break;
    }
    case 'wait.withdrawn': {
      // an arm of a `wait first` another arm beat: its approval, timer or event wait ends as cancelled
      const e = entry(event.key);
      if (e) {
        e.status = 'cancelled';
        e.error = { code: 'WITHDRAWN', message: `${event.label}: withdrawn — another arm of wait first came first` };
      }
      break;
    }
    case 'region.cancelled':
    case 'region.completed': {
      // a region a `cancel`/`complete` ended early (one that ran to its end has no entry)
      const key = `region ${event.scope.endsWith('/') || !event.scope ? `${event.scope}${event.region}` : `${event.region}${event.scope}`}`;
      const e = entry(key) ?? pushEntry(entries, { key, kind: 'region', node: event.node, startedAt: event.time });
      const by = event.by.slice(event.by.indexOf('/') + 1);
      e.status = event.type === 'region.cancelled' ? 'cancelled' : 'succeeded';
      if (event.type === 'region.cancelled') e.error = { code: 'CANCELLED', message: `cancelled by ${by}` };
      else e.label = `${key} (completed by ${by})`;
      break;
    }
    case 'compensation.started':
      pushEntry(entries, { key: `undo ${event.step}`, kind: 'compensation', node: event.node, agent: event.agent, startedAt: event.time });
      break;
    case 'compensation.finished': {
      const e = entry(`undo ${event.step}`) ?? pushEntry(entries, { key: `undo ${event.step}`, kind: 'compensation', node: event.node, agent: event.agent, startedAt: event.time });
      e.status = event.status;
      e.durationMs = event.durationMs;
      if (event.output !== undefined) e.output = event.output;
      if (event.error) e.error = event.error;
      break;
    }
    case 'run.waiting':
      run.status = 'waiting';
      run.waitingOn = event.waitingOn;
      run.outputs = event.outputs;
      break;
    case 'run.succeeded':
      finishRun(run, 'succeeded', event.time, event.outputs);
      break;
    case 'run.failed':
      finishRun(run, 'failed', event.time, event.outputs);
      run.error = event.error;
      break;
    case 'run.cancelled':
      finishRun(run, 'cancelled', event.time, event.outputs);
      break;
    case 'branch.taken':
    case 'output.set':
    case 'value.recorded':
    case 'cancel.requested':
    case 'step.cancelRequested':
    case 'flow.completed':
      break;
  }
  return run;
}

/** Records an approval decision (from the log, or made in the editor before the continued run streams). */
export function decide(run: RunState, task: string, decision: string, by: string | undefined, time: string, node = ''): void {
  const entries = (run.entries ??= []);
  const e = entries.find((x) => x.key === task && x.kind === 'approval') ?? pushEntry(entries, { key: task, kind: 'approval', node, startedAt: time });
  e.status = decision === 'rejected' ? 'rejected' : 'approved';
  e.decision = decision;
  if (by !== undefined) e.by = by;
  e.durationMs = Math.max(0, Date.parse(time) - Date.parse(e.startedAt));
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

function pushEntry(entries: RunEntry[], base: Pick<RunEntry, 'key' | 'kind' | 'node' | 'startedAt'> & { agent?: string }): RunEntry {
  const e: RunEntry = { ...base, status: 'running', attempts: 1 };
  entries.push(e);
  return e;
}

/** The key of an event loop's entry: its admission key (`foreach@<node>#n`) without `#n`. */
function loopKey(key: string): string {
  return key.replace(/#\d+$/, '');
}

function finishWait(e: RunEntry, time: string): void {
  e.status = 'succeeded';
  e.durationMs = Math.max(0, Date.parse(time) - Date.parse(e.startedAt));
}

function finishRun(run: RunState, status: RunStatus, time: string, outputs: Record<string, JsonValue>): void {
  run.status = status;
  run.finishedAt = time;
  run.outputs = outputs;
  run.waitingOn = [];
}
