// A step whose target is a flow (`step s: Flow(...)`) as the statement interpreter (execution.ts) runs it: the
// sub-flow's body runs in a frame of its own (its step keys prefixed with the step's), on a fresh stack, at most
// `limits.maxFlowDepth` levels deep; its outputs become the step's output.
import type { FlowDef, JsonValue, StepNode } from '@baton/protocol';
import { toRunError } from '../errors.js';
import { evaluate } from '../expr/evaluate.js';
import { makeRecord } from '../expr/values.js';
import type { Frame } from './frame.js';
import { checkInputs } from './inputs.js';
import { cancelStep, ownedBlock, Withdrawn, type JoinHost } from './joins.js';
import { Scope, stepView } from './scope.js';
import { declaredNames, loopListNames } from './statements.js';
import { RunFailure, Stopped } from './stops.js';
import { Suspended } from './waits.js';
import { completableBody } from './regions.js';
import { MAX_FLOW_DEPTH } from '@baton/protocol';

/** See `MAX_FLOW_DEPTH` in protocol's limits.ts (defined there, where the static estimate reads it too). */
export { MAX_FLOW_DEPTH };

/**
 * The largest `limits.maxFlowDepth` allowed. Each level of sub-flow calls costs the interpreter's async stack a
 * few frames only while the call starts (every statement awaits), so 1,000 levels run well inside Node's default
 * stack (test/runtime/flow-depth.test.ts runs them).
 */
export const MAX_FLOW_DEPTH_LIMIT = 1000;

/** What a sub-flow step uses of the execution running it. */
export interface SubflowHost extends JoinHost {
  /** The definition's flows, by name. */
  flows: Record<string, FlowDef>;
  /** Registers a succeeded step for compensation should the run fail later (`seq`: its `step.finished`). */
  registerCompensation(s: StepNode, key: string, seq: number, frame: Frame): void;
}

/**
 * Runs step `s` (instance `key`) that calls a flow: emits `step.started`, runs the flow's body in a child frame
 * and emits `step.finished` with the child's outputs as the step's output (or the failure).
 * Failures of the step (`UNKNOWN_FLOW`, `FLOW_DEPTH_EXCEEDED` past the run's bound — {@link MAX_FLOW_DEPTH} unless
 * the run started with another —, input errors, the body's failure) fail the calling flow as a `RunFailure` unless
 * the step says `on error: continue`. `Suspended`, `Stopped` and `Withdrawn` pass through with the step's view set.
 * A bare `complete` in the called flow ends it successfully: the step succeeds with the outputs set so far.
 * `generated`: the flow an agent wrote (`step s: run plan`, generate-step.ts) and its own token budget.
 */
export async function subflowStep(host: SubflowHost, s: StepNode, key: string, frame: Frame, generated?: { flow: FlowDef; budgetTokens?: number }): Promise<void> {
  const flow = generated ? generated.flow : host.flows[s.target.name];
  const callee = flow?.name ?? s.target.name;
  const started = Date.now();
  host.emit({ type: 'step.started', step: key, node: s.id, agent: callee, target: 'flow' });
  let outputs: Record<string, JsonValue>;
  try {
    if (!flow) throw new RunFailure('UNKNOWN_FLOW', `step ${key} calls unknown flow ${s.target.name}`, key);
    const raw = s.input ? evaluate(s.input, host.evalScope(frame)) : {};
    // a generated flow takes those of the policy's inputs it declares (its inputs are among them: the checker saw to it)
    const given = (raw ?? {}) as Record<string, unknown>;
    const inputs = checkInputs(flow, generated ? Object.fromEntries(Object.entries(given).filter(([k]) => flow.inputs.some((i) => i.name === k))) : given);
    const budget = generated?.budgetTokens !== undefined ? { limit: generated.budgetTokens, used: 0, flow: flow.name } : undefined;
    outputs = await runFlowBody(host, flow, inputs, { key, name: s.name, prefix: `${key}/`, ...(budget ? { budget } : {}) }, frame);
  } catch (error) {
    if (error instanceof Withdrawn) {
      cancelStep(host, s, key, frame, error.withdrawal, Date.now() - started);
      throw error;
    }
    if (error instanceof Suspended || error instanceof Stopped) {
      frame.scope.set(s.name, stepView({ status: error instanceof Suspended ? 'waiting' : 'failed' }));
      throw error;
    }
    const runError = toRunError(error);
    const durationMs = Date.now() - started;
    host.emit({ type: 'step.finished', step: key, node: s.id, agent: callee, status: 'failed', error: runError, durationMs, attempts: 1, tokens: 0, callIndexes: [] });
    frame.scope.set(s.name, stepView({ status: 'failed', error: runError, durationMs, attempts: 1 }));
    if (s.onError !== 'continue') throw new RunFailure(runError.code, runError.message, key);
    return;
  }
  const output = makeRecord(Object.entries(outputs)) as JsonValue;
  const durationMs = Date.now() - started;
  const e = host.emit({ type: 'step.finished', step: key, node: s.id, agent: callee, status: 'succeeded', output, durationMs, attempts: 1, tokens: 0, callIndexes: [] });
  frame.scope.set(s.name, stepView({ output, status: 'succeeded', durationMs, attempts: 1 }));
  host.registerCompensation(s, key, e.seq, frame);
}

/**
 * Runs `flow`'s body with checked `inputs` in a child frame of `frame` whose step keys start with `at.prefix`
 * (a sub-flow step's `<step>/`, a flow tool's `<step>/<callId>/`), on a fresh stack, and returns its outputs.
 * `signal` (default the frame's) aborts its calls; `concurrent` marks it running beside others (default the frame's);
 * `budget` is a generated flow's own token budget (default the frame's).
 * A bare `complete` in the flow ends it successfully with the outputs set so far.
 * @throws RunFailure `FLOW_DEPTH_EXCEEDED` past the run's bound; whatever the body throws (its failure, Suspended,
 *   Stopped, Withdrawn).
 */
export async function runFlowBody(
  host: SubflowHost,
  flow: FlowDef,
  inputs: Record<string, JsonValue>,
  at: { key: string; name: string; prefix: string; signal?: AbortSignal; concurrent?: boolean; budget?: Frame['budget'] },
  frame: Frame,
): Promise<Record<string, JsonValue>> {
  const depth = frame.depth + 1;
  // the bound the run started with (a resumed run keeps it, whatever the configuration says now)
  const limit = host.log.maxFlowDepth ?? MAX_FLOW_DEPTH;
  if (depth > limit) {
    throw new RunFailure(
      'FLOW_DEPTH_EXCEEDED',
      `step ${at.name} would call flow ${flow.name} at sub-flow depth ${depth}, deeper than the limit of ${limit} (limits.maxFlowDepth in baton.config.json); a flow that calls itself needs a condition (if, when) that stops it`,
      at.key,
    );
  }
  // its steps' compensations join the list of the region around the step (the run's outside regions)
  const child: Frame = { flow, depth, inputs, outputs: {}, scope: new Scope(), prefix: at.prefix, indexes: [], signal: at.signal ?? frame.signal, concurrent: at.concurrent ?? frame.concurrent, names: declaredNames(flow.body), lists: loopListNames(flow.body), withdrawal: frame.withdrawal, heldLocks: frame.heldLocks, compensations: frame.compensations, budget: at.budget ?? frame.budget };
  // the child's body starts on a fresh stack, never on this level's: see freshStack
  await freshStack();
  // a bare `complete` ends the sub-flow successfully: the step succeeds with the outputs set so far
  await completableBody(host, child, (body) => ownedBlock(host, flow.body, body));
  return child.outputs;
}

/**
 * Ends the synchronous part of the current call chain and continues in a microtask, on a fresh stack.
 *
 * A sub-flow's body otherwise starts on its caller's stack: step → subflowStep → ownedBlock → block → statement →
 * … → step of the next level all run synchronously (nothing is awaited until an agent call or a store read), so
 * each level of a recursion kept about nine frames and 1000 levels (limits.maxFlowDepth at its largest) overflowed
 * the stack — or not, depending on how the JIT sized those frames. Awaiting here returns every caller's pending
 * promise down to the event loop first, so the stack a run uses no longer grows with its sub-flow depth
 * (a microtask, not a macrotask: nothing else is let in, and a run without sub-flows never comes here).
 */
async function freshStack(): Promise<void> {
  await undefined;
}
