// `foreach x in event "name" [where path == value] [timeout D] [concurrency N] [first N [where …] | until <cond>] [keep] { … }`:
// multiple instances created at run time from events (WCP-15; with `until`, the dynamic partial join WCP-36).
//
// Every event of that name sent to the run (matching `where`) is kept in the run's log by the store
// (`event.buffered`: signal-rules.ts keeps it for the loop's open `stream` wait, whatever the run is doing), and the
// loop takes them in arrival order: admission n records `event.received { key: <loop>#n, bufferId }` — committed
// before instance n starts — so a resumed run admits the same instances from its log, no event is taken twice (a
// taken `bufferId` is never taken again) and none is lost (an event not yet taken stays in the log for the next
// admission). The arrivals end when the loop's `timeout` passes (`event.received { timedOut }` for the admission
// that found it) or when its join is reached (`join.reached`, as in joins.ts); the loop then waits for its running
// instances (the cancelled rest of a join is withdrawn, a kept one runs on as the owner's background work).
import { setMaxListeners } from 'node:events';
import { joinText, type EventBufferedEvent, type EventDef, type EventReceivedEvent, type EventWaitingEvent, type ForeachNode, type JsonValue, type RunEvent, type WaitingOn } from '@baton/protocol';
import { evaluate } from '../expr/evaluate.js';
import { makeRecord, truthy } from '../expr/values.js';
import { takeBufferedEvent } from './event-buffer.js';
import { keepsBroadcasts } from './events.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { ownedBlock, Withdrawn, withdrawnBy, type JoinHost, type Withdrawal } from './joins.js';
import { iterationLists } from './loops.js';
import { notRun, Scope } from './scope.js';
import { declaredNames, loopListNames } from './statements.js';
import { Stopped } from './stops.js';
import { Suspended } from './waits.js';

/** What an event loop uses of the execution running it: the joins' host plus what the event waits use. */
export interface EventLoopHost extends JoinHost {
  now(): Date;
  /** Throws (through the promise) when the run is to stop; undefined when there was nothing to ask. */
  checkStop(frame: Frame): Promise<void> | undefined;
  /** The run's declared event types, by name. */
  eventTypes: Record<string, EventDef>;
  /** Takes a kept broadcast for the admission `key` (see `RunStoreApi.takeBroadcast`); absent when the store keeps none. */
  takeBroadcast?: (key: string, event: string, where: { path: string[]; value: JsonValue } | undefined) => Promise<{ id: string; data: JsonValue } | undefined>;
  /** The events kept in the run's log by senders after `afterSeq` (see `RunStoreApi.keptEventsSince`); absent when the store cannot say. */
  keptSince?: (afterSeq: number) => Promise<EventBufferedEvent[]>;
}

/**
 * How often (ms) an event loop whose arrivals are open asks the store for events sent while its instances execute in
 * this process, so a new instance starts beside them instead of after them.
 */
export const EVENT_LOOP_POLL_MS = 200;

/** The key of admission `n` of an event loop: `foreach@<node id>#n` (with sub-flow prefix and loop indexes before `#`). */
export function eventLoopKey(frame: Frame, s: ForeachNode, n: number): string {
  return `${stepKey(frame, `foreach@${s.id}`)}#${n}`;
}

interface Instance {
  state: 'running' | 'succeeded' | 'failed' | 'waiting' | 'withdrawn';
  controller: AbortController;
  withdrawal: Withdrawal;
  waits: WaitingOn[];
  frame: Frame;
  done: Promise<void>;
}

/**
 * Runs an event `foreach` (see the file comment). Instances run side by side (at most `concurrency` at once, no
 * bound by default; a waiting instance keeps its slot); each reads the loop variable as `{ data, at }` of its
 * event; afterwards each step of the body reads as the list of its instances' views, in admission order.
 * Without a join, the first failing instance fails the loop (the others are aborted); with one, a failing instance
 * does not count, and the loop ends at its timeout whether or not the join was reached.
 * @throws Suspended with the loop's open arrivals (`WaitingOn` kind `event`, `stream`) and its instances' waits;
 *   the first failure; Stopped / Withdrawn at once.
 */
export async function eventForeachStatement(host: EventLoopHost, s: ForeachNode, frame: Frame): Promise<void> {
  const source = s.source!;
  const join = s.join;
  const scope = scopeKey(frame);
  const recorded = host.log.joins.get(`${s.id}|${scope}`);
  const label = join ? joinText(join) : '';
  const reason = `the join of foreach ${s.id}${scope ? ` ${scope}` : ''} was reached (${label})`;
  const limit = s.concurrency ?? Infinity;
  const names = declaredNames(s.body);
  const inner = loopListNames(s.body);
  const lists = iterationLists(frame.lists, s);
  const instances: Instance[] = [];
  const setLists = (): void => {
    for (const name of names) frame.scope.set(name, instances.map((i) => i.frame.scope.getLocal(name) ?? notRun(inner, name)));
  };

  // the loop opens once: its correlation value and deadline are recorded with its first admission's wait
  const firstKey = eventLoopKey(frame, s, 0);
  let opened = host.log.eventsWaiting.get(firstKey);
  if (!opened && !host.log.eventsReceived.has(firstKey)) {
    const stop = host.checkStop(frame);
    if (stop) await stop;
    const deadline = source.timeoutMs !== undefined ? new Date(host.now().getTime() + source.timeoutMs).toISOString() : undefined;
    const where = source.where ? { path: source.where.path, value: toJson(evaluate(source.where.value, host.evalScope(frame))) } : undefined;
    opened = host.emit({ type: 'event.waiting', key: firstKey, node: s.id, event: source.event, deadline, ...(where ? { where } : {}), stream: true }) as EventWaitingEvent;
  }
  const deadline = opened?.deadline;
  const where = opened?.where;
  // the terminating event (`until event "…"`): an ordinary event wait of the loop, opened with it
  const endKey = `${stepKey(frame, `foreach@${s.id}`)}#end`;
  let ending = host.log.eventsWaiting.get(endKey);
  if (source.end && !ending && !host.log.eventsReceived.has(endKey)) {
    const endWhere = source.end.where ? { path: source.end.where.path, value: toJson(evaluate(source.end.where.value, host.evalScope(frame))) } : undefined;
    ending = host.emit({ type: 'event.waiting', key: endKey, node: s.id, event: source.end.event, ...(endWhere ? { where: endWhere } : {}) }) as EventWaitingEvent;
  }
  /** Where the terminating event arrived in the run's log (its `seq`): events of the loop kept after it start no instance. */
  let endSeq: number | undefined;
  const checkEnd = (): void => {
    if (!source.end || endSeq !== undefined) return;
    let got = host.log.eventsReceived.get(endKey);
    const kept = !got && ending ? takeBufferedEvent(host.log, ending, host.now()) : undefined;
    if (kept) got = host.emit({ type: 'event.received', event: source.end.event, data: kept.data, key: endKey, node: s.id, buffered: true, bufferId: kept.id }) as EventReceivedEvent;
    if (got) endSeq = got.bufferId ? (host.log.eventsBuffered.find((b) => b.id === got.bufferId)?.seq ?? got.seq) : got.seq;
  };

  let reached = recorded !== undefined;
  let closed = false;
  let fatal: unknown;
  const counted: number[] = [];
  let wake: () => void = () => undefined;
  const open = (i: Instance): boolean => i.state === 'running' || i.state === 'waiting';
  const abortAll = (): void => {
    for (const i of instances) i.controller.abort();
  };
  frame.signal.addEventListener('abort', abortAll, { once: true });

  /**
   * Admission `n`: its event from the log, else the oldest kept one it takes now, else the timeout; `ended` once the
   * terminating event came and no event kept before it is left; undefined while none came.
   */
  const admit = async (n: number): Promise<EventReceivedEvent | 'ended' | undefined> => {
    const key = eventLoopKey(frame, s, n);
    const logged = host.log.eventsReceived.get(key);
    if (logged || reached) return logged;
    const withdrawal = withdrawnBy(frame);
    if (withdrawal) throw new Withdrawn(withdrawal);
    const now = host.now();
    checkEnd();
    let received: RunEvent | undefined;
    // an event kept after the deadline (or after the terminating event) came too late: the arrivals had ended (it stays in the log, untaken)
    const oldest = opened ? takeBufferedEvent(host.log, opened, now) : undefined;
    const buffered = oldest && (!deadline || Date.parse(oldest.time) <= Date.parse(deadline)) && (endSeq === undefined || oldest.seq < endSeq) ? oldest : undefined;
    if (buffered) received = host.emit({ type: 'event.received', event: source.event, data: buffered.data, key, node: s.id, buffered: true, bufferId: buffered.id, ...(buffered.by !== undefined ? { by: buffered.by } : {}) });
    else if (endSeq !== undefined) return 'ended';
    else if (host.takeBroadcast && keepsBroadcasts(host.eventTypes[source.event])) {
      const kept = await host.takeBroadcast(key, source.event, where);
      if (kept) received = host.emit({ type: 'event.received', event: source.event, data: kept.data, key, node: s.id, buffered: true, bufferId: `kept:${kept.id}` });
    }
    if (!received && deadline && now.getTime() >= Date.parse(deadline)) received = host.emit({ type: 'event.received', event: source.event, data: null, key, node: s.id, timedOut: true });
    // the admission is stored before its instance starts (or the loop goes on without arrivals)
    if (received) await host.commit();
    return received as EventReceivedEvent | undefined;
  };

  const reach = async (): Promise<void> => {
    reached = true;
    const rest = join!.rest;
    const withdrawn = rest === 'cancel' ? instances.flatMap((inst, i) => (open(inst) ? [i] : [])) : [];
    // the decision is recorded and committed before anything is withdrawn
    host.emitOnce({ type: 'join.reached', node: s.id, scope, counted: [...counted], rest, withdrawn, label });
    for (const i of withdrawn) instances[i].withdrawal.withdrawn = true;
    try {
      await host.commit();
    } finally {
      for (const i of withdrawn) {
        instances[i].controller.abort();
        instances[i].waits = [];
      }
    }
  };
  let reaching: Promise<void> | undefined;

  /** After instance `i` ended (`ok`: without failure): does it count, is the join reached? */
  const ended = (i: number, ok: boolean, error?: unknown): void => {
    const inst = instances[i];
    if (!join) {
      if (!ok && fatal === undefined) {
        fatal = error;
        abortAll();
      }
      return;
    }
    if (reached || fatal !== undefined) return;
    const partScope = host.evalScope(inst.frame);
    if (join.kind === 'first') {
      if (ok && (!join.where || truthy(evaluate(join.where, partScope)))) counted.push(i);
      if (counted.length >= join.count) reaching = reach();
    } else if (truthy(evaluate(join.condition, partScope))) {
      if (ok) counted.push(i);
      reaching = reach();
    }
  };

  const start = (n: number, event: EventReceivedEvent): void => {
    const withdrawal: Withdrawal = { withdrawn: recorded?.rest === 'cancel' && recorded.withdrawn.includes(n), reason, parent: frame.withdrawal };
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    if (frame.signal.aborted) controller.abort();
    const instanceScope = new Scope(frame.scope);
    instanceScope.set(s.variable, makeRecord([['data', event.data], ['at', event.time]]));
    const instanceFrame: Frame = { ...frame, scope: instanceScope, indexes: [...frame.indexes, n], signal: controller.signal, lists, withdrawal, concurrent: frame.concurrent || limit > 1 };
    const inst: Instance = { state: 'running', controller, withdrawal, waits: [], frame: instanceFrame, done: Promise.resolve() };
    instances.push(inst);
    // each instance is a strand of the run's milestones (state.ts) while it runs
    const strandEnded = host.milestones.fork(2);
    inst.done = ownedBlock(host, s.body, instanceFrame)
      .then(
        () => {
          inst.state = withdrawal.withdrawn ? 'withdrawn' : 'succeeded';
          ended(n, inst.state === 'succeeded');
        },
        (error: unknown) => {
          const outer = withdrawnBy(frame);
          if (error instanceof Stopped || (error instanceof Withdrawn && outer) || (outer && withdrawal.withdrawn)) {
            // a stop of the run, or the loop itself withdrawn: it ends as a whole
            inst.state = 'withdrawn';
            if (fatal === undefined) fatal = error instanceof Stopped || error instanceof Withdrawn ? error : new Withdrawn(outer!);
            abortAll();
          } else if (withdrawal.withdrawn) inst.state = 'withdrawn';
          else if (error instanceof Suspended) {
            inst.state = 'waiting';
            inst.waits = error.waits;
            if (error.waits.some((w) => w.kind !== 'condition' && w.kind !== 'signal')) host.milestones.externalWait = true;
          } else {
            inst.state = 'failed';
            ended(n, false, error);
          }
        },
      )
      .finally(() => {
        strandEnded();
        wake();
      });
  };

  let n = 0;
  let waitingFor: string | undefined;
  try {
    for (;;) {
      waitingFor = undefined;
      // admit what the log holds, or what has come, while slots are free and the arrivals are open
      while (fatal === undefined && !closed && instances.filter((i) => i.state === 'running' || i.state === 'waiting').length < limit) {
        const received = await admit(n);
        if (received === 'ended') {
          closed = true;
          break;
        }
        if (!received) {
          if (!reached) {
            waitingFor = eventLoopKey(frame, s, n);
            // the loop waits for something outside the run: a `wait until` in an instance is not deadlocked by it
            host.milestones.externalWait = true;
          }
          break;
        }
        if (received.timedOut) {
          closed = true;
          break;
        }
        start(n++, received);
      }
      if (reaching) await reaching;
      const running = instances.filter((i) => i.state === 'running');
      if (running.length === 0) break;
      // the loop only waits for its instances meanwhile (see Milestones.idle); one ending may free a slot or reach the join.
      // While its arrivals are open and a slot is free, it also looks for events kept meanwhile (sent while the run executes)
      const polling = host.keptSince !== undefined && waitingFor !== undefined && instances.filter(open).length < limit;
      let timer: NodeJS.Timeout | undefined;
      await host.milestones.idle(
        new Promise<void>((resolve) => {
          wake = resolve;
          if (polling) timer = setTimeout(resolve, EVENT_LOOP_POLL_MS);
        }),
      );
      clearTimeout(timer);
      wake = () => undefined;
      if (polling) await takeInKept(host);
      if (join?.rest === 'keep' && reached && fatal === undefined && frame.background) break;
    }
  } finally {
    frame.signal.removeEventListener('abort', abortAll);
  }
  if (reaching) await reaching;
  if (join?.rest === 'keep' && reached && fatal === undefined && frame.background && instances.some(open)) {
    // the rest runs on: the owner (flow body, loop iteration) waits for it before it ends
    setLists();
    frame.background.add(
      Promise.all(instances.map((i) => i.done)).then(() => {
        if (fatal instanceof Stopped || fatal instanceof Withdrawn) throw fatal;
        setLists();
        return instances.flatMap((i) => (i.state === 'waiting' ? i.waits : []));
      }),
      abortAll,
    );
    return;
  }
  await Promise.all(instances.map((i) => i.done));
  setLists();
  if (fatal !== undefined) throw fatal;
  const waits = instances.flatMap((i) => (i.state === 'waiting' ? i.waits : []));
  if (waitingFor && !reached && !closed) {
    // the arrivals are open: the run waits for the next event (or the loop's deadline) with its instances
    const wait: Extract<WaitingOn, { kind: 'event' }> = { kind: 'event', key: waitingFor, node: s.id, event: source.event, deadline, stream: true };
    if (where) wait.where = where;
    const data = host.eventTypes[source.event]?.data;
    if (data) wait.data = data;
    waits.unshift(wait);
    if (source.end && ending && !host.log.eventsReceived.has(endKey)) {
      // and for the terminating event, until it came (a second one must not move the end the log recorded)
      const end: Extract<WaitingOn, { kind: 'event' }> = { kind: 'event', key: endKey, node: s.id, event: source.end.event };
      if (ending.where) end.where = ending.where;
      const endData = host.eventTypes[source.end.event]?.data;
      if (endData) end.data = endData;
      waits.splice(1, 0, end);
    }
  }
  if (waits.length) throw new Suspended(waits);
}

/** Adds to the run's log the events senders kept for it since the last one it knows (see `RunStoreApi.keptEventsSince`). */
async function takeInKept(host: EventLoopHost): Promise<void> {
  const known = host.log.eventsBuffered;
  const after = known.reduce((max, b) => Math.max(max, b.seq), 0);
  for (const e of await host.keptSince!(after)) if (!known.some((b) => b.id === e.id)) host.log.add(e);
}

/** An evaluated value as JSON (records made by the evaluator have no prototype; JSON round-trips them). */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}
