// Partial joins — `parallel first N [keep]`, `parallel until <cond> [keep]`, `foreach … first N [where …] [keep]`,
// `foreach … until …` — and the two mechanisms they bring to the interpreter, which later constructs reuse:
// withdrawal (a part of the run stops: nothing new is called or awaited in it, its running calls are aborted and
// its steps end `cancelled`) and background work (the kept rest of a join, which the enclosing owner awaits).
import { setMaxListeners } from 'node:events';
import { joinText, type ForeachNode, type JoinSpec, type NewRunEvent, type ParallelNode, type RunEvent, type Statement, type StepNode, type WaitingOn } from '@baton/protocol';
import { evaluate } from '../expr/evaluate.js';
import { truthy } from '../expr/values.js';
import { scopeKey, type Frame } from './frame.js';
import type { LoopHost } from './loops.js';
import type { ReplayLog } from './replay-log.js';
import { stepView } from './scope.js';
import { RunFailure, Stopped } from './stops.js';
import { Suspended } from './waits.js';

/**
 * A part of the run that can be withdrawn, shared by reference by every frame inside it (frames are copied with
 * `{ ...frame }`, so the flag reaches sub-blocks, nested branches and sub-flow calls). Today: one branch of a
 * partial-join `parallel` or one iteration of a partial-join `foreach` (`reason` `join`). Made for reuse: a
 * cancellation region (`cancel r`, `complete r`) withdraws its part by setting `withdrawn` on its own
 * Withdrawal (chained to the one around it by `parent`) and aborting the part's signal.
 *
 * Withdrawn mode (see {@link withdrawnBy}): once `withdrawn` is set — live, or on replay because the log's
 * `join.reached` lists the part — statements of the part replay what the log holds (finished steps, recorded
 * decisions and outputs) and the first one whose effect is not in the log ends the part with {@link Withdrawn}:
 * no agent is called, nothing is awaited, no output is set. A step that was in flight ends as
 * `step.finished { status: 'cancelled', error: { code: 'CANCELLED' } }` (also on a replay that finds it started but
 * not finished). A withdrawn part is not compensated.
 */
export interface Withdrawal {
  withdrawn: boolean;
  /** Why, for the `CANCELLED` message: `the join of parallel F/parallel@3 was reached (first 2 of 3)`. */
  reason: string;
  /** The withdrawal of the part around this one, if any: withdrawing it withdraws this one too. */
  parent?: Withdrawal;
}

/** The innermost withdrawn part `frame` runs in, or undefined when it is not withdrawn. */
export function withdrawnBy(frame: Frame): Withdrawal | undefined {
  for (let w = frame.withdrawal; w; w = w.parent) if (w.withdrawn) return w;
  return undefined;
}

/** Ends a withdrawn part (see {@link Withdrawal}): thrown by the first statement that would do something new in it. */
export class Withdrawn extends Error {
  constructor(readonly withdrawal: Withdrawal) {
    super(`withdrawn: ${withdrawal.reason}`);
  }
}

/**
 * The kept rest of partial joins (`keep`) inside one owner — a flow body (the run's or a sub-flow's) or a loop
 * iteration — which waits for them before it ends ({@link ownedBlock}): the blocking discriminator / partial join.
 */
export class Background {
  private readonly tasks: { done: Promise<WaitingOn[]>; abort: () => void }[] = [];

  /** Adds work that settles with the waits it stopped at (empty when it ended); `abort` withdraws it. */
  add(done: Promise<WaitingOn[]>, abort: () => void): void {
    this.tasks.push({ done, abort });
  }

  /** Waits for all the work (also work added meanwhile); @returns the waits it stopped at. */
  async settle(): Promise<WaitingOn[]> {
    const waits: WaitingOn[] = [];
    for (let i = 0; i < this.tasks.length; i++) waits.push(...(await this.tasks[i].done));
    return waits;
  }

  abortAll(): void {
    for (const t of this.tasks) t.abort();
  }
}

/** What the joins use of the execution running them. */
export interface JoinHost extends LoopHost {
  log: ReplayLog;
  emit(event: NewRunEvent): RunEvent;
  emitOnce(event: NewRunEvent & { node: string; scope: string }): void;
  commit(): Promise<void>;
}

/**
 * Runs `statements` as an owner of background work (a flow body or a loop iteration): after them, waits for the
 * kept rest of the partial joins inside (a later loop iteration never starts before it ended). When the statements
 * fail, the kept rest is withdrawn first. @throws Suspended with the waits of the statements and of the rest.
 */
export async function ownedBlock(host: LoopHost, statements: Statement[], frame: Frame): Promise<void> {
  const background = new Background();
  const owned: Frame = { ...frame, background };
  let waits: WaitingOn[] = [];
  try {
    await host.block(statements, owned);
  } catch (error) {
    if (!(error instanceof Suspended)) {
      background.abortAll();
      await background.settle().catch(() => undefined);
      throw error;
    }
    waits = error.waits;
  }
  // while the kept rest runs on, this strand only waits for it (see Milestones.idle)
  waits = [...waits, ...(await host.milestones.idle(background.settle()))];
  if (waits.length) throw new Suspended(waits);
}

/**
 * In withdrawn mode, the statements whose effect the log must already hold — else the part ends here with
 * {@link Withdrawn}: `set output.x` and `if`/`switch`/`wait first` (their recorded output or branch), `fail`. Steps and waits
 * end the part through `checkStop` (and {@link withdrawnStep}); `let`, blocks and loops run (they only read).
 */
export function checkWithdrawnStatement(log: ReplayLog, s: Statement, frame: Frame): void {
  const withdrawal = withdrawnBy(frame);
  if (!withdrawal) return;
  const recorded = (type: string): boolean => log.written.has(`${type}|${s.id}|${scopeKey(frame)}`);
  if ((s.kind === 'set' && !recorded('output.set')) || ((s.kind === 'if' || s.kind === 'switch' || s.kind === 'choice') && !recorded('branch.taken')) || s.kind === 'fail') {
    throw new Withdrawn(withdrawal);
  }
}

/**
 * A step that the log has not finished, in a withdrawn part: if it had started (it was in flight when the run
 * stopped), its end is recorded as `cancelled`; either way the part ends. Does nothing outside withdrawn mode.
 * @throws Withdrawn
 */
export function withdrawnStep(host: JoinHost, s: StepNode, key: string, frame: Frame): void {
  const withdrawal = withdrawnBy(frame);
  if (!withdrawal) return;
  if (host.log.startedSteps.has(key)) cancelStep(host, s, key, frame, withdrawal, 0);
  throw new Withdrawn(withdrawal);
}

/** Records step `key` as cancelled by `withdrawal` (no compensation) and sets its view. */
export function cancelStep(host: Pick<JoinHost, 'emit'>, s: StepNode, key: string, frame: Frame, withdrawal: Withdrawal, durationMs: number, attempts = 0): void {
  const error = { code: 'CANCELLED', message: `withdrawn: ${withdrawal.reason}` };
  host.emit({ type: 'step.finished', step: key, node: s.id, agent: s.target.name, status: 'cancelled', error, durationMs, attempts, tokens: 0, callIndexes: [] });
  frame.scope.set(s.name, stepView({ status: 'cancelled', error, durationMs, attempts }));
}

/** How one part of a join ended (or not yet). */
type PartState = 'pending' | 'running' | 'succeeded' | 'failed' | 'waiting' | 'withdrawn';

interface JoinSetup {
  node: ParallelNode | ForeachNode;
  join: JoinSpec;
  /** Number of parts (branches, iterations). */
  parts: number;
  /** Parts at once. */
  limit: number;
  /** `branch 2` / `iteration 2` for messages. */
  partName: (i: number) => string;
  /** The frame part `i` runs in. */
  frameFor: (i: number, signal: AbortSignal, withdrawal: Withdrawal, concurrent: boolean) => Frame;
  run: (i: number, frame: Frame) => Promise<void>;
  /** Called when the kept rest (`keep`) ended after the block went on (a `foreach` then updates its lists). */
  restEnded?: () => void;
}

/**
 * Runs the parts of a block with a partial join: at most `limit` at a time, in order. A part counts when it ends
 * without failure (and, for `first … where`, its `where` holds in its frame); `until` is evaluated in the part's
 * frame each time one ends. When the join is reached, `join.reached` is recorded and committed, then (`cancel`)
 * the parts not ended are withdrawn and awaited — or (`keep`) left running as the owner's background work — and
 * the block returns. A failing part does not fail the block; it fails with `JOIN_UNREACHABLE` (naming the first
 * failure) once the join can no longer be reached. On replay, a recorded `join.reached` decides: the same parts
 * are withdrawn (withdrawn mode), the counted ones replay.
 * @throws RunFailure `JOIN_UNREACHABLE`; Suspended with the waits of parts that wait while the join is not
 *   reached; Stopped (cancel, interruption, store) at once.
 */
async function runJoin(host: JoinHost, setup: JoinSetup, frame: Frame): Promise<void> {
  const { node, join, parts: n } = setup;
  const scope = scopeKey(frame);
  const label = joinText(join, node.kind === 'parallel' ? n : undefined);
  const reason = `the join of ${node.kind} ${node.id}${scope ? ` ${scope}` : ''} was reached (${label})`;
  const recorded = host.log.joins.get(`${node.id}|${scope}`);
  const parts = Array.from({ length: n }, () => ({
    state: 'pending' as PartState,
    controller: new AbortController(),
    withdrawal: { withdrawn: false, reason, parent: frame.withdrawal } as Withdrawal,
    waits: [] as WaitingOn[],
    error: undefined as unknown,
    frame: undefined as Frame | undefined,
  }));
  for (const p of parts) setMaxListeners(0, p.controller.signal);
  const abortAll = (): void => {
    for (const p of parts) p.controller.abort();
  };
  frame.signal.addEventListener('abort', abortAll, { once: true });
  if (recorded?.rest === 'cancel') for (const i of recorded.withdrawn) if (parts[i]) parts[i].withdrawal.withdrawn = true;
  let reached = recorded !== undefined;
  const counted: number[] = [];
  let fatal: unknown;
  let firstFailure: { i: number; error: unknown } | undefined;
  let onReached!: () => void;
  const reachedSignal = new Promise<void>((resolve) => (onReached = resolve));
  let reaching: Promise<void> | undefined;
  const open = (p: (typeof parts)[number]): boolean => p.state === 'pending' || p.state === 'running' || p.state === 'waiting';

  const reach = async (): Promise<void> => {
    reached = true;
    // with `keep`, the block goes on beside the rest it keeps running: a strand of its own again (state.ts)
    if (join.rest === 'keep') strandEnded.parentResumed();
    const withdrawn = join.rest === 'cancel' ? parts.flatMap((p, i) => (open(p) ? [i] : [])) : [];
    // the decision is recorded and committed before anything is withdrawn
    host.emitOnce({ type: 'join.reached', node: node.id, scope, counted: [...counted], rest: join.rest, withdrawn, label });
    for (const i of withdrawn) parts[i].withdrawal.withdrawn = true;
    try {
      await host.commit();
    } finally {
      for (const i of withdrawn) {
        parts[i].controller.abort();
        parts[i].waits = [];
      }
      onReached();
    }
  };

  /** After part `i` ended: is the join reached, or can it no longer be? */
  const decide = (): void => {
    // the block itself is withdrawn (a part of an enclosing join): it decides nothing, it ends
    const outer = withdrawnBy(frame);
    if (outer && !reached) {
      fatal ??= new Withdrawn(outer);
      abortAll();
      return;
    }
    if (reached || fatal !== undefined) {
      // on replay, the block goes on once the parts the log counted have ended again
      if (recorded && parts.every((p, i) => !recorded.counted.includes(i) || !open(p))) onReached();
      return;
    }
    let holds: boolean;
    let possible: boolean;
    if (join.kind === 'first') {
      holds = counted.length >= join.count;
      possible = counted.length + parts.filter(open).length >= join.count;
    } else {
      holds = false;
      possible = parts.some(open);
    }
    if (holds) reaching = reach();
    else if (!possible) {
      const why = firstFailure ? `; first failure: ${describe(firstFailure.error)} (${setup.partName(firstFailure.i)})` : '';
      fatal = new RunFailure('JOIN_UNREACHABLE', `${node.kind} ${label} can no longer be reached: ${counted.length} of ${n} counted${why}`);
      abortAll();
    }
  };

  const ended = (i: number, ok: boolean): void => {
    const p = parts[i];
    if (!reached && fatal === undefined) {
      const partScope = host.evalScope(p.frame!);
      if (join.kind === 'first' && ok && (!join.where || truthy(evaluate(join.where, partScope)))) counted.push(i);
      if (join.kind === 'until' && truthy(evaluate(join.condition, node.kind === 'parallel' ? host.evalScope(frame) : partScope))) {
        if (ok) counted.push(i);
        reaching = reach();
        return;
      }
    }
    decide();
  };

  let next = 0;
  const workers = Math.max(1, Math.min(setup.limit, n));
  // each worker is a strand of the run's milestones (state.ts) while it runs
  const strandEnded = host.milestones.fork(workers);
  const concurrent = frame.concurrent || workers > 1;
  const worker = async (): Promise<void> => {
    while (next < n && fatal === undefined) {
      const i = next++;
      const p = parts[i];
      p.state = 'running';
      p.frame = setup.frameFor(i, p.controller.signal, p.withdrawal, concurrent);
      try {
        await setup.run(i, p.frame);
        p.state = p.withdrawal.withdrawn ? 'withdrawn' : 'succeeded';
        ended(i, p.state === 'succeeded');
      } catch (error) {
        const outer = withdrawnBy(frame);
        if (error instanceof Stopped || (error instanceof Withdrawn && outer) || (outer && p.withdrawal.withdrawn)) {
          // a stop of the run, or the block itself withdrawn: it ends as a whole
          p.state = 'withdrawn';
          if (fatal === undefined) fatal = error instanceof Stopped || error instanceof Withdrawn ? error : new Withdrawn(outer!);
          abortAll();
        } else if (p.withdrawal.withdrawn) {
          p.state = 'withdrawn';
          decide();
        } else if (error instanceof Suspended) {
          p.state = 'waiting';
          p.waits = error.waits;
          decide();
          return; // a waiting part keeps its slot
        } else {
          p.state = 'failed';
          p.error = error;
          firstFailure ??= { i, error };
          ended(i, false);
        }
      }
    }
  };
  // `first 0` is reached before any part ends; `first N` over fewer parts can never be
  decide();
  const all = Promise.all(Array.from({ length: workers }, () => worker().finally(strandEnded))).finally(() => frame.signal.removeEventListener('abort', abortAll));

  if (join.rest === 'keep') {
    await Promise.race([all, reachedSignal]);
    if (reaching) await reaching;
    if (reached && fatal === undefined && frame.background) {
      // the rest runs on: the owner (flow body, loop iteration) waits for it before it ends
      frame.background.add(
        all.then(() => {
          // a stop of the run (cancel, interruption, store) inside the rest stops the owner too; a failure does not
          if (fatal instanceof Stopped || fatal instanceof Withdrawn) throw fatal;
          setup.restEnded?.();
          return parts.flatMap((p) => (p.state === 'waiting' ? p.waits : []));
        }),
        abortAll,
      );
      return;
    }
  }
  await all;
  if (reaching) await reaching;
  if (fatal !== undefined) throw fatal;
  if (reached) {
    if (join.rest === 'keep') {
      const waits = parts.flatMap((p) => (p.state === 'waiting' ? p.waits : []));
      if (waits.length) throw new Suspended(waits);
    }
    return;
  }
  const waits = parts.flatMap((p) => (p.state === 'waiting' ? p.waits : []));
  if (waits.length) throw new Suspended(waits);
  decide();
  if (fatal !== undefined) throw fatal;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a `parallel` with a partial join (see {@link runJoin}); its branches share the block's scope. */
export function joinedParallel(host: JoinHost, s: ParallelNode, frame: Frame): Promise<void> {
  return runJoin(
    host,
    {
      node: s,
      join: s.join!,
      parts: s.branches.length,
      limit: s.concurrency ?? s.branches.length,
      partName: (i) => `branch ${i + 1}`,
      frameFor: (_i, signal, withdrawal, concurrent) => ({ ...frame, signal, withdrawal, concurrent }),
      run: (i, f) => host.statement(s.branches[i], f),
    },
    frame,
  );
}

/**
 * Runs a `foreach` with a partial join over `items` (see {@link runJoin}): each iteration in its own scope
 * (`scopeFor`), as an owner of background work. `where`/`until` read the iteration that just ended.
 */
export function joinedForeach(host: JoinHost, s: ForeachNode, items: unknown[], frame: Frame, iterationFrame: (i: number, signal: AbortSignal) => Frame, restEnded: () => void): Promise<void> {
  return runJoin(
    host,
    {
      node: s,
      join: s.join!,
      parts: items.length,
      limit: s.concurrency ?? 1,
      partName: (i) => `iteration ${i + 1}`,
      frameFor: (i, signal, withdrawal, concurrent) => ({ ...iterationFrame(i, signal), withdrawal, concurrent }),
      run: (_i, f) => ownedBlock(host, s.body, f),
      restEnded,
    },
    frame,
  );
}
