// `signal s` and `wait signal s [timeout D] [on timeout { … }]` as the statement interpreter runs them (issue 12):
// run-local latches between branches. A raised signal stays raised; it is seen by the waits of the loop iteration
// (or sub-flow call) that raised it and of the blocks inside it. A wait is a milestone over the latch (see
// Milestones in state.ts): it passes when the signal is raised, times out, waits with the run, or — when nothing
// left in the run can raise it — fails the run with DEADLOCK.
import type { SignalNode, WaitSignalNode } from '@baton/protocol';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { waitAsMilestone, type Milestones } from './state.js';
import type { WaitHost } from './waits.js';

/** The signals raised so far in one execution, as `<scope key>|<name>` (the scope of the iteration that raised it). */
export class RaisedSignals {
  private readonly raised = new Set<string>();

  raise(scope: string, name: string): void {
    this.raised.add(`${scope}|${name}`);
  }

  /** Whether `name` was raised in the frame's iteration or one around it (the same sub-flow call). */
  visible(frame: Frame, name: string): boolean {
    for (let depth = frame.indexes.length; depth >= 0; depth--) {
      const scope = `${frame.prefix}${frame.indexes.slice(0, depth).map((i) => `[${i}]`).join('')}`;
      if (this.raised.has(`${scope}|${name}`)) return true;
    }
    return false;
  }
}

/** `signal s`: raises the latch (recorded once per iteration) and lets the waits it makes pass go first. */
export async function signalStatement(host: WaitHost, milestones: Milestones, signals: RaisedSignals, s: SignalNode, frame: Frame): Promise<void> {
  const scope = scopeKey(frame);
  signals.raise(scope, s.name);
  host.emitOnce({ type: 'signal.raised', node: s.id, scope, name: s.name });
  if (milestones.changed()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * `wait signal s`. Passes at once when `s` is raised (or the log says this wait passed: a resumed run does not
 * decide again), recording `signal.received`; else waits as a milestone over the latch.
 * @throws BatonError `DEADLOCK` when nothing left in the run can raise it and it has no timeout.
 */
export async function waitSignalStatement(host: WaitHost, milestones: Milestones, signals: RaisedSignals, s: WaitSignalNode, frame: Frame): Promise<void> {
  const key = stepKey(frame, `signal@${s.id}`);
  const pass = async (timedOut: boolean): Promise<void> => {
    if (!host.log.signalsReceived.has(key)) host.emit({ type: 'signal.received', key, node: s.id, name: s.signal, ...(timedOut ? { timedOut: true } : {}) });
    if (timedOut && s.onTimeout) await host.block(s.onTimeout, frame);
  };
  const received = host.log.signalsReceived.get(key);
  if (received) return pass(received.timedOut === true);
  const stop = host.checkStop(frame);
  if (stop) await stop;
  const holds = (): boolean => signals.visible(frame, s.signal);
  if (holds()) return pass(false);
  // the deadline is recorded with the first wait (a `value.recorded`), so a resumed run keeps it
  const deadlineKey = `deadline:${key}`;
  let deadlineText = host.log.values.get(deadlineKey) as string | undefined;
  if (deadlineText === undefined && s.timeoutMs !== undefined) {
    deadlineText = new Date(host.now().getTime() + s.timeoutMs).toISOString();
    host.emit({ type: 'value.recorded', key: deadlineKey, value: deadlineText });
  }
  const deadline = deadlineText !== undefined ? Date.parse(deadlineText) : undefined;
  if (deadline !== undefined && host.now().getTime() >= deadline) return pass(true);
  return waitAsMilestone(host, milestones, frame, {
    holds,
    deadline,
    pass,
    waitingOn: { kind: 'signal', key, node: s.id, signal: s.signal, ...(deadlineText ? { deadline: deadlineText } : {}) },
    deadlock: `wait signal ${s.signal}: nothing left in the run can raise it (every other branch has ended or waits too)`,
  });
}
