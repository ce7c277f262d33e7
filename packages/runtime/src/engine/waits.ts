// The statements that wait — an approval, a timer (an external event: events.ts) — as the statement interpreter runs them:
// each is recorded once (replayed from the log after a resume), and a run that must wait stops with Suspended.
import type { ApprovalNode, EventDef, JsonValue, NewRunEvent, RunEvent, Statement, WaitingOn, WaitNode } from '@baton/protocol';
import { renderText, type EvalScope } from '../expr/evaluate.js';
import { makeRecord } from '../expr/values.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import type { ReplayLog } from './replay-log.js';
import { slaDeadlineOf } from './sla-late.js';

/** The run is waiting: for approvals, timers or events (`waits`); the interpreter stores it `waiting`. */
export class Suspended extends Error {
  constructor(readonly waits: WaitingOn[]) {
    super('waiting');
  }
}

/** What the waits use of the execution running them. */
export interface WaitHost {
  /** What the run's log already holds (requests, decisions, timers, events), for replay. */
  log: ReplayLog;
  /** The run's clock. */
  now(): Date;
  /** Timers up to this long (ms) are slept through instead of stopping the run. */
  shortWaitMs: number;
  /** Sleeps `ms`, or until `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Throws (through the promise) when the run is to stop; undefined when there was nothing to ask. */
  checkStop(frame: Frame): Promise<void> | undefined;
  evalScope(frame: Frame): EvalScope;
  /** Records an event (stored with the next commit). */
  emit(event: NewRunEvent): RunEvent;
  /** Records an event once per node and scope. */
  emitOnce(event: NewRunEvent & { node: string; scope: string }): void;
  /** Runs a block of statements (an approval's `on timeout`). */
  block(statements: Statement[], frame: Frame): Promise<void>;
  /** Commits what is recorded. */
  commit(): Promise<void>;
  /** The run's declared event types (`event "…" { … }`), by name. */
  eventTypes: Record<string, EventDef>;
  /** An approval decided after its SLA deadline with no breach in the log: records the breach (engine/sla-late.ts). */
  approvalBreachIfLate(task: string, node: Pick<ApprovalNode, 'id' | 'slaMs'>, slaDeadline: string | undefined, decidedAt: string): Promise<void>;
  /** Takes a kept broadcast for the wait `key` (see `RunStoreApi.takeBroadcast`); absent when the store keeps none. */
  takeBroadcast?: (key: string, event: string, where: { path: string[]; value: JsonValue } | undefined) => Promise<{ id: string; data: JsonValue } | undefined>;
}

export async function approvalStatement(host: WaitHost, s: ApprovalNode, frame: Frame): Promise<void> {
  const task = stepKey(frame, s.name);
  let decided = host.log.decisions.get(task);
  let requested = host.log.approvalsRequested.get(task);
  if (!decided && !requested) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    const scope = host.evalScope(frame);
    const deadline = s.timeoutMs !== undefined ? new Date(host.now().getTime() + s.timeoutMs).toISOString() : undefined;
    const slaDeadline = slaDeadlineOf(s.slaMs, host.now());
    const options = s.options?.length ? s.options : ['approved', 'rejected'];
    requested = host.emit({
      type: 'approval.requested',
      task,
      node: s.id,
      prompt: s.prompt ? renderText(s.prompt, scope) : undefined,
      assignee: s.assignee ? renderText(s.assignee, scope) : undefined,
      deadline,
      options,
      ...(slaDeadline ? { slaDeadline } : {}),
    }) as Extract<RunEvent, { type: 'approval.requested' }>;
  }
  if (!decided && requested?.deadline && host.now().getTime() >= Date.parse(requested.deadline)) {
    decided = host.emit({ type: 'approval.decided', task, node: s.id, decision: 'timeout', by: 'baton' }) as Extract<RunEvent, { type: 'approval.decided' }>;
  }
  if (!decided) {
    frame.scope.set(s.name, makeRecord([['output', null], ['status', 'waiting']]));
    const sla = requested!.slaDeadline && s.slaMs !== undefined ? { slaDeadline: requested!.slaDeadline, slaMs: s.slaMs } : {};
    throw new Suspended([{ kind: 'approval', task, node: s.id, assignee: requested!.assignee, prompt: requested!.prompt, deadline: requested!.deadline, options: requested!.options, ...sla }]);
  }
  await host.approvalBreachIfLate(task, s, requested?.slaDeadline, decided.time);
  const output = makeRecord([['decision', decided.decision], ['by', decided.by ?? null], ['comment', decided.comment ?? null]]);
  frame.scope.set(s.name, makeRecord([['output', output], ['status', 'succeeded']]));
  if (s.onTimeout) {
    // the escalation branch: taken when nobody decided in time (branch 0), else the decided arm (-1: the last)
    const timedOut = decided.decision === 'timeout';
    host.emitOnce({ type: 'branch.taken', node: s.id, scope: scopeKey(frame), branch: timedOut ? 0 : -1, label: timedOut ? `approval ${s.name} timed out → on timeout` : `approval ${s.name} decided` });
    if (timedOut) await host.block(s.onTimeout, frame);
  }
}

export async function waitStatement(host: WaitHost, s: WaitNode, frame: Frame): Promise<void> {
  const key = stepKey(frame, `wait@${s.id}`);
  if (host.log.timersFired.has(key)) return;
  let started = host.log.waitsStarted.get(key);
  if (!started) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    const until = new Date(host.now().getTime() + s.durationMs).toISOString();
    started = host.emit({ type: 'wait.started', key, node: s.id, durationMs: s.durationMs, until }) as Extract<RunEvent, { type: 'wait.started' }>;
    if (s.durationMs <= host.shortWaitMs) {
      await host.commit();
      await host.sleep(s.durationMs, frame.signal);
      const stopAfter = host.checkStop(frame);
      if (stopAfter) await stopAfter;
    }
  }
  if (host.now().getTime() >= Date.parse(started.until) || s.durationMs <= host.shortWaitMs) {
    host.emit({ type: 'timer.fired', key, node: s.id });
    return;
  }
  throw new Suspended([{ kind: 'timer', key, node: s.id, until: started.until }]);
}
