// `wait first { on event … on approval … on timeout D … on signal s … }` as the statement interpreter runs it: an
// event-based choice (WCP-16 Deferred Choice). Every arm's wait opens at once, each recorded with the choice
// instance as its `group`; the first to come wins. Who won is decided once and recorded before anything follows
// from it: an approval decision or a delivered event by the store (which withdraws the group's other waits in the
// same transaction, so a second one is refused), a buffered event, a raised signal or a due timer by this engine;
// then `branch.taken` (the winning arm) and `wait.withdrawn` for every other arm are recorded and committed, and
// only then does the winner's body run. A resumed run reads the winner back from its log and never decides again.
import { choiceArmText, type ChoiceArm, type ChoiceNode, type JsonValue, type RunEvent, type WaitingOn } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { evaluate, renderText } from '../expr/evaluate.js';
import { makeRecord } from '../expr/values.js';
import { takeBufferedEvent } from './event-buffer.js';
import { keepsBroadcasts } from './events.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { slaDeadlineOf } from './sla-late.js';
import type { RaisedSignals } from './signals.js';
import type { Milestones } from './state.js';
import { Suspended, type WaitHost } from './waits.js';

/** What a `wait first` uses of the execution running it: the waits' host, the run's milestones and raised signals. */
export interface ChoiceHost extends WaitHost {
  milestones: Milestones;
  signals: RaisedSignals;
  /** The run's log as stored now (decisions and events others appended since this execution read it included). */
  storedEvents(): Promise<RunEvent[]>;
}

/** The key of a `wait first` instance (its arms' `group`): `choice@<node id>` with sub-flow prefix and loop indexes. */
export function choiceGroup(frame: Frame, s: ChoiceNode): string {
  return stepKey(frame, `choice@${s.id}`);
}

/**
 * The wait instance of an arm, as its plain statement would key it: an approval's task (its name), a named event's
 * name or `event@<arm id>`, `wait@<arm id>` for a timer, `signal@<arm id>` for a signal.
 */
export function choiceArmKey(frame: Frame, arm: ChoiceArm): string {
  switch (arm.kind) {
    case 'approval':
      return stepKey(frame, arm.name);
    case 'event':
      return stepKey(frame, arm.name ?? `event@${arm.id}`);
    case 'timer':
      return stepKey(frame, `wait@${arm.id}`);
    case 'signal':
      return stepKey(frame, `signal@${arm.id}`);
  }
}

/**
 * Runs one `wait first`. Named arms read, once it is decided: an event arm `{ data, status, at }` with status
 * `received` (the winner) or `withdrawn`; an approval arm `{ output: { decision, by, comment }, status }` with status
 * `succeeded` (the winner, whatever the decision) or `withdrawn` (output null). While it waits, `waiting`.
 * @throws Suspended with every arm's wait (each with `group`) while none came; BatonError `DEADLOCK` when its only
 *   arms are signals that nothing left in the run can raise, `CHOICE_WITHOUT_ARMS` for a choice of no arm.
 */
export async function choiceStatement(host: ChoiceHost, s: ChoiceNode, frame: Frame): Promise<void> {
  // (the grammar asks for an arm; a definition built otherwise would wait for nothing)
  if (s.arms.length === 0) throw new BatonError('CHOICE_WITHOUT_ARMS', `wait first ${s.id} has no arm: nothing could ever come`);
  const scope = scopeKey(frame);
  const keys = s.arms.map((arm) => choiceArmKey(frame, arm));
  let winner = host.log.branches.get(`${s.id}|${scope}`)?.branch ?? resolvedArm(host, s, keys);
  if (winner === undefined) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    open(host, s, frame, keys);
    winner = (await arrivedArm(host, s, frame, keys)) ?? (await awaitArm(host, s, frame, keys));
  }
  decide(host, s, frame, keys, winner);
  // the winning approval decided after its SLA deadline: the breach is recorded (engine/sla-late.ts)
  const won = s.arms[winner];
  const decided = won.kind === 'approval' ? host.log.decisions.get(keys[winner]) : undefined;
  if (won.kind === 'approval' && decided) await host.approvalBreachIfLate(keys[winner], won, host.log.approvalsRequested.get(keys[winner])?.slaDeadline, decided.time);
  await host.commit();
  await host.block(s.arms[winner].body, frame);
}

/** The arm the log says came (a decision, an event, a fired timer, a signal), the earliest by `seq`; undefined when none did. */
function resolvedArm(host: ChoiceHost, s: ChoiceNode, keys: string[]): number | undefined {
  let best: { arm: number; seq: number } | undefined;
  s.arms.forEach((arm, i) => {
    const seq = resolutionOf(host, arm, keys[i])?.seq;
    if (seq !== undefined && (!best || seq < best.seq)) best = { arm: i, seq };
  });
  return best?.arm;
}

/** The event that resolved arm `arm` (with the log position it has; a fired timer has no event kept by the log index). */
function resolutionOf(host: ChoiceHost, arm: ChoiceArm, key: string): { seq: number; event?: RunEvent } | undefined {
  switch (arm.kind) {
    case 'approval': {
      const e = host.log.decisions.get(key);
      return e && { seq: e.seq, event: e };
    }
    case 'event': {
      const e = host.log.eventsReceived.get(key);
      return e && { seq: e.seq, event: e };
    }
    case 'signal': {
      const e = host.log.signalsReceived.get(key);
      return e && { seq: e.seq, event: e };
    }
    case 'timer':
      // recorded by this engine with its `branch.taken`, in one commit: never behind another arm's resolution
      return host.log.timersFired.has(key) ? { seq: Number.MAX_SAFE_INTEGER } : undefined;
  }
}

/** Records each arm's request (`approval.requested`, `event.waiting`, `wait.started`) with the choice's group, once. */
function open(host: ChoiceHost, s: ChoiceNode, frame: Frame, keys: string[]): void {
  const group = choiceGroup(frame, s);
  const evalScope = host.evalScope(frame);
  s.arms.forEach((arm, i) => {
    const key = keys[i];
    if (arm.kind === 'approval' && !host.log.approvalsRequested.has(key)) {
      host.emit({
        type: 'approval.requested',
        task: key,
        node: arm.id,
        prompt: arm.prompt ? renderText(arm.prompt, evalScope) : undefined,
        assignee: arm.assignee ? renderText(arm.assignee, evalScope) : undefined,
        options: arm.options?.length ? arm.options : ['approved', 'rejected'],
        group,
        ...(arm.slaMs !== undefined ? { slaDeadline: slaDeadlineOf(arm.slaMs, host.now()) } : {}),
      });
    } else if (arm.kind === 'event' && !host.log.eventsWaiting.has(key)) {
      const where = arm.where ? { path: arm.where.path, value: toJson(evaluate(arm.where.value, evalScope)) } : undefined;
      host.emit({ type: 'event.waiting', key, node: arm.id, event: arm.event, ...(arm.name ? { name: arm.name } : {}), ...(where ? { where } : {}), group });
    } else if (arm.kind === 'timer' && !host.log.waitsStarted.has(key)) {
      host.emit({ type: 'wait.started', key, node: arm.id, durationMs: arm.durationMs, until: new Date(host.now().getTime() + arm.durationMs).toISOString(), group });
    }
  });
}

/**
 * An arm whose wait is over as it opens (or opens again after a resume), recorded as its resolution: an event kept
 * for the run before it waited (then a broadcast the store kept), a signal raised already, a timer due. Things that
 * were there first win over a timer that fell due.
 */
async function arrivedArm(host: ChoiceHost, s: ChoiceNode, frame: Frame, keys: string[]): Promise<number | undefined> {
  for (let i = 0; i < s.arms.length; i++) {
    const arm = s.arms[i];
    if (arm.kind !== 'event') continue;
    const waiting = host.log.eventsWaiting.get(keys[i])!;
    const buffered = takeBufferedEvent(host.log, waiting, host.now());
    if (buffered) {
      host.emit({ type: 'event.received', event: arm.event, data: buffered.data, key: keys[i], node: arm.id, buffered: true, bufferId: buffered.id, ...(buffered.by !== undefined ? { by: buffered.by } : {}) });
      return i;
    }
  }
  for (let i = 0; i < s.arms.length; i++) {
    const arm = s.arms[i];
    if (arm.kind !== 'event' || !host.takeBroadcast || !keepsBroadcasts(host.eventTypes[arm.event])) continue;
    const kept = await host.takeBroadcast(keys[i], arm.event, host.log.eventsWaiting.get(keys[i])!.where);
    if (kept) {
      host.emit({ type: 'event.received', event: arm.event, data: kept.data, key: keys[i], node: arm.id, buffered: true, bufferId: `kept:${kept.id}` });
      return i;
    }
  }
  const raised = s.arms.findIndex((arm) => arm.kind === 'signal' && host.signals.visible(frame, arm.signal));
  if (raised >= 0) return fire(host, s, keys, raised);
  const due = dueTimer(host, s, keys);
  if (due === undefined || host.now().getTime() < due.at) return undefined;
  // a decision or an event the store took for an arm after this execution read the log (the run was still
  // `waiting` then: the store accepted it) came before the timer is noticed here — it wins
  return (await storedResolution(host, s, keys)) ?? fire(host, s, keys, due.arm);
}

/**
 * The arm a decision or an event that the store recorded since this execution read the run's log resolved (that
 * event added to the log), or undefined. Asked only before a timer wins: a resume reads the log and then marks the run
 * `running`, and a sender the store served in between saw the run still waiting on every arm.
 */
async function storedResolution(host: ChoiceHost, s: ChoiceNode, keys: string[]): Promise<number | undefined> {
  // what this execution recorded goes first (a refusal of its writes stops it here, before it reads on)
  await host.commit();
  const ours = new Set(keys);
  for (const e of await host.storedEvents()) {
    if ((e.type === 'approval.decided' && ours.has(e.task) && !host.log.decisions.has(e.task)) || (e.type === 'event.received' && e.key !== undefined && ours.has(e.key) && !host.log.eventsReceived.has(e.key))) {
      host.log.add(e);
    }
  }
  return resolvedArm(host, s, keys);
}

/** The timer arm that falls due first, and when (ms since the epoch); undefined without timer arms. */
function dueTimer(host: ChoiceHost, s: ChoiceNode, keys: string[]): { arm: number; at: number } | undefined {
  let due: { arm: number; at: number } | undefined;
  s.arms.forEach((arm, i) => {
    if (arm.kind !== 'timer') return;
    const at = Date.parse(host.log.waitsStarted.get(keys[i])!.until);
    if (!due || at < due.at) due = { arm: i, at };
  });
  return due;
}

/** Records that the engine's own arm came — a timer (`timer.fired`) or a signal (`signal.received`) — and returns it. */
function fire(host: ChoiceHost, s: ChoiceNode, keys: string[], i: number): number {
  const arm = s.arms[i];
  if (arm.kind === 'timer') host.emit({ type: 'timer.fired', key: keys[i], node: arm.id });
  else if (arm.kind === 'signal') host.emit({ type: 'signal.received', key: keys[i], node: arm.id, name: arm.signal });
  return i;
}

/**
 * No arm has come: the choice waits. With a signal arm, in this process as a milestone over the signals (a sibling
 * branch may raise one; a timer arm is its deadline, slept through when short and nothing else can come); else,
 * a short timer that is the only thing to wait for is slept through; otherwise the run waits with every arm.
 */
async function awaitArm(host: ChoiceHost, s: ChoiceNode, frame: Frame, keys: string[]): Promise<number> {
  const external = s.arms.some((arm) => arm.kind === 'event' || arm.kind === 'approval');
  const due = dueTimer(host, s, keys);
  const suspend = (): never => {
    setWaitingViews(s, frame);
    throw new Suspended(waitsOf(host, s, frame, keys));
  };
  const sleepToTimer = async (): Promise<number> => {
    await host.commit();
    await host.sleep(Math.max(0, due!.at - host.now().getTime()), frame.signal);
    const stop = host.checkStop(frame);
    if (stop) await stop;
    return fire(host, s, keys, due!.arm);
  };
  const signalArms = s.arms.flatMap((arm, i) => (arm.kind === 'signal' ? [i] : []));
  if (signalArms.length === 0) {
    if (!external && due && due.at - host.now().getTime() <= host.shortWaitMs) return sleepToTimer();
    return suspend();
  }
  const raised = (): number => signalArms.find((i) => host.signals.visible(frame, (s.arms[i] as Extract<ChoiceArm, { kind: 'signal' }>).signal)) ?? -1;
  const how = await host.milestones.wait({ holds: () => raised() >= 0, deadline: due?.at, external }, frame.signal);
  if (typeof how === 'object') throw how.error;
  switch (how) {
    case 'met':
      return fire(host, s, keys, raised());
    case 'timeout':
      return fire(host, s, keys, due!.arm);
    case 'sleep':
      return sleepToTimer();
    case 'suspend':
      return suspend();
    case 'deadlock': {
      const names = signalArms.map((i) => (s.arms[i] as Extract<ChoiceArm, { kind: 'signal' }>).signal).join(', ');
      throw new BatonError('DEADLOCK', `wait first: nothing left in the run can raise signal ${names}, and it has no other arm that can come`);
    }
    case 'aborted': {
      const stopping = host.checkStop(frame);
      if (stopping) await stopping;
      throw new BatonError('STEP_CANCELLED', 'cancelled because a sibling branch failed');
    }
  }
}

/** The run's `waitingOn` entries of the choice: one per arm, each with the group. */
function waitsOf(host: ChoiceHost, s: ChoiceNode, frame: Frame, keys: string[]): WaitingOn[] {
  const group = choiceGroup(frame, s);
  return s.arms.map((arm, i): WaitingOn => {
    const key = keys[i];
    switch (arm.kind) {
      case 'approval': {
        const requested = host.log.approvalsRequested.get(key)!;
        const sla = requested.slaDeadline && arm.slaMs !== undefined ? { slaDeadline: requested.slaDeadline, slaMs: arm.slaMs } : {};
        return { kind: 'approval', task: key, node: arm.id, assignee: requested.assignee, prompt: requested.prompt, options: requested.options, group, ...sla };
      }
      case 'event': {
        const waiting = host.log.eventsWaiting.get(key)!;
        const wait: Extract<WaitingOn, { kind: 'event' }> = { kind: 'event', key, node: arm.id, event: arm.event, group };
        if (arm.name) wait.name = arm.name;
        if (waiting.where) wait.where = waiting.where;
        const data = host.eventTypes[arm.event]?.data;
        if (data) wait.data = data;
        return wait;
      }
      case 'timer':
        return { kind: 'timer', key, node: arm.id, until: host.log.waitsStarted.get(key)!.until, group };
      case 'signal':
        return { kind: 'signal', key, node: arm.id, signal: arm.signal, group };
    }
  });
}

/** While the choice waits, its named arms read as `waiting`. */
function setWaitingViews(s: ChoiceNode, frame: Frame): void {
  for (const arm of s.arms) {
    if (arm.kind === 'event' && arm.name) frame.scope.set(arm.name, makeRecord([['data', null], ['status', 'waiting'], ['at', null]]));
    else if (arm.kind === 'approval') frame.scope.set(arm.name, makeRecord([['output', null], ['status', 'waiting']]));
  }
}

/**
 * Records the decision once — `branch.taken` on the choice (the winner's index, `wait first → event x`), then
 * `wait.withdrawn` for every other arm — and sets the named arms' views.
 */
function decide(host: ChoiceHost, s: ChoiceNode, frame: Frame, keys: string[], winner: number): void {
  const scope = scopeKey(frame);
  const group = choiceGroup(frame, s);
  host.emitOnce({ type: 'branch.taken', node: s.id, scope, branch: winner, label: `wait first → ${choiceArmText(s.arms[winner])}` });
  s.arms.forEach((arm, i) => {
    if (i !== winner) host.emitOnce({ type: 'wait.withdrawn', key: keys[i], node: arm.id, scope, kind: arm.kind, label: choiceArmText(arm), group });
    const won = i === winner;
    if (arm.kind === 'event' && arm.name) {
      const received = won ? host.log.eventsReceived.get(keys[i]) : undefined;
      frame.scope.set(arm.name, makeRecord([['data', received?.data ?? null], ['status', won ? 'received' : 'withdrawn'], ['at', received?.time ?? null]]));
    } else if (arm.kind === 'approval') {
      const decided = won ? host.log.decisions.get(keys[i]) : undefined;
      const output = decided ? makeRecord([['decision', decided.decision], ['by', decided.by ?? null], ['comment', decided.comment ?? null]]) : null;
      frame.scope.set(arm.name, makeRecord([['output', output], ['status', won ? 'succeeded' : 'withdrawn']]));
    }
  });
}

/** An evaluated value as JSON (records made by the evaluator have no prototype; JSON round-trips them). */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}
