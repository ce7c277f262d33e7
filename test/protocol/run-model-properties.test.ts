// Properties of the run fold (fast-check, bounded runs): the order parallel branches interleave in does not change
// the state; folding piece by piece is folding the whole log; unknown or malformed events never throw.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { emptyRunModel, foldRunEvent, runStateFrom, type NewRunEvent, type RunEvent, type RunModel } from '../../packages/protocol/src/index.js';
import { RUN, t } from './run-events.js';

type Timed = NewRunEvent & { at: number };

/** What one branch of a `parallel` does: steps (some retried, some failing or withdrawn, with tokens and cost), and maybe an approval, a timer, a lock and a signal. */
const branchArb = (b: number) =>
  fc.record({
    steps: fc.array(fc.record({ retries: fc.nat(2), status: fc.constantFrom('succeeded', 'failed', 'cancelled', 'skipped'), tokens: fc.nat(5000), costMicros: fc.option(fc.nat(100_000)) }), { minLength: 1, maxLength: 4 }),
    approval: fc.boolean(),
    timer: fc.boolean(),
    lock: fc.boolean(),
    signal: fc.boolean(),
  }).map((spec) => {
    const events: Timed[] = [];
    let at = 1 + b * 0.001;
    const push = (e: NewRunEvent): void => {
      events.push({ ...e, at });
      at += 1;
    };
    spec.steps.forEach((s, j) => {
      const step = `b${b}s${j}`;
      const node = `Flow/parallel@0.${b}.${j}`;
      push({ type: 'step.started', step, node, agent: 'a', target: 'agent' });
      for (let r = 1; r <= s.retries; r++) push({ type: 'step.retrying', step, node, agent: 'a', attempt: r, delayMs: 10, error: { code: 'E', message: `try ${r}` }, callIndex: r - 1 });
      push({ type: 'step.finished', step, node, agent: 'a', status: s.status as 'succeeded', durationMs: 100, attempts: s.retries + 1, tokens: s.tokens, ...(s.costMicros === null ? {} : { costUsd: s.costMicros / 1e6 }), callIndexes: [], ...(s.status === 'failed' ? { error: { code: 'E', message: 'no' } } : { output: j }) });
    });
    if (spec.approval) {
      push({ type: 'approval.requested', task: `ok${b}`, node: `Flow/ok${b}`, options: ['approved', 'rejected'] });
      push({ type: 'approval.decided', task: `ok${b}`, node: `Flow/ok${b}`, decision: 'approved', by: 'u' });
    }
    if (spec.timer) {
      push({ type: 'wait.started', key: `wait@${b}`, node: `Flow/w${b}`, durationMs: 5000, until: t(at + 5) });
      push({ type: 'timer.fired', key: `wait@${b}`, node: `Flow/w${b}` });
    }
    if (spec.lock) {
      push({ type: 'lock.requested', key: `lock@${b}`, node: `Flow/l${b}`, name: 'db' });
      push({ type: 'lock.acquired', key: `lock@${b}`, node: `Flow/l${b}`, name: 'db' });
      push({ type: 'lock.released', key: `lock@${b}`, node: `Flow/l${b}`, name: 'db' });
    }
    if (spec.signal) push({ type: 'signal.raised', node: `Flow/sig${b}`, scope: '', name: `s${b}` });
    return events;
  });

/** A run with a `parallel` of 2–4 branches and a scheduler: which branch's next event comes next. */
const runArb = fc.integer({ min: 2, max: 4 }).chain((n) =>
  fc.tuple(fc.tuple(...Array.from({ length: n }, (_, b) => branchArb(b))), fc.array(fc.nat(), { minLength: 200, maxLength: 200 })),
);

/** The run's log: the branches' events interleaved as `schedule` says, between a start and an end; seq in log order. */
function interleave(branches: Timed[][], schedule: number[]): RunEvent[] {
  const queues = branches.map((b) => [...b]);
  const body: Timed[] = [];
  let i = 0;
  for (let live = queues.filter((q) => q.length); live.length; live = queues.filter((q) => q.length)) body.push(live[(schedule[i++ % schedule.length] ?? 0) % live.length].shift()!);
  const all: Timed[] = [{ type: 'run.started', flow: 'Flow', inputs: {}, at: 0 }, ...body, { type: 'run.succeeded', outputs: { n: branches.length }, at: 1000 }];
  return all.map(({ at, ...e }, k) => ({ ...e, runId: RUN, seq: k + 1, time: t(at) }) as RunEvent);
}

/** The state without the order things were first seen in (maps and lists sorted) nor the log's length. */
function canonical(s: RunModel): unknown {
  const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
  const map = (m: Map<string, unknown>) => sorted([...m.entries()]);
  return {
    ...s,
    lastSeq: 0,
    events: 0,
    steps: map(s.steps),
    compensations: map(s.compensations),
    waits: map(s.waits),
    regions: map(s.regions),
    locks: map(s.locks),
    scopes: map(s.scopes),
    buffered: map(s.buffered),
    circuits: map(s.circuits),
    branches: sorted(s.branches),
    joins: sorted(s.joins),
    signals: sorted(s.signals),
  };
}

describe('run model: properties of the fold', () => {
  it('events in any interleaving of parallel branches give the same final state', () => {
    fc.assert(
      fc.property(runArb, fc.array(fc.nat(), { minLength: 200, maxLength: 200 }), ([branches, one], other) => {
        const a = runStateFrom(interleave(branches, one));
        const b = runStateFrom(interleave(branches, other));
        assert.deepEqual(canonical(a), canonical(b));
      }),
      { numRuns: 200 },
    );
  });

  it('folding a log piece by piece (and a stored log over a live state) equals folding it whole', () => {
    fc.assert(
      fc.property(runArb, fc.nat(), fc.nat(), ([branches, schedule], cut, overlap) => {
        const events = interleave(branches, schedule);
        const whole = runStateFrom(events);
        const k = cut % (events.length + 1);
        const live = runStateFrom(events.slice(0, k));
        // the live state, then the stored log from somewhere before where the live one stopped
        for (const e of events.slice(Math.max(0, k - (overlap % (k + 1))))) foldRunEvent(live, e);
        assert.deepEqual(live, whole);
      }),
      { numRuns: 200 },
    );
  });

  it('events of types this version does not know are ignored', () => {
    const unknown = fc.record({ type: fc.constantFrom('step.paused', 'run.archived', 'x'), node: fc.string(), step: fc.string(), data: fc.jsonValue() });
    fc.assert(
      fc.property(runArb, fc.array(fc.tuple(fc.nat(), unknown), { maxLength: 10 }), ([branches, schedule], extras) => {
        const events = interleave(branches, schedule);
        const mixed: RunEvent[] = [...events];
        for (const [at, e] of extras) mixed.splice(at % (mixed.length + 1), 0, { ...e, runId: RUN, time: t(1) } as unknown as RunEvent);
        const renumbered = mixed.map((e, i) => ({ ...e, seq: i + 1 }));
        assert.deepEqual(canonical(runStateFrom(renumbered)), canonical(runStateFrom(events)));
      }),
      { numRuns: 100 },
    );
  });

  it('the fold never throws, whatever the event holds', () => {
    const types = ['run.started', 'run.resumed', 'step.started', 'step.retrying', 'step.finished', 'approval.requested', 'approval.decided', 'wait.started', 'event.waiting', 'event.received', 'lock.acquired', 'lock.released', 'run.waiting', 'run.migrated', 'join.reached', 'region.cancelled', 'flow.completed', 'future.event'];
    const anyEvent = fc.dictionary(fc.constantFrom('step', 'node', 'key', 'task', 'renamed', 'waitingOn', 'attempts', 'tokens', 'costUsd', 'scope', 'outputs', 'time', 'region', 'event'), fc.anything());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...types), anyEvent), { maxLength: 30 }), (raw) => {
        const s = emptyRunModel(RUN);
        raw.forEach(([type, fields], i) => foldRunEvent(s, { ...fields, type, runId: RUN, seq: i + 1 } as unknown as RunEvent));
        assert.equal(s.lastSeq, raw.length);
      }),
      { numRuns: 300 },
    );
  });
});
