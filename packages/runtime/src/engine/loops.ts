// The statements that run a body side by side or many times — `parallel`, `foreach`, `repeat` — as the statement
// interpreter runs them. Waits inside them stop the run together (one Suspended with all of their waits).
import { setMaxListeners } from 'node:events';
import type { ForeachNode, ParallelNode, RepeatNode, Statement, WaitingOn } from '@baton/protocol';
import { evaluate, type EvalScope } from '../expr/evaluate.js';
import { truthy } from '../expr/values.js';
import type { Frame } from './frame.js';
import { notRun, Scope } from './scope.js';
import { declaredNames, loopListNames } from './statements.js';
import { joinedForeach, joinedParallel, ownedBlock, type JoinHost } from './joins.js';
import { RunFailure } from './stops.js';
import { Suspended } from './waits.js';
import type { Milestones } from './state.js';

/** What the loops use of the execution running them. */
export interface LoopHost {
  evalScope(frame: Frame): EvalScope;
  /** Runs a block of statements (a loop's body). */
  block(statements: Statement[], frame: Frame): Promise<void>;
  /** Runs one statement (a branch of a `parallel`). */
  statement(s: Statement, frame: Frame): Promise<void>;
  /** The execution's strands (state.ts): each branch or concurrent iteration is one while it runs. */
  milestones: Milestones;
}

/**
 * Runs the branches of a `parallel` side by side — at most `concurrency` at once, started in source order as
 * slots free (`parallel concurrency 1`: one at a time) — the first failure cancels the others (see {@link concurrently}).
 * With a partial join (`first N`, `until`), see joins.ts.
 */
export function parallelStatement(host: JoinHost, s: ParallelNode, frame: Frame): Promise<void> {
  if (s.join) return joinedParallel(host, s, frame);
  return concurrently(host.milestones, s.branches.map((b) => (f: Frame) => host.statement(b, f)), s.concurrency ?? s.branches.length, frame);
}

const iterationListsCache = new WeakMap<ForeachNode, Set<string>>();

/**
 * The list names inside an iteration of `loop`: those around it, less the loop body's own steps (one
 * iteration's step each), plus none new — steps of a `foreach` nested in the body stay lists.
 */
export function iterationLists(around: Set<string>, loop: ForeachNode): Set<string> {
  let lists = iterationListsCache.get(loop);
  if (!lists) {
    const nested = loopListNames(loop.body);
    const own = [...declaredNames(loop.body)].filter((n) => !nested.has(n));
    lists = new Set([...around].filter((n) => !own.includes(n)));
    iterationListsCache.set(loop, lists);
  }
  return lists;
}

/**
 * Runs tasks at most `limit` at a time. The first failure aborts the others (their calls see an
 * aborted signal) and is rethrown once all have settled; otherwise waits of all tasks are merged.
 * A task that waits (an approval, a long timer, an event) keeps its slot: no further task starts in
 * it, so a `foreach` never has more than `limit` iterations under way, waiting ones included. Each worker is a
 * strand of `milestones` while it runs (see `Milestones`: a `wait until` of one can be met by a `set` of another).
 */
async function concurrently(milestones: Milestones, tasks: ((frame: Frame) => Promise<void>)[], limit: number, frame: Frame, frameFor?: (i: number, signal: AbortSignal) => Frame): Promise<void> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onAbort = (): void => controller.abort();
  frame.signal.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  const waits: WaitingOn[] = [];
  let next = 0;
  const workers = Math.max(1, Math.min(limit, tasks.length));
  const ended = milestones.fork(workers);
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      if (failure !== undefined) return;
      const childFrame = { ...(frameFor ? frameFor(i, controller.signal) : { ...frame, signal: controller.signal }), concurrent: frame.concurrent || workers > 1 };
      try {
        await tasks[i](childFrame);
      } catch (error) {
        if (error instanceof Suspended) {
          waits.push(...error.waits);
          // it waits for something outside the run: a `wait until` of a sibling may be met once the run continues
          if (error.waits.some((w) => w.kind !== 'condition' && w.kind !== 'signal')) milestones.externalWait = true;
          return;
        }
        if (failure === undefined) {
          failure = error;
          controller.abort();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, () => worker().finally(ended)));
  } finally {
    frame.signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  if (waits.length) throw new Suspended(waits);
}

/**
 * Runs a `foreach`: its body once per item of its list, at most `concurrency` (default 1) at a time, each
 * iteration in its own scope; afterwards each step of the body reads as the list of its iterations' views.
 * @throws RunFailure `FOREACH_NOT_LIST` when the items are not a list; the first iteration's failure; Suspended
 *   with the waits of all iterations that wait.
 */
export async function foreachStatement(host: JoinHost, s: ForeachNode, frame: Frame): Promise<void> {
  const items = evaluate(s.items!, host.evalScope(frame));
  if (!Array.isArray(items)) {
    throw new RunFailure('FOREACH_NOT_LIST', `foreach ${s.variable} needs a list, got ${items === null ? 'null' : typeof items}`);
  }
  const names = declaredNames(s.body);
  const scopes: Scope[] = items.map((item) => {
    const scope = new Scope(frame.scope);
    scope.set(s.variable, item);
    return scope;
  });
  const iterationFrame = (i: number, signal: AbortSignal): Frame => ({ ...frame, scope: scopes[i], indexes: [...frame.indexes, i], signal, lists: iterationLists(frame.lists, s) });
  const inner = loopListNames(s.body);
  const setLists = (): void => {
    for (const name of names) frame.scope.set(name, scopes.map((sc) => sc.getLocal(name) ?? notRun(inner, name)));
  };
  try {
    // each iteration owns the kept rest of the partial joins inside it (see joins.ts ownedBlock); the kept
    // iterations of a `first N keep` set their steps in the lists again once they ended
    if (s.join) await joinedForeach(host, s, items, frame, iterationFrame, setLists);
    else await concurrently(host.milestones, items.map(() => (f: Frame) => ownedBlock(host, s.body, f)), s.concurrency ?? 1, frame, iterationFrame);
  } finally {
    setLists();
  }
}

/**
 * Runs a `repeat`: its body until its `until` condition holds after an iteration, at most `max` times; the
 * body's steps read as their last iteration's.
 * @throws RunFailure `REPEAT_LIMIT` when `max` iterations ran and the condition never held.
 */
export async function repeatStatement(host: LoopHost, s: RepeatNode, frame: Frame): Promise<void> {
  const names = declaredNames(s.body);
  for (let i = 0; i < s.max; i++) {
    const scope = new Scope(frame.scope);
    const iteration: Frame = { ...frame, scope, indexes: [...frame.indexes, i] };
    try {
      // the iteration ends when the kept rest of its partial joins ended (a blocking discriminator/partial join)
      await ownedBlock(host, s.body, iteration);
    } finally {
      for (const name of names) frame.scope.set(name, scope.getLocal(name) ?? notRun(frame.lists, name));
    }
    if (truthy(evaluate(s.until, host.evalScope(iteration)))) return;
  }
  throw new RunFailure('REPEAT_LIMIT', `repeat reached its max of ${s.max} iteration${s.max === 1 ? '' : 's'} before its \`until\` condition held`);
}
