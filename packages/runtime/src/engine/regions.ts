// Cancellation regions and early termination — `region r { … } [on cancel { … }]`, `cancel r`, `cancel <step>`,
// `complete r`, `complete` — on the withdrawal mechanism of joins.ts: a region (a cancellable step, a flow with a bare
// `complete`) is a withdrawable part with its own Withdrawal and AbortController. Every decision (`region.cancelled`,
// `region.completed`, `step.cancelRequested`, `flow.completed`) is recorded and committed before anything is withdrawn;
// replay reads it and runs the part in withdrawn mode (finished work replays, nothing new is called).
import { setMaxListeners } from 'node:events';
import { forEachStatement, type CancelNode, type CompleteNode, type FlowDef, type RegionNode, type StepNode } from '@baton/protocol';
import { compensateSteps, type AgentStepHost, type Compensable } from './agent-step.js';
import { scopeKey, stepKey, type Frame } from './frame.js';
import { cancelStep, ownedBlock, withdrawnBy, Withdrawn, type JoinHost, type Withdrawal } from './joins.js';
import { stepView } from './scope.js';
import { Stopped } from './stops.js';
import { Suspended } from './waits.js';

/** How a region instance ended early: by `cancel r` or by `complete r`. */
type RegionEnd = 'cancelled' | 'completed';

/** A region instance while it runs (see {@link ActiveRegions}). */
interface RegionInstance {
  node: RegionNode;
  /** Its key: sub-flow prefix, name, loop indexes (as a step's). */
  key: string;
  scope: string;
  withdrawal: Withdrawal;
  controller: AbortController;
  /** Set (before the decision is recorded) once a `cancel`/`complete` reached it. */
  end?: RegionEnd;
  /** Settles once the region ended — after its compensations and `on cancel`. */
  done: Promise<void>;
  resolve: () => void;
}

/** A step some `cancel <step>` targets, while it runs. */
interface CancellableStep {
  node: StepNode;
  key: string;
  withdrawal: Withdrawal;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The region instances and cancellable steps running in one execution, by key. A `cancel`/`complete` reaches the
 * instances whose key is its target's key in its own frame, or one inside or around it in loop indexes (a region
 * inside a `foreach` of a sibling branch: every iteration's instance; a cancel inside a loop in the region: the
 * region around it).
 */
export class ActiveRegions {
  readonly regions = new Set<RegionInstance>();
  readonly steps = new Set<CancellableStep>();

  /** The running instances (regions or steps) that `target` names from a statement with key base `base`. */
  find<T extends { key: string }>(items: Set<T>, base: string): T[] {
    return [...items].filter((r) => r.key === base || r.key.startsWith(`${base}[`) || base.startsWith(`${r.key}[`));
  }
}

/** What regions use of the execution running them. */
export interface RegionHost extends JoinHost {
  /** For the compensations a cancelled region runs. */
  agentHost: AgentStepHost;
  active: ActiveRegions;
  /** The compensation list a step finishing in `frame` joins: its innermost region's, else the run's. */
  compensations(frame: Frame): Compensable[];
}

/** A region's view after it: `{ status }` (with a step view's other fields empty), `status` one of {@link RegionEnd} or `succeeded`. */
function regionView(status: 'succeeded' | RegionEnd) {
  return stepView({ status });
}

/** A withdrawal and its AbortController for a part inside `frame`; the controller aborts with the frame's signal. */
function withdrawablePart(frame: Frame, withdrawn: boolean, reason: string): { withdrawal: Withdrawal; controller: AbortController; release: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onAbort = (): void => controller.abort();
  if (frame.signal.aborted) controller.abort();
  else frame.signal.addEventListener('abort', onAbort, { once: true });
  return { withdrawal: { withdrawn, reason, parent: frame.withdrawal }, controller, release: () => frame.signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs `region r { … } [on cancel { … }]`. Its body runs as a withdrawable part with its own compensation list (the
 * compensation stack): when it ends normally — or by `complete r` (its unfinished work withdrawn) — the list joins the
 * enclosing one, so a later failure of the run still compensates it; when a `cancel r` reached it, its unfinished work
 * is withdrawn, the list's compensations run (newest completion first, those the log finished not again), then
 * `on cancel`. Either way the run goes on after it; `r.status` reads `succeeded`, `cancelled` or `completed`.
 * A body that waits (an approval, an event) stays reachable by a `cancel` of a branch beside it until nothing in this
 * execution can run any more. A failure inside it fails the run as anywhere else (after its list joined the run's).
 * @throws what the body throws but its own withdrawal; Suspended when it (or `on cancel`) waits.
 */
export async function regionStatement(host: RegionHost, s: RegionNode, frame: Frame): Promise<void> {
  const scope = scopeKey(frame);
  const recorded = host.log.regionEnds.get(`${s.id}|${scope}`);
  const part = withdrawablePart(frame, recorded !== undefined, `region ${s.name} was ${recorded?.type === 'region.completed' ? 'completed' : 'cancelled'}`);
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const instance: RegionInstance = { node: s, key: stepKey(frame, s.name), scope, ...part, done, resolve };
  if (recorded) instance.end = recorded.type === 'region.cancelled' ? 'cancelled' : 'completed';
  const compensations: Compensable[] = [];
  const inner: Frame = { ...frame, signal: part.controller.signal, withdrawal: part.withdrawal, compensations };
  host.active.regions.add(instance);
  let status: 'succeeded' | RegionEnd = 'succeeded';
  try {
    try {
      // the body owns its kept work, and stays cancellable while it waits
      await stayCancellable(host, part, () => ownedBlock(host, s.body, inner));
    } catch (error) {
      const outer = withdrawnBy(frame);
      // once withdrawn, whatever ends the body (its Withdrawn, a wait it no longer waits for, an aborted call) ends the region
      if (!(instance.end && part.withdrawal.withdrawn && !(error instanceof Stopped)) || outer) {
        // a failure, a stop, a wait or an enclosing part withdrawn: the list joins the enclosing one as it is
        host.compensations(frame).push(...compensations);
        throw error instanceof Withdrawn && outer ? new Withdrawn(outer) : error;
      }
      status = instance.end;
    } finally {
      host.active.regions.delete(instance);
      part.release();
    }
    frame.scope.set(s.name, regionView(status));
    if (status !== 'cancelled') {
      host.compensations(frame).push(...compensations);
      if (s.onCancel) host.emitOnce({ type: 'branch.taken', node: s.id, scope, branch: 1, label: `region ${s.name} ${status === 'completed' ? 'completed' : 'ended'}` });
      return;
    }
    await compensateSteps(host.agentHost, compensations);
    if (s.onCancel) {
      host.emitOnce({ type: 'branch.taken', node: s.id, scope, branch: 0, label: `region ${s.name} cancelled → on cancel` });
      await host.block(s.onCancel, frame);
    }
  } finally {
    resolve();
  }
}

/**
 * Runs a withdrawable part (a region's body, a cancellable step). When it stops to wait (an approval, an event, a long
 * timer), a branch beside it may still cancel it in this execution: it waits — as a strand of the run's milestones,
 * not active — until one does, and then ends as withdrawn, or until nothing else in this execution can run, and then
 * waits with the run. (A cancel that reached it while its decision is being stored withdraws it once stored: it
 * waits for that too.)
 */
async function stayCancellable(host: RegionHost, part: { withdrawal: Withdrawal; controller: AbortController }, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof Suspended)) throw error;
    // withdrawn while it was stopping to wait: the wait is no longer its
    if (part.withdrawal.withdrawn) throw new Withdrawn(part.withdrawal);
    host.milestones.externalWait = true;
    await host.milestones.wait({ holds: () => part.withdrawal.withdrawn }, part.controller.signal);
    if (part.withdrawal.withdrawn) throw new Withdrawn(part.withdrawal);
    throw error;
  }
}

/**
 * `cancel r` / `complete r` (a region): records `region.cancelled` / `region.completed` for every running instance of
 * `r` it reaches that no other `cancel`/`complete` reached first, commits, then withdraws them. Inside the region, the
 * statement ends its part (Withdrawn); from a branch beside it, it returns once the region ended (its compensations
 * and `on cancel` ran). A region not running (not reached yet, or ended) is left alone.
 * @throws Withdrawn for the region around the statement.
 */
export async function endRegionStatement(host: RegionHost, s: CancelNode | CompleteNode, target: string, frame: Frame): Promise<void> {
  const end: RegionEnd = s.kind === 'cancel' ? 'cancelled' : 'completed';
  const instances = host.active.find(host.active.regions, stepKey(frame, target));
  const withdrawn = withdrawnBy(frame);
  const own = instances.find((r) => inChain(frame, r.withdrawal));
  // withdrawn mode: a cancel whose effect is not in the log does nothing new; the part ends here
  if (withdrawn && !(own?.end && own.withdrawal === withdrawn)) throw new Withdrawn(withdrawn);
  const reached = instances.filter((r) => r.end === undefined);
  for (const r of reached) {
    r.end = end;
    host.emitOnce({ type: end === 'cancelled' ? 'region.cancelled' : 'region.completed', node: r.node.id, scope: r.scope, region: r.node.name, by: s.id });
  }
  if (reached.length) await host.commit();
  for (const r of reached) {
    r.withdrawal.reason = `region ${r.node.name} was ${end} by ${s.id}`;
    r.withdrawal.withdrawn = true;
    r.controller.abort();
  }
  if (own) throw new Withdrawn(own.withdrawal);
  await Promise.all(instances.map((r) => r.done));
}

/**
 * `cancel <step>` (WCP-19): records `step.cancelRequested` for each running instance of the step it reaches, commits,
 * then withdraws it: its call is aborted and it ends `cancelled` (a call that returned meanwhile keeps its result).
 * Returns once those instances ended. A step not running is left alone.
 */
export async function cancelStepStatement(host: RegionHost, s: CancelNode, frame: Frame): Promise<void> {
  const withdrawn = withdrawnBy(frame);
  if (withdrawn) throw new Withdrawn(withdrawn);
  const steps = host.active.find(host.active.steps, stepKey(frame, s.target)).filter((c) => !c.withdrawal.withdrawn);
  for (const c of steps) if (!host.log.stepCancels.has(c.key)) host.emit({ type: 'step.cancelRequested', step: c.key, node: c.node.id, by: s.id });
  if (steps.length) await host.commit();
  for (const c of steps) {
    c.withdrawal.reason = `step ${c.key} was cancelled by ${s.id}`;
    c.withdrawal.withdrawn = true;
    c.controller.abort();
  }
  await Promise.all(steps.map((c) => c.done));
}

/**
 * Runs step `s` — one a `cancel <step>` of its flow targets — as a withdrawable part of its own, so that the cancel
 * withdraws it alone: it ends `cancelled` and the statement after it goes on. On replay a recorded
 * `step.cancelRequested` withdraws it again (a call in flight when the run stopped is not made again).
 */
export async function cancellableStep(host: RegionHost, s: StepNode, key: string, frame: Frame, run: (frame: Frame) => Promise<void>): Promise<void> {
  const part = withdrawablePart(frame, host.log.stepCancels.has(key), `step ${key} was cancelled`);
  let resolve!: () => void;
  const entry: CancellableStep = { node: s, key, ...part, done: new Promise<void>((r) => (resolve = r)) };
  host.active.steps.add(entry);
  const own: Frame = { ...frame, signal: part.controller.signal, withdrawal: part.withdrawal };
  try {
    await stayCancellable(host, part, () => run(own));
  } catch (error) {
    if (!(error instanceof Withdrawn && error.withdrawal === part.withdrawal) || withdrawnBy(frame)) throw error;
    // withdrawn before its call started (or on a replay that never started it): it ends cancelled all the same
    if (!host.log.finishedSteps.has(key)) cancelStep(host, s, key, own, part.withdrawal, 0);
  } finally {
    host.active.steps.delete(entry);
    part.release();
    resolve();
  }
}

/**
 * The frame of a flow invocation whose body has a bare `complete`: a withdrawable part of its own (`frame.completion`),
 * withdrawn from the start when the log says a `complete` ended it (`flow.completed` for its scope). Other flows run in
 * `frame` as it is.
 */
export function completableFrame(host: Pick<RegionHost, 'log'>, frame: Frame): Frame {
  if (!hasBareComplete(frame.flow)) return frame;
  const recorded = host.log.flowsCompleted.get(frame.prefix);
  const part = withdrawablePart(frame, recorded !== undefined, `flow ${frame.flow.name} was completed`);
  return { ...frame, signal: part.controller.signal, withdrawal: part.withdrawal, completion: { withdrawal: part.withdrawal, controller: part.controller, release: part.release } };
}

/**
 * Runs the body of a flow invocation in its {@link completableFrame}.
 * @returns the node id of the bare `complete` that ended it (successfully), or undefined when it ran to its end.
 * @throws what the body throws but its completion.
 */
export async function completableBody(host: Pick<RegionHost, 'log'>, frame: Frame, run: (frame: Frame) => Promise<void>): Promise<string | undefined> {
  const body = completableFrame(host, frame);
  try {
    await run(body);
    return undefined;
  } catch (error) {
    const by = completedBy(host, body, error);
    if (by === undefined) throw error;
    return by;
  } finally {
    body.completion?.release();
  }
}

/**
 * Whether `error` is the end of `frame`'s flow invocation by a bare `complete` (see {@link completableFrame}):
 * then the flow succeeded, with the outputs set so far. @returns the `complete` statement's node id, or undefined.
 */
export function completedBy(host: Pick<RegionHost, 'log'>, frame: Frame, error: unknown): string | undefined {
  if (!(error instanceof Withdrawn) || !frame.completion || error.withdrawal !== frame.completion.withdrawal) return undefined;
  return host.log.flowsCompleted.get(frame.prefix)?.node ?? '';
}

/**
 * A bare `complete`: records `flow.completed` (once per flow invocation), commits, then withdraws what still runs in
 * the flow (branches, kept branches, calls in flight) and ends it. @throws Withdrawn (the flow's completion).
 */
export async function completeFlowStatement(host: RegionHost, s: CompleteNode, frame: Frame): Promise<never> {
  const completion = frame.completion!;
  const withdrawn = withdrawnBy(frame);
  if (withdrawn && withdrawn !== completion.withdrawal) throw new Withdrawn(withdrawn);
  if (!completion.withdrawal.withdrawn) {
    // the decision is stored before anything is withdrawn (a second `complete` meanwhile records nothing)
    if (!host.log.flowsCompleted.has(frame.prefix)) host.emit({ type: 'flow.completed', node: s.id, scope: frame.prefix, flow: frame.flow.name });
    await host.commit();
    completion.withdrawal.withdrawn = true;
    completion.controller.abort();
  }
  throw new Withdrawn(completion.withdrawal);
}

const bareCompletes = new WeakMap<FlowDef, boolean>();

/** Whether the flow's body has a bare `complete` (computed once per flow). */
function hasBareComplete(flow: FlowDef): boolean {
  let found = bareCompletes.get(flow);
  if (found === undefined) {
    found = false;
    forEachStatement(flow.body, (s) => {
      if (s.kind === 'complete' && s.target === undefined) found = true;
    });
    bareCompletes.set(flow, found);
  }
  return found;
}

const cancelledSteps = new WeakMap<FlowDef, Set<string>>();

/** The names of the steps of `flow` that a `cancel <step>` targets (computed once per flow). */
export function cancellableSteps(flow: FlowDef): Set<string> {
  let names = cancelledSteps.get(flow);
  if (!names) {
    const found = new Set<string>();
    forEachStatement(flow.body, (s) => {
      if (s.kind === 'cancel' && s.targetKind === 'step') found.add(s.target);
    });
    cancelledSteps.set(flow, (names = found));
  }
  return names;
}

function inChain(frame: Frame, withdrawal: Withdrawal): boolean {
  for (let w = frame.withdrawal; w; w = w.parent) if (w === withdrawal) return true;
  return false;
}
