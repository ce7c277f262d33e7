// The agent step as the statement interpreter runs it: its call of the agent with retries (attempts, backoff,
// `Retry-After`), its timeout, its circuit breaker, its stable call index and idempotency key, and the
// compensations of completed steps (their agents' calls) when a run fails.
import type { AgentDef, JsonValue, NewRunEvent, RunError, RunEvent, StepNode } from '@baton/protocol';
import { idempotencyKeyOf, type AgentCaller } from '../agents/agent.js';
import { BatonError, toRunError } from '../errors.js';
import { evaluate, renderText, type EvalScope } from '../expr/evaluate.js';
import { toJson } from '../expr/values.js';
import { callAgent } from './agent-call.js';
import type { Frame } from './frame.js';
import { CALL_RESERVATION_PREFIX, type ReplayLog } from './replay-log.js';
import { isRetryable, retryDelay, type CircuitBreakers, type CircuitChange } from './resilience.js';
import { stepView } from './scope.js';
import { cancelStep, withdrawnBy, Withdrawn } from './joins.js';
import { RunFailure, Stopped } from './stops.js';
import { toolLoop, type ToolHost, type ToolLoopProgress } from './tool-loop.js';
import { Suspended } from './waits.js';

/** A completed step with a `compensate` clause: run (newest `seq` first) if the run fails later. */
export interface Compensable {
  key: string;
  /** The seq of the step's `step.finished` event. */
  seq: number;
  step: StepNode;
  frame: Frame;
}

/** What the agent steps (and compensations) use of the execution running them. */
export interface AgentStepHost extends ToolHost {
  /** What the run's log already holds (finished compensations, call indexes), for replay. */
  log: ReplayLog;
  runId: string;
  /** The definition's agents, by name. */
  agents: Record<string, AgentDef>;
  /** Makes the calls (stub, cassette, HTTP, …). */
  caller: AgentCaller;
  /** The agents' circuit breakers (shared by the runs of a process). */
  circuits: CircuitBreakers;
  /** Crash test hook: SIGKILL this process once this step has started (see RunOptions.crashAt). */
  crashAt: string | undefined;
  /** The run's clock. */
  now(): Date;
  /** A number in [0, 1): the jitter of retry delays. */
  random(): number;
  /** Sleeps `ms`, or until `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Whether the caller's signal aborted (a shutdown, Ctrl-C, a supervisor's cancel). */
  interrupted(): boolean;
  /** Why the caller's signal stopped the run: cancelled or interrupted. */
  stopped(): Promise<Stopped>;
  /** Throws (through the promise) when the run is to stop; undefined when there was nothing to ask. */
  checkStop(frame: Frame): Promise<void> | undefined;
  evalScope(frame: Frame): EvalScope;
  /** Records an event (stored with the next commit). */
  emit(event: NewRunEvent): RunEvent;
  /** Commits what is recorded. */
  commit(): Promise<void>;
  /** Keeps a succeeded step's compensation, to run if the run fails later. */
  registerCompensation(s: StepNode, key: string, seq: number, frame: Frame): void;
  /** Counts a step's tokens against the run's budget. @throws RunFailure `BUDGET_EXCEEDED` */
  chargeTokens(tokens: number, frame: Frame, key: string): void;
  /** Whether `step.started` records the rendered prompt (the run's `run.started.recordPrompts`). */
  recordPrompts(): boolean;
}

/** The most of a rendered prompt `step.started` records, in bytes of UTF-8 (16 KiB); a longer one is cut (`promptTruncated`). */
export const MAX_RECORDED_PROMPT_BYTES = 16 * 1024;

/**
 * The `prompt` fields of a `step.started` event: the rendered prompt, cut to at most {@link MAX_RECORDED_PROMPT_BYTES}
 * bytes of UTF-8 at a character boundary (never half a character or half a surrogate pair) with `promptTruncated`.
 */
export function recordedPrompt(prompt: string): { prompt: string; promptTruncated?: true } {
  if (prompt.length * 3 <= MAX_RECORDED_PROMPT_BYTES || Buffer.byteLength(prompt, 'utf8') <= MAX_RECORDED_PROMPT_BYTES) return { prompt };
  let bytes = 0;
  let end = 0;
  for (const ch of prompt) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_RECORDED_PROMPT_BYTES) break;
    bytes += size;
    end += ch.length;
  }
  return { prompt: prompt.slice(0, end), promptTruncated: true };
}

/**
 * Runs step `s` (key `key`), whose target is an agent, that the log has not finished: calls the agent up to
 * `1 + retry.max` times (the step's `retry` and `timeout` over the agent's), each call with its own call index
 * and idempotency key (`runId/stepKey/callIndex`) and everything recorded before it committed first; a failure
 * of the dependency (resilience.ts: RETRYABLE_CODES) is tried again after its backoff. Records `step.started`,
 * `step.retrying`, `step.finished` and sets the step's view in the frame's scope.
 * @throws RunFailure the step's error (`UNKNOWN_AGENT`, the call's code, `BUDGET_EXCEEDED`) unless the step
 *   says `on error: continue`; Stopped when the run is cancelled or interrupted meanwhile.
 */
export async function agentStep(host: AgentStepHost, s: StepNode, key: string, frame: Frame): Promise<void> {
  const agentName = s.target.name;
  const agent = host.agents[agentName];
  if (!agent) throw new RunFailure('UNKNOWN_AGENT', `step ${key} calls unknown agent ${agentName}`, key);
  const timeoutMs = s.timeoutMs ?? agent.timeoutMs;
  const retry = s.retry ?? agent.retry;
  const maxAttempts = 1 + Math.max(0, retry?.max ?? 0);
  const started = Date.now();
  // the prompt is rendered before the step starts, so step.started can record it; a render error still starts the
  // step (with no prompt) and fails it below, as before
  let prompt = '';
  let renderError: unknown;
  try {
    prompt = s.prompt ? renderText(s.prompt, host.evalScope(frame)) : '';
  } catch (error) {
    renderError = error;
  }
  const recorded = renderError === undefined && s.prompt && host.recordPrompts() ? recordedPrompt(prompt) : {};
  host.emit({ type: 'step.started', step: key, node: s.id, agent: agentName, target: 'agent', ...recorded });
  const callIndexes: number[] = [];
  let attempts = 0;
  let lastError: RunError = { code: 'STEP_FAILED', message: 'failed' };
  let output: JsonValue | undefined;
  let tokens = 0;
  let costUsd: number | undefined;
  let succeeded = false;
  /** The tool loop counted the step's tokens against the run's budget as it went. */
  let charged = false;
  try {
    if (renderError !== undefined) throw renderError;
    const input = s.input ? toJson(evaluate(s.input, host.evalScope(frame))) : undefined;
    if (agent.tools?.length) {
      // the agent calls tools: the step runs its tool loop (tool-loop.ts), which counts its tokens as it goes
      const progress: ToolLoopProgress = { attempts: 1, callIndexes, tokens: 0 };
      try {
        output = await toolLoop(host, { s, key, agent, prompt, input, timeoutMs, retry, frame }, progress);
        succeeded = true;
      } finally {
        ({ attempts, tokens, costUsd } = progress);
        charged = true;
      }
    }
    while (!succeeded && !charged && attempts < maxAttempts) {
      attempts++;
      const stopping = host.checkStop(frame);
      if (stopping) await stopping;
      // an open circuit fails the attempt before any call is made (and before a stub call index is taken)
      try {
        reportCircuit(host, host.circuits.beforeCall(agentName, agent.circuit, host.now().getTime()));
      } catch (error) {
        lastError = toRunError(error);
        break;
      }
      const callIndex = takeCallIndex(host, agentName, key, frame);
      callIndexes.push(callIndex);
      // what the log says so far — the call's reserved index included — is stored before the call is made
      try {
        await host.commit();
      } catch (error) {
        // no call is made: a half-open circuit's probe is given back (the next call probes)
        host.circuits.afterCall(agentName, agent.circuit, 'STEP_CANCELLED', host.now().getTime());
        throw error;
      }
      if (host.crashAt === key) process.kill(process.pid, 'SIGKILL');
      try {
        const response = await callAgent(host.caller, agent, { stepKey: key, prompt, input, callIndex, runId: host.runId, idempotencyKey: idempotencyKeyOf(host.runId, key, callIndex), timeoutMs }, frame.signal);
        reportCircuit(host, host.circuits.afterCall(agentName, agent.circuit, undefined, host.now().getTime()));
        output = response.output;
        tokens = response.tokens ?? 0;
        costUsd = response.costUsd;
        succeeded = true;
        break;
      } catch (error) {
        if (error instanceof Stopped) throw error;
        // An interrupted run (Ctrl-C, shutdown) stops here; the step is not failed, so resume re-runs it.
        if (host.interrupted()) throw await host.stopped();
        lastError = toRunError(error);
        reportCircuit(host, host.circuits.afterCall(agentName, agent.circuit, lastError.code, host.now().getTime()));
        // only failures of the dependency are tried again (resilience.ts: RETRYABLE_CODES)
        if (frame.signal.aborted || attempts >= maxAttempts || !isRetryable(lastError.code)) break;
        const next = retryDelay(retry, attempts, host.random(), (error as { retryAfter?: string }).retryAfter, host.now().getTime());
        if ('stop' in next) {
          lastError = { code: lastError.code, message: `${lastError.message} (not retried: ${next.stop})` };
          break;
        }
        host.emit({ type: 'step.retrying', step: key, node: s.id, agent: agentName, attempt: attempts, delayMs: next.delayMs, error: lastError, callIndex });
        if (next.delayMs > 0) await host.sleep(next.delayMs, frame.signal).catch(() => undefined);
      }
    }
  } catch (error) {
    if (error instanceof Stopped) throw error;
    // a tool loop waits for a tool's approval: the step stays started, and runs its loop on from the log when resumed
    if (error instanceof Suspended) {
      frame.scope.set(s.name, stepView({ status: 'waiting' }));
      throw error;
    }
    if (host.interrupted()) throw await host.stopped();
    lastError = toRunError(error);
  }
  const durationMs = Date.now() - started;
  if (succeeded) {
    const e = host.emit({ type: 'step.finished', step: key, node: s.id, agent: agentName, status: 'succeeded', output, durationMs, attempts, tokens, ...(costUsd !== undefined ? { costUsd } : {}), callIndexes });
    frame.scope.set(s.name, stepView({ output, status: 'succeeded', durationMs, tokens, attempts }));
    host.registerCompensation(s, key, e.seq, frame);
    if (!charged) host.chargeTokens(tokens, frame, key);
    return;
  }
  // withdrawn (the rest of a partial join): the step ends cancelled, and with it its part of the run
  const withdrawal = frame.withdrawal ? withdrawnBy(frame) : undefined;
  if (withdrawal) {
    cancelStep(host, s, key, frame, withdrawal, durationMs, attempts);
    throw new Withdrawn(withdrawal);
  }
  if (frame.signal.aborted && lastError.code !== 'STEP_TIMEOUT') lastError = { code: 'STEP_CANCELLED', message: 'cancelled because a sibling branch failed' };
  host.emit({ type: 'step.finished', step: key, node: s.id, agent: agentName, status: 'failed', error: lastError, durationMs, attempts, tokens, callIndexes });
  frame.scope.set(s.name, stepView({ status: 'failed', error: lastError, durationMs, attempts }));
  if (s.onError !== 'continue') throw new RunFailure(lastError.code, `step ${key} failed: ${lastError.message}`, key);
}

/**
 * The call index of the next call of `agent` by step `key`: the one the log reserved for it when that call was
 * in flight as the run stopped, else the agent's next index — reserved in the log (a `value.recorded`
 * `call:<key>`, stored by the commit before the call) when the frame runs beside others: only then could a
 * sibling's call of the same agent be recorded with a higher index while this one is in flight, and replay
 * could no longer give this call its index back (see `CALL_RESERVATION_PREFIX`).
 */
export function takeCallIndex(host: AgentStepHost, agent: string, key: string, frame: Frame): number {
  const { callIndex, reserved } = host.log.takeStepCall(agent, key);
  if (frame.concurrent && !reserved) host.emit({ type: 'value.recorded', key: `${CALL_RESERVATION_PREFIX}${key}`, value: { agent, callIndex } });
  return callIndex;
}

/** Records a change of an agent's circuit breaker in the run's log. */
export function reportCircuit(host: AgentStepHost, change: CircuitChange | undefined): void {
  if (change) host.emit({ type: 'circuit.changed', ...change });
}

/**
 * Runs the compensations of completed steps (`compensable`), newest completion first; each is recorded as
 * events (`compensation.started`, `compensation.finished`), and one that the log already finished is not run
 * again. A compensation that fails is recorded failed; the others still run.
 */
export async function compensateSteps(host: AgentStepHost, compensable: readonly Compensable[]): Promise<void> {
  const todo = [...compensable].sort((a, b) => b.seq - a.seq);
  for (const c of todo) {
    if (host.log.finishedCompensations.has(c.key)) continue;
    const comp = c.step.compensate!;
    const agent = host.agents[comp.agent];
    host.emit({ type: 'compensation.started', step: c.key, node: c.step.id, agent: comp.agent });
    const started = Date.now();
    const callIndex = host.log.takeCall(comp.agent);
    try {
      if (!agent) throw new BatonError('UNKNOWN_AGENT', `unknown agent ${comp.agent}`);
      const scope = host.evalScope(c.frame);
      const prompt = comp.prompt ? renderText(comp.prompt, scope) : '';
      const input = comp.input ? toJson(evaluate(comp.input, scope)) : undefined;
      await host.commit();
      if (host.crashAt === `undo ${c.key}`) process.kill(process.pid, 'SIGKILL');
      const response = await callAgent(host.caller, agent, { stepKey: c.key, prompt, input, callIndex, runId: host.runId, idempotencyKey: idempotencyKeyOf(host.runId, c.key, callIndex, true), timeoutMs: agent.timeoutMs }, new AbortController().signal);
      host.emit({ type: 'compensation.finished', step: c.key, node: c.step.id, agent: comp.agent, status: 'succeeded', output: response.output, durationMs: Date.now() - started, callIndexes: [callIndex] });
    } catch (error) {
      host.emit({ type: 'compensation.finished', step: c.key, node: c.step.id, agent: comp.agent, status: 'failed', error: toRunError(error), durationMs: Date.now() - started, callIndexes: [callIndex] });
    }
  }
}
