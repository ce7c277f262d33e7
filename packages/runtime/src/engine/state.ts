// A run's state as the statement interpreter runs it: `var` declarations, `set <var> = …`, and `wait until`
// milestones over them, with the rule that a run whose every branch waits on a condition nothing can change
// fails with DEADLOCK instead of waiting forever.
import { exprToText, type AssignNode, type JsonValue, type RunEvent, type VarNode, type WaitingOn, type WaitUntilNode } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { evaluate } from '../expr/evaluate.js';
import { truthy } from '../expr/values.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { Suspended, type WaitHost } from './waits.js';

/** How a `wait until` that had to wait ends: see {@link Milestones}. */
export type Wake = 'met' | 'timeout' | 'sleep' | 'suspend' | 'deadlock' | 'aborted' | { error: unknown };

interface Waiter {
  /** Whether the condition holds now (may throw: an expression error). */
  holds(): boolean;
  /** When its `timeout` passes (ms since the epoch). */
  deadline?: number;
  /** It also waits for something outside the run (a `wait first` with an approval or event arm): it suspends, never deadlocks. */
  external?: boolean;
  wake(how: Wake): void;
}

/**
 * The strands of one execution and the `wait until`s among them. A strand is a line of statements that runs
 * on its own: the run's body, or a branch (an iteration) of a `parallel` (a concurrent `foreach`) while it
 * runs; a block that forks hands its strand to its branches and gets it back from the last one to end. A
 * strand is active unless it waits on a condition. When none is active, nothing in this process can change a
 * var any more, so each waiting condition is decided: a passed deadline times out; when another branch waits
 * for something outside the run (an approval, an event, a long timer) or a deadline is ahead, the waits
 * suspend with the run (`WaitingOn` kind `condition`: checked again when the run continues) — the nearest
 * deadline within the short-wait bound is slept through instead; otherwise the run is deadlocked: the waits
 * fail with `DEADLOCK`.
 */
export class Milestones {
  private active = 1;
  private readonly waiters = new Set<Waiter>();
  /** A strand of this execution stopped to wait for something outside the run (set by the interpreter). */
  externalWait = false;

  constructor(private readonly clock: { now(): Date; shortWaitMs: number }) {}

  /**
   * The current strand splits into `count` strands (`count` ≥ 1).
   * @returns the function each strand calls once when it ends (finished, failed or suspended); its
   *   `parentResumed` is called when the block that forked goes on before they all ended (a partial join that
   *   keeps the rest running).
   */
  fork(count: number): (() => void) & { parentResumed: () => void } {
    this.active += count - 1;
    let left = count;
    let parentBack = false;
    const ended = (): void => {
      left--;
      // the last strand to end hands its count back to the block that forked, unless that went on already
      if (left > 0 || parentBack) {
        this.active--;
        this.settle();
      }
    };
    return Object.assign(ended, {
      parentResumed: (): void => {
        if (left === 0 || parentBack) return;
        parentBack = true;
        this.active++;
      },
    });
  }

  /**
   * The current strand waits for `work` that runs as strands of its own (a partial join's kept rest): it is not
   * active meanwhile, so a `wait until` in that work that nothing can change is decided instead of waiting forever.
   */
  async idle<T>(work: Promise<T>): Promise<T> {
    this.active--;
    this.settle();
    try {
      return await work;
    } finally {
      this.active++;
    }
  }

  /**
   * A var changed: every waiting condition that now holds passes.
   * @returns whether one did.
   */
  changed(): boolean {
    let woke = false;
    for (const waiter of [...this.waiters]) {
      let holds: boolean;
      try {
        holds = waiter.holds();
      } catch (error) {
        this.wake(waiter, { error });
        continue;
      }
      if (holds) {
        this.wake(waiter, 'met');
        woke = true;
      }
    }
    return woke;
  }

  /** Waits (the current strand stops being active) until the waiter is woken; see the class comment for how. */
  wait(waiter: Omit<Waiter, 'wake'>, signal: AbortSignal): Promise<Wake> {
    return new Promise<Wake>((resolve) => {
      const onAbort = (): void => this.wake(entry, 'aborted');
      const entry: Waiter = {
        ...waiter,
        wake: (how) => {
          signal.removeEventListener('abort', onAbort);
          resolve(how);
        },
      };
      if (signal.aborted) return resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(entry);
      this.active--;
      this.settle();
    });
  }

  private wake(waiter: Waiter, how: Wake): void {
    if (!this.waiters.delete(waiter)) return;
    this.active++;
    waiter.wake(how);
  }

  private settle(): void {
    if (this.active > 0 || this.waiters.size === 0) return;
    const now = this.clock.now().getTime();
    for (const w of [...this.waiters]) if (w.deadline !== undefined && now >= w.deadline) this.wake(w, 'timeout');
    if (this.active > 0) return;
    const timed = [...this.waiters].filter((w) => w.deadline !== undefined).sort((a, b) => a.deadline! - b.deadline!);
    const external = this.externalWait || [...this.waiters].some((w) => w.external);
    if (!external && timed.length && timed[0].deadline! - now <= this.clock.shortWaitMs) {
      this.wake(timed[0], 'sleep');
      return;
    }
    const how: Wake = external || timed.length ? 'suspend' : 'deadlock';
    for (const w of [...this.waiters]) this.wake(w, how);
  }
}

/** `var x = v`: the var is set in the current block's scope (a loop iteration's, or the flow's). */
export function varStatement(host: WaitHost, s: VarNode, frame: Frame): void {
  const value = toJson(evaluate(s.value, host.evalScope(frame)));
  frame.scope.set(s.name, value);
  host.emitOnce({ type: 'var.set', node: s.id, scope: scopeKey(frame), name: s.name, value });
}

/**
 * `set x = v` of a var: changes it in the scope that declared it, then lets the `wait until`s it makes true pass.
 * A branch that passed goes first — this one continues once the woken ones reached their next real wait (an agent
 * call, a timer) — so what follows a `wait until` reads the state that met it, not a later one.
 * @throws BatonError `UNKNOWN_NAME` when no var `x` is declared around (an unchecked definition).
 */
export async function assignStatement(host: WaitHost, milestones: Milestones, s: AssignNode, frame: Frame): Promise<void> {
  const value = toJson(evaluate(s.value, host.evalScope(frame)));
  if (!frame.scope.assign(s.name, value)) throw new BatonError('UNKNOWN_NAME', `set ${s.name}: no var \`${s.name}\` is declared here`);
  host.emitOnce({ type: 'var.set', node: s.id, scope: scopeKey(frame), name: s.name, value });
  if (milestones.changed()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * `wait until c [timeout D] [on timeout { … }]`. Passes at once when `c` holds (or the log says it passed: a
 * resumed run does not decide again); else records `condition.waiting` (with the deadline) and waits until a
 * `set` makes `c` true (`condition.met`), the deadline passes (`condition.met { timedOut }`, then the `on
 * timeout` block), the run suspends (the wait is in `WaitingOn` as kind `condition`) or nothing can change `c`.
 * @throws BatonError `DEADLOCK` when no branch of the run can change the condition any more and it has no timeout.
 */
export async function waitUntilStatement(host: WaitHost, milestones: Milestones, s: WaitUntilNode, frame: Frame): Promise<void> {
  const key = stepKey(frame, `wait@${s.id}`);
  const condition = exprToText(s.condition);
  const pass = async (timedOut: boolean): Promise<void> => {
    if (!host.log.conditionsMet.has(key)) host.emit({ type: 'condition.met', key, node: s.id, condition, ...(timedOut ? { timedOut: true } : {}) });
    if (timedOut && s.onTimeout) await host.block(s.onTimeout, frame);
  };
  const met = host.log.conditionsMet.get(key);
  if (met) return pass(met.timedOut === true);
  const stop = host.checkStop(frame);
  if (stop) await stop;
  const scope = host.evalScope(frame);
  const holds = (): boolean => truthy(evaluate(s.condition, scope));
  let waiting = host.log.conditionsWaiting.get(key);
  // it waited before the run stopped, and was not met then: whatever makes it true now comes after its deadline
  if (waiting?.deadline && host.now().getTime() >= Date.parse(waiting.deadline)) return pass(true);
  if (holds()) return pass(false);
  if (!waiting) {
    const deadline = s.timeoutMs !== undefined ? new Date(host.now().getTime() + s.timeoutMs).toISOString() : undefined;
    waiting = host.emit({ type: 'condition.waiting', key, node: s.id, condition, ...(deadline ? { deadline } : {}) }) as Extract<RunEvent, { type: 'condition.waiting' }>;
  }
  const deadline = waiting.deadline ? Date.parse(waiting.deadline) : undefined;
  if (deadline !== undefined && host.now().getTime() >= deadline) return pass(true);
  return waitAsMilestone(host, milestones, frame, {
    holds,
    deadline,
    pass,
    waitingOn: { kind: 'condition', key, node: s.id, condition, ...(waiting.deadline ? { deadline: waiting.deadline } : {}) },
    deadlock: `wait until ${condition}: nothing left in the run can change it (every other branch has ended or waits too)`,
  });
}

/** A wait of the run's state ({@link waitUntilStatement}, `wait signal`) that did not pass at once. */
export interface MilestoneWait {
  /** Whether it holds now (may throw: an expression error, which fails the wait). */
  holds(): boolean;
  /** When its `timeout` passes (ms since the epoch); none without a timeout. */
  deadline?: number;
  /** Ends the wait: records that it passed (`timedOut`: by its deadline) and runs its `on timeout` block. */
  pass(timedOut: boolean): Promise<void>;
  /** What the run waits on when the wait suspends with it. */
  waitingOn: WaitingOn;
  /** The message of the `DEADLOCK` failure when nothing left in the run can make it hold. */
  deadlock: string;
}

/**
 * Waits as a milestone ({@link Milestones.wait}) and ends the wait the way it was woken: met → passes; its
 * deadline passed → passes timed out; the nearest short deadline with nothing else to run → sleeps through it
 * (as a short `wait`), then passes timed out; another branch waits outside the run or a deadline is ahead →
 * suspends with the run; the sibling branch failed → stops.
 * @throws Suspended with `wait.waitingOn`; BatonError `DEADLOCK` (`wait.deadlock`); `STEP_CANCELLED` (or the
 *   run's stop) when aborted; the error `holds` threw.
 */
export async function waitAsMilestone(host: WaitHost, milestones: Milestones, frame: Frame, wait: MilestoneWait): Promise<void> {
  const how = await milestones.wait({ holds: wait.holds, deadline: wait.deadline }, frame.signal);
  if (typeof how === 'object') throw how.error;
  switch (how) {
    case 'met':
      return wait.pass(false);
    case 'timeout':
      return wait.pass(true);
    case 'sleep':
      await host.commit();
      await host.sleep(Math.max(0, wait.deadline! - host.now().getTime()), frame.signal);
      return wait.pass(true);
    case 'suspend':
      throw new Suspended([wait.waitingOn]);
    case 'deadlock':
      throw new BatonError('DEADLOCK', wait.deadlock);
    case 'aborted': {
      const stopping = host.checkStop(frame);
      if (stopping) await stopping;
      throw new BatonError('STEP_CANCELLED', 'cancelled because a sibling branch failed');
    }
  }
}

/** A value as JSON (undefined → null). */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (value as JsonValue);
}
