// One fold from a run's events to its state, for every view (see run-model-types.ts for the state's shape).
import type { JsonValue } from './ir.js';
import type { RunEvent, RunStatus, WaitingOn } from './events.js';
import { idRenamer } from './migrated-log.js';
import type { CompensationState, RunModel, SlaBreachState, StepState, ToolCallState, WaitKind, WaitState } from './run-model-types.js';
import { formatDurationLiteral } from './run-format.js';

export type * from './run-model-types.js';

/** An empty run state for `runId` (what {@link foldRunEvent} starts from). */
export function emptyRunModel(runId = ''): RunModel {
  return {
    runId,
    flow: '',
    status: 'running',
    inputs: {},
    outputs: {},
    waitingOn: [],
    resumes: 0,
    steps: new Map(),
    compensations: new Map(),
    waits: new Map(),
    branches: [],
    joins: [],
    regions: new Map(),
    locks: new Map(),
    signals: [],
    migrations: [],
    scopes: new Map(),
    buffered: new Map(),
    circuits: new Map(),
    slaBreaches: new Map(),
    totals: { stepsFinished: 0, tokens: 0, costUsd: 0, retries: 0 },
    lastSeq: 0,
    events: 0,
  };
}

/** The state of a run from its whole log (in `seq` order): `events` folded into {@link emptyRunModel}. O(events). */
export function runStateFrom(events: Iterable<RunEvent>): RunModel {
  let state: RunModel | undefined;
  for (const event of events) state = foldRunEvent(state ?? emptyRunModel(event.runId), event);
  return state ?? emptyRunModel();
}

// costs are summed in integer nano-dollars, so the total does not depend on the order parallel steps finish in
const costNanos = new WeakMap<RunModel, number>();

/**
 * Folds one event into `state` and returns it. The state is updated in place (O(1) amortised per event; a
 * `run.migrated` renames what was folded before, O(state) once): copy it first to keep the previous one. Pure
 * otherwise — no clock, no I/O; times come from the events.
 *
 * Events at or below `state.lastSeq` are ignored, so a stored log can be folded over a live state without doubling
 * anything; an event type this version does not know (a newer writer's) and an event missing fields it should have
 * are ignored too — the fold never throws on its input.
 */
export function foldRunEvent(state: RunModel, event: RunEvent): RunModel {
  if (!event || typeof event !== 'object' || typeof event.seq !== 'number' || event.seq <= state.lastSeq) return state;
  state.lastSeq = event.seq;
  state.events++;
  if (!state.runId && typeof event.runId === 'string') state.runId = event.runId;
  try {
    apply(state, event);
  } catch {
    // a malformed event (a field of the wrong shape): what it could not say is left as it was
  }
  return state;
}

function apply(s: RunModel, event: RunEvent): void {
  switch (event.type) {
    case 'run.started':
      s.flow = event.flow;
      s.status = 'running';
      s.startedAt = event.time;
      s.inputs = event.inputs ?? {};
      if (event.file) s.file = event.file;
      if (event.agents?.mode) s.agentsMode = event.agents.mode;
      if (event.slaDeadline !== undefined) s.slaDeadline = event.slaDeadline;
      break;
    case 'run.resumed':
      if (event.flow) s.flow = event.flow;
      s.status = 'running';
      s.resumes++;
      s.waitingOn = [];
      delete s.finishedAt;
      delete s.error;
      if (event.agents?.mode) s.agentsMode = event.agents.mode;
      break;
    case 'step.started': {
      const existing = s.steps.get(event.step);
      if (existing) {
        if (isEnded(existing.status)) s.totals.stepsFinished--;
        existing.status = 'running';
        delete existing.endedAt;
        delete existing.error;
        const last = existing.attempts[existing.attempts.length - 1];
        // after a resume, the attempt the stopped process left open is the one that runs again
        if (!last || last.endedAt !== undefined) {
          existing.attempts.push({ attempt: existing.attempts.length + 1, startedAt: event.time });
          existing.attemptCount = 1;
        }
      } else {
        s.steps.set(event.step, {
          key: event.step,
          node: event.node,
          agent: event.agent,
          target: event.target === 'flow' ? 'flow' : 'agent',
          status: 'running',
          attempts: [{ attempt: 1, startedAt: event.time }],
          attemptCount: 1,
          startedAt: event.time,
          tokens: 0,
        });
      }
      if (event.target === 'flow' && !s.scopes.has(event.step)) s.scopes.set(event.step, { key: event.step, flow: event.agent, node: event.node });
      const step = s.steps.get(event.step);
      if (step && event.prompt !== undefined) {
        step.prompt = event.prompt;
        if (event.promptTruncated) step.promptTruncated = true;
        else delete step.promptTruncated;
      }
      break;
    }
    case 'step.retrying': {
      const step = stepOf(s, event.step, event.node, event.agent, event.time);
      step.status = 'retrying';
      step.error = event.error;
      const attempt = attemptOf(step, event.time);
      attempt.endedAt = event.time;
      attempt.error = event.error;
      const next = Date.parse(event.time) + (event.delayMs ?? 0);
      step.attempts.push({ attempt: step.attempts.length + 1, startedAt: Number.isFinite(next) ? new Date(next).toISOString() : event.time });
      step.attemptCount = event.attempt + 1;
      s.totals.retries++;
      break;
    }
    case 'step.finished': {
      const step = stepOf(s, event.step, event.node, event.agent, event.time);
      if (!isEnded(step.status)) s.totals.stepsFinished++;
      step.status = event.status;
      step.endedAt = event.time;
      step.durationMs = event.durationMs;
      const attempt = attemptOf(step, event.time);
      attempt.endedAt = event.time;
      step.attemptCount = event.attempts ?? step.attemptCount;
      if (event.error) attempt.error = event.error;
      if (event.output !== undefined) step.output = event.output;
      if (event.error) step.error = event.error;
      else delete step.error;
      if (event.tokens) {
        step.tokens += event.tokens;
        s.totals.tokens += event.tokens;
      }
      if (event.costUsd !== undefined) {
        step.costUsd = (step.costUsd ?? 0) + event.costUsd;
        const nanos = (costNanos.get(s) ?? 0) + Math.round(event.costUsd * 1e9);
        costNanos.set(s, nanos);
        s.totals.costUsd = nanos / 1e9;
      }
      break;
    }
    case 'step.cancelRequested': {
      const step = s.steps.get(event.step);
      if (step) step.cancelRequestedBy = event.by;
      break;
    }
    case 'compensation.started':
      s.compensations.set(event.step, { step: event.step, node: event.node, agent: event.agent, status: 'running', startedAt: event.time });
      break;
    case 'compensation.finished': {
      let undo: CompensationState | undefined = s.compensations.get(event.step);
      if (!undo) s.compensations.set(event.step, (undo = { step: event.step, node: event.node, agent: event.agent, status: 'running', startedAt: event.time }));
      undo.status = event.status;
      undo.endedAt = event.time;
      undo.durationMs = event.durationMs;
      if (event.output !== undefined) undo.output = event.output;
      if (event.error) undo.error = event.error;
      break;
    }
    case 'approval.requested': {
      const w = open(s, event.task, 'approval', event.node, event.task, event.time);
      w.options = event.options;
      if (event.prompt !== undefined) w.prompt = event.prompt;
      if (event.assignee !== undefined) w.assignee = event.assignee;
      if (event.deadline !== undefined) w.deadline = event.deadline;
      if (event.group !== undefined) w.group = event.group;
      if (event.slaDeadline !== undefined) w.slaDeadline = event.slaDeadline;
      if (event.toolCall) w.toolCall = { step: event.toolCall.step, id: event.toolCall.id, tool: event.toolCall.tool, arguments: event.toolCall.arguments };
      break;
    }
    case 'turn.finished': {
      const step = s.steps.get(event.step);
      if (!step) break;
      const turns = (step.turns ??= []);
      const turn = { turn: event.turn, final: event.final, calls: event.calls.length, tokens: event.tokens, at: event.time, ...(event.text !== undefined ? { text: event.text } : {}) };
      const at = turns.findIndex((t) => t.turn === event.turn);
      if (at >= 0) turns[at] = turn;
      else turns.push(turn);
      break;
    }
    case 'tool.started': {
      const call = toolCallOf(s, event.step, event.turn, event.callId, event.tool, event.time);
      if (!call) break;
      call.status = 'running';
      call.target = event.target;
      call.arguments = event.arguments;
      call.startedAt = event.time;
      delete call.endedAt;
      delete call.error;
      if (event.childRun) {
        call.childRun = event.childRun;
        // a flow tool's steps are a sub-flow's, under <step>/<callId>/ (a flow tool is named by its flow)
        if (!s.scopes.has(event.childRun)) s.scopes.set(event.childRun, { key: event.childRun, flow: event.tool, node: event.node });
      }
      break;
    }
    case 'flow.generated': {
      const step = s.steps.get(event.step);
      if (!step) break;
      const written = (step.written ??= []);
      const state = { attempt: event.attempt, accepted: event.accepted, diagnostics: event.diagnostics, source: event.source, at: event.time, ...(event.flow !== undefined ? { flow: event.flow } : {}), ...(event.definition !== undefined ? { definition: event.definition } : {}) };
      const at = written.findIndex((w) => w.attempt === event.attempt);
      if (at >= 0) written[at] = state;
      else written.push(state);
      break;
    }
    case 'tool.finished': {
      const call = toolCallOf(s, event.step, event.turn, event.callId, event.tool, event.time);
      if (!call) break;
      call.status = event.status;
      call.endedAt = event.time;
      call.durationMs = event.durationMs;
      call.tokens = event.tokens ?? 0;
      if (event.output !== undefined) call.output = event.output;
      if (event.error) call.error = event.error;
      break;
    }
    case 'approval.decided':
      decideApproval(s, event.task, event.decision, event.by, event.time, event.node, event.comment);
      break;
    case 'wait.started': {
      const w = open(s, event.key, 'timer', event.node, `wait ${formatDurationLiteral(event.durationMs)}`, event.time);
      w.deadline = event.until;
      if (event.group !== undefined) w.group = event.group;
      break;
    }
    case 'timer.fired':
      close(s.waits.get(event.key), 'done', event.time);
      break;
    case 'event.waiting': {
      const key = event.stream ? loopKey(event.key) : event.key;
      const w = open(s, key, event.stream ? 'eventLoop' : 'event', event.node, event.stream ? `foreach … in event ${event.event}` : `event ${event.event}`, event.time);
      w.event = event.event;
      if (event.deadline !== undefined) w.deadline = event.deadline;
      if (event.group !== undefined) w.group = event.group;
      break;
    }
    case 'event.received':
      receive(s, event);
      break;
    case 'event.buffered':
      s.buffered.set(event.id, { id: event.id, event: event.event, data: event.data, expires: event.expires, taken: false });
      break;
    case 'condition.waiting': {
      const w = open(s, event.key, 'condition', event.node, `wait until ${event.condition}`, event.time);
      if (event.deadline !== undefined) w.deadline = event.deadline;
      break;
    }
    case 'condition.met':
      close(s.waits.get(event.key), event.timedOut ? 'timedOut' : 'done', event.time);
      break;
    case 'signal.raised':
      s.signals.push({ name: event.name, node: event.node, scope: event.scope, time: event.time });
      break;
    case 'signal.received': {
      // a `wait signal` that had to wait: known once it passed (the run's waitingOn says it waits before)
      const w = s.waits.get(event.key) ?? open(s, event.key, 'signal', event.node, `wait signal ${event.name}`, event.time);
      close(w, event.timedOut ? 'timedOut' : 'done', event.time);
      break;
    }
    case 'lock.requested': {
      const w = open(s, event.key, 'lock', event.node, `lock "${event.name}"`, event.time);
      w.lock = event.name;
      if (event.holder !== undefined) w.holder = event.holder;
      if (event.deadline !== undefined) w.deadline = event.deadline;
      s.locks.set(event.key, { key: event.key, name: event.name, node: event.node, status: 'requested', requestedAt: event.time, holder: event.holder, deadline: event.deadline });
      break;
    }
    case 'lock.acquired': {
      const w = s.waits.get(event.key) ?? open(s, event.key, 'lock', event.node, `lock "${event.name}"`, event.time);
      w.lock = event.name;
      w.status = 'held';
      const lock = s.locks.get(event.key) ?? { key: event.key, name: event.name, node: event.node, status: 'requested' as const, requestedAt: event.time };
      lock.status = 'held';
      lock.acquiredAt = event.time;
      s.locks.set(event.key, lock);
      break;
    }
    case 'lock.released': {
      const w = s.waits.get(event.key) ?? open(s, event.key, 'lock', event.node, `lock "${event.name}"`, event.time);
      w.lock = event.name;
      close(w, event.timedOut ? 'timedOut' : 'done', event.time);
      const lock = s.locks.get(event.key) ?? { key: event.key, name: event.name, node: event.node, status: 'requested' as const, requestedAt: event.time };
      lock.status = event.timedOut ? 'timedOut' : 'released';
      lock.releasedAt = event.time;
      s.locks.set(event.key, lock);
      break;
    }
    case 'wait.withdrawn':
      close(s.waits.get(event.key), 'withdrawn', event.time);
      break;
    case 'branch.taken':
      s.branches.push({ node: event.node, scope: event.scope ?? '', branch: event.branch, label: event.label, time: event.time });
      break;
    case 'join.reached': {
      s.joins.push({ node: event.node, scope: event.scope ?? '', counted: event.counted ?? [], rest: event.rest, withdrawn: event.withdrawn ?? [], label: event.label, time: event.time });
      // an event loop's join ends its arrivals
      for (const w of s.waits.values()) if (w.kind === 'eventLoop' && w.node === event.node && w.status === 'waiting') close(w, 'done', event.time);
      break;
    }
    case 'region.cancelled':
    case 'region.completed': {
      const key = regionKey(event.region, event.scope ?? '');
      s.regions.set(key, { key, region: event.region, scope: event.scope ?? '', node: event.node, status: event.type === 'region.cancelled' ? 'cancelled' : 'completed', by: event.by, time: event.time });
      break;
    }
    case 'flow.completed': {
      const scope = event.scope ? s.scopes.get(event.scope.slice(0, -1)) : undefined;
      if (scope) {
        scope.completedAt = event.time;
        scope.completedBy = event.node;
      }
      break;
    }
    case 'sla.breached':
      breach(s, event);
      break;
    case 'circuit.changed':
      s.circuits.set(event.agent, { agent: event.agent, state: event.state, failures: event.failures, until: event.until });
      break;
    case 'run.migrated':
      s.migrations.push({ from: event.from, to: event.to, flow: event.flow, renamed: event.renamed ?? {}, by: event.by, time: event.time });
      if (event.flow) s.flow = event.flow;
      if (event.file) s.file = event.file;
      renameAll(s, event.renamed ?? {});
      break;
    case 'run.waiting':
      s.status = 'waiting';
      s.waitingOn = event.waitingOn ?? [];
      s.outputs = event.outputs ?? s.outputs;
      // an event loop whose arrivals are open waits again for its next event
      for (const w of s.waitingOn) if (w.kind === 'event' && w.stream) reopenLoop(s, w);
      break;
    case 'run.succeeded':
      finish(s, 'succeeded', event.time, event.outputs);
      break;
    case 'run.failed':
      finish(s, 'failed', event.time, event.outputs);
      s.error = event.error;
      break;
    case 'run.cancelled':
      finish(s, 'cancelled', event.time, event.outputs);
      break;
    default:
      // output.set, var.set, value.recorded, cancel.requested: no state of their own; newer types: ignored
      break;
  }
}

/**
 * Records an approval decision in `state`: from the log, or one made by a view before the continued run's events
 * arrive. The wait is `done` with `decision` (any option; `rejected` is one), and leaves `waitingOn`.
 */
export function decideApproval(state: RunModel, task: string, decision: string, by: string | undefined, time: string, node = '', comment?: string): WaitState {
  const w = state.waits.get(task) ?? open(state, task, 'approval', node, task, time);
  close(w, 'done', time);
  w.decision = decision;
  if (by !== undefined) w.by = by;
  if (comment !== undefined) w.comment = comment;
  state.waitingOn = state.waitingOn.filter((x) => !(x.kind === 'approval' && x.task === task));
  return w;
}

/** The tool call `callId` of turn `turn` of step `key`'s loop, made when first seen; undefined for an unknown step. */
function toolCallOf(s: RunModel, key: string, turn: number, callId: string, tool: string, time: string): ToolCallState | undefined {
  const step = s.steps.get(key);
  if (!step) return undefined;
  const calls = (step.tools ??= []);
  let call = calls.find((c) => c.turn === turn && c.callId === callId);
  if (!call) calls.push((call = { turn, callId, tool, status: 'running', startedAt: time, tokens: 0 }));
  return call;
}

/** Whether a step status is an end (`succeeded`, `failed`, `skipped`, `cancelled`). */
export function isEnded(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}

/** The waits still open (status `waiting`), in the order they opened. */
export function openWaits(state: RunModel): WaitState[] {
  return [...state.waits.values()].filter((w) => w.status === 'waiting');
}

/** `region <scope><name>` (a sub-flow's `incident/`-prefixed scope before the name, loop indexes after it). */
export function regionKey(region: string, scope: string): string {
  return `region ${scope.endsWith('/') || !scope ? `${scope}${region}` : `${region}${scope}`}`;
}

function stepOf(s: RunModel, key: string, node: string, agent: string, time: string): StepState {
  let step = s.steps.get(key);
  if (!step) {
    step = { key, node, agent, target: 'agent', status: 'running', attempts: [{ attempt: 1, startedAt: time }], attemptCount: 1, startedAt: time, tokens: 0 };
    s.steps.set(key, step);
  }
  return step;
}

/** The attempt an end belongs to: the open one, or (a log read from the middle) a new one ending now. */
function attemptOf(step: StepState, time: string): StepState['attempts'][number] {
  const last = step.attempts[step.attempts.length - 1];
  if (last && last.endedAt === undefined) return last;
  const attempt = { attempt: step.attempts.length + 1, startedAt: time };
  step.attempts.push(attempt);
  return attempt;
}

function open(s: RunModel, key: string, kind: WaitKind, node: string, label: string, time: string): WaitState {
  let w = s.waits.get(key);
  if (!w) {
    w = { key, kind, node, status: 'waiting', label, startedAt: time };
    s.waits.set(key, w);
  } else {
    w.status = 'waiting';
    w.label = label;
    delete w.endedAt;
  }
  return w;
}

function close(w: WaitState | undefined, status: WaitState['status'], time: string): void {
  if (!w) return;
  w.status = status;
  w.endedAt = time;
}

/** The key of an event loop's arrivals: its admission key (`foreach@<node>#n`) without `#n`. */
function loopKey(key: string): string {
  return key.replace(/#\d+$/, '');
}

function receive(s: RunModel, event: Extract<RunEvent, { type: 'event.received' }>): void {
  if (event.bufferId) {
    const kept = s.buffered.get(event.bufferId);
    if (kept) kept.taken = true;
  }
  const key = event.key;
  if (!key) return;
  const loop = /#\d+$/.test(key) ? s.waits.get(loopKey(key)) : undefined;
  if (loop?.kind === 'eventLoop') {
    if (event.timedOut) return close(loop, 'timedOut', event.time);
    const n = Number(key.slice(key.lastIndexOf('#') + 1));
    loop.admitted = (loop.admitted ?? 0) + 1;
    const admitted = open(s, key, 'event', event.node ?? loop.node, `event ${event.event} → instance ${n + 1}`, event.time);
    admitted.event = event.event;
    admitted.data = event.data;
    close(admitted, 'done', event.time);
    return;
  }
  // the terminating event (`until event`) ends the loop's arrivals too
  const ended = key.endsWith('#end') ? s.waits.get(key.slice(0, -'#end'.length)) : undefined;
  if (ended?.status === 'waiting') close(ended, 'done', event.time);
  const w = s.waits.get(key);
  if (!w) return;
  close(w, event.timedOut ? 'timedOut' : 'done', event.time);
  if (!event.timedOut) w.data = event.data as JsonValue;
  if (event.by !== undefined) w.by = event.by;
}

function breach(s: RunModel, event: Extract<RunEvent, { type: 'sla.breached' }>): void {
  if (typeof event.key !== 'string' || s.slaBreaches.has(event.key)) return;
  const task = event.key.startsWith('approval:') ? event.key.slice('approval:'.length) : undefined;
  s.slaBreaches.set(event.key, { key: event.key, kind: task === undefined ? 'flow' : 'approval', node: event.node, task, scope: event.scope ?? '', slaMs: event.slaMs, deadline: event.deadline, time: event.time });
  const w = task === undefined ? undefined : s.waits.get(task);
  if (w) {
    w.slaBreachedAt = event.time;
    w.slaDeadline ??= event.deadline;
  }
}

function reopenLoop(s: RunModel, wait: Extract<WaitingOn, { kind: 'event' }>): void {
  const w = s.waits.get(loopKey(wait.key));
  if (w?.kind === 'eventLoop' && w.status !== 'timedOut') w.status = 'waiting';
}

function finish(s: RunModel, status: RunStatus, time: string, outputs: Record<string, JsonValue> | undefined): void {
  s.status = status;
  s.finishedAt = time;
  s.outputs = outputs ?? s.outputs;
  s.waitingOn = [];
}

/** A `run.migrated`: the node ids (and the keys made of them) folded so far are renamed to the new definition's. */
function renameAll(s: RunModel, renamed: Record<string, string>): void {
  const rename = idRenamer(renamed);
  if (!rename) return;
  const rekey = <T extends { node: string }>(map: Map<string, T>, keyField?: keyof T): Map<string, T> => {
    const next = new Map<string, T>();
    for (const [key, value] of map) {
      value.node = rename(value.node);
      const newKey = rename(key);
      if (keyField) (value as Record<keyof T, unknown>)[keyField] = newKey;
      next.set(newKey, value);
    }
    return next;
  };
  s.steps = rekey(s.steps, 'key');
  s.compensations = rekey(s.compensations, 'step');
  s.waits = rekey(s.waits, 'key');
  s.regions = rekey(s.regions);
  s.locks = rekey(s.locks, 'key');
  s.scopes = rekey(s.scopes, 'key');
  for (const b of s.branches) b.node = rename(b.node);
  for (const j of s.joins) j.node = rename(j.node);
  for (const sig of s.signals) sig.node = rename(sig.node);
  const breaches = new Map<string, SlaBreachState>();
  for (const b of s.slaBreaches.values()) {
    if (b.task !== undefined) {
      b.node = rename(b.node);
      b.task = rename(b.task);
      b.key = `approval:${b.task}`;
    }
    breaches.set(b.key, b);
  }
  s.slaBreaches = breaches;
}
