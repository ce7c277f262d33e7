// The Runs view's entries as a view of the protocol's run model (`foldRunEvent`): which entries an event touched,
// and each entry written from the model's step, wait, compensation or region state.
import { elapsedMs, regionKey, type JsonValue, type RunEvent, type RunModel, type WaitState } from '@baton/protocol';
import type { RunEntry } from './run-state.js';

/**
 * Where an entry's state lives in the model: a step, a tool call of a step's tool loop (by `<step>|<turn>|<callId>`),
 * an answer of a generating step (by `<step>|<attempt>`),
 * a wait (approvals by task), a compensation (by step) or a region.
 */
export type EntrySource = { from: 'step' | 'tool' | 'written' | 'wait' | 'compensation' | 'region'; key: string };

/** The model's states `event` changed, as entry sources (an event that changes none: []). O(1) except for a join or `run.waiting` (the run's event loops) and `run.migrated` (everything). */
export function touchedBy(event: RunEvent, model: RunModel): EntrySource[] {
  switch (event.type) {
    case 'step.started':
    case 'step.retrying':
    case 'step.finished':
      return [{ from: 'step', key: event.step }];
    case 'tool.started':
    case 'tool.finished':
      return [{ from: 'tool', key: `${event.step}|${event.turn}|${event.callId}` }];
    case 'flow.generated':
      return [{ from: 'written', key: `${event.step}|${event.attempt}` }];
    case 'compensation.started':
    case 'compensation.finished':
      return [{ from: 'compensation', key: event.step }];
    case 'approval.requested':
    case 'approval.decided':
      return [{ from: 'wait', key: event.task }];
    case 'wait.started':
    case 'timer.fired':
    case 'condition.waiting':
    case 'condition.met':
    case 'signal.received':
    case 'lock.requested':
    case 'lock.acquired':
    case 'lock.released':
    case 'wait.withdrawn':
      return [{ from: 'wait', key: event.key }];
    case 'event.waiting':
      return [{ from: 'wait', key: event.stream ? event.key.replace(/#\d+$/, '') : event.key }];
    case 'event.received': {
      if (!event.key) return [];
      const keys = [event.key, event.key.replace(/#\d+$/, ''), event.key.replace(/#end$/, '')];
      return [...new Set(keys)].map((key) => ({ from: 'wait', key }));
    }
    case 'join.reached':
    case 'run.waiting':
      return [...model.waits.values()].filter((w) => w.kind === 'eventLoop').map((w) => ({ from: 'wait', key: w.key }));
    case 'region.cancelled':
    case 'region.completed':
      return [{ from: 'region', key: regionKey(event.region, event.scope) }];
    default:
      return [];
  }
}

/**
 * The entry of `source` as the model has it now; undefined when the model has no such state (an event that ended
 * nothing it knew). `statements` names the cancel/complete statements that ended regions (node id → `cancel fulfil
 * (line 14)`, as `baton runs show --json` gives them); a statement it does not name is named by its node id's tail.
 */
export function entryOf(model: RunModel, source: EntrySource, statements?: Readonly<Record<string, string>>): RunEntry | undefined {
  switch (source.from) {
    case 'step': {
      const s = model.steps.get(source.key);
      if (!s) return undefined;
      return clean({ key: s.key, kind: 'step', node: s.node, agent: s.agent, status: s.status, attempts: s.attemptCount, durationMs: s.durationMs, startedAt: s.startedAt, output: s.output, error: s.error });
    }
    case 'tool': {
      // `<step>|<turn>|<callId>`: a line `tool <name>` after its step's, its step and turn beside it
      const [step, turn, ...id] = source.key.split('|');
      const s = model.steps.get(step);
      const t = s?.tools?.find((c) => c.turn === Number(turn) && c.callId === id.join('|'));
      if (!s || !t) return undefined;
      const status = t.status === 'refused' ? 'cancelled' : t.status;
      return clean({ key: `${step} · tool ${t.callId}`, kind: 'tool', label: `tool ${t.tool}`, node: s.node, agent: `${step} · turn ${t.turn}`, status, attempts: 1, durationMs: t.durationMs, startedAt: t.startedAt, output: t.output, error: t.error });
    }
    case 'written': {
      // `<step>|<attempt>`: a line `flow <name>` (accepted) or `flow` (refused: its first diagnostic) after its step's
      const [step, attempt] = source.key.split('|');
      const s = model.steps.get(step);
      const w = s?.written?.find((a) => a.attempt === Number(attempt));
      if (!s || !w) return undefined;
      const [first] = w.diagnostics;
      const error = first ? { code: first.code, message: `${first.line}:${first.column} ${first.message}${w.diagnostics.length > 1 ? ` (+${w.diagnostics.length - 1} more)` : ''}` } : undefined;
      const output: JsonValue = w.accepted ? { flow: w.flow ?? '', definition: w.definition ?? '', source: w.source } : { source: w.source };
      return clean({ key: `${step} · flow ${w.attempt}`, kind: 'flow', label: w.accepted ? `flow ${w.flow ?? ''}` : 'flow (refused)', node: s.node, agent: `${step} · attempt ${w.attempt}`, status: w.accepted ? 'succeeded' : 'cancelled', attempts: 1, startedAt: w.at, output, error });
    }
    case 'compensation': {
      const c = model.compensations.get(source.key);
      if (!c) return undefined;
      return clean({ key: `undo ${c.step}`, kind: 'compensation', node: c.node, agent: c.agent, status: c.status, attempts: 1, durationMs: c.durationMs, startedAt: c.startedAt, output: c.output, error: c.error });
    }
    case 'region': {
      const r = model.regions.get(source.key);
      if (!r) return undefined;
      const by = (statements && Object.hasOwn(statements, r.by) ? statements[r.by] : undefined) ?? r.by.slice(r.by.indexOf('/') + 1);
      return r.status === 'cancelled'
        ? { key: r.key, kind: 'region', node: r.node, status: 'cancelled', attempts: 1, startedAt: r.time, error: { code: 'CANCELLED', message: `cancelled by ${by}` } }
        : { key: r.key, kind: 'region', label: `${r.key} (completed by ${by})`, node: r.node, status: 'succeeded', attempts: 1, startedAt: r.time };
    }
    case 'wait': {
      const w = model.waits.get(source.key);
      return w ? waitEntry(w) : undefined;
    }
  }
}

function waitEntry(w: WaitState): RunEntry {
  const kind = w.kind === 'eventLoop' ? 'event' : w.kind;
  const entry: RunEntry = { key: w.key, kind, node: w.node, status: 'waiting', attempts: 1, startedAt: w.startedAt };
  if (kind !== 'approval') entry.label = w.label;
  if (w.endedAt !== undefined) entry.durationMs = elapsedMs(w.startedAt, w.endedAt);
  if (kind === 'approval') {
    if (w.prompt !== undefined) entry.prompt = w.prompt;
    if (w.assignee !== undefined) entry.assignee = w.assignee;
    if (w.options !== undefined) entry.options = w.options;
    if (w.decision !== undefined) entry.decision = w.decision;
    if (w.by !== undefined) entry.by = w.by;
  }
  switch (w.status) {
    case 'waiting':
      delete entry.durationMs;
      break;
    case 'held':
      entry.status = 'running';
      break;
    case 'withdrawn':
      entry.status = 'cancelled';
      entry.error = { code: 'WITHDRAWN', message: `${w.label}: withdrawn — another arm of wait first came first` };
      break;
    case 'done':
      entry.status = kind === 'approval' ? (w.decision === 'rejected' ? 'rejected' : 'approved') : 'succeeded';
      if (w.data !== undefined && kind === 'event') entry.output = w.data;
      break;
    case 'timedOut':
      entry.status = 'succeeded';
      if (w.kind === 'event') entry.error = { code: 'EVENT_TIMEOUT', message: `event "${w.event}" did not come before its deadline` };
      else if (w.kind === 'condition') entry.error = { code: 'CONDITION_TIMEOUT', message: `${w.label}: its timeout passed first (on timeout ran)` };
      else if (w.kind === 'signal') entry.error = { code: 'SIGNAL_TIMEOUT', message: `${w.label}: its timeout passed first (on timeout ran)` };
      else if (w.kind === 'lock') entry.error = { code: 'LOCK_TIMEOUT', message: `${w.label} did not come in time (on timeout ran)` };
      break;
  }
  return entry;
}

/** `entry` without its undefined fields (entries are compared and serialised as they are). */
function clean(entry: RunEntry): RunEntry {
  for (const k of Object.keys(entry) as (keyof RunEntry)[]) if (entry[k] === undefined) delete entry[k];
  return entry;
}
