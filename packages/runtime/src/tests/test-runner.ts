import type { EstimateConfig, Expr, RunEvent, SourceRange, TestDecisionDef, TestDef, TestEventDef, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import { exprToText } from '@baton/protocol';
import { createReplayAgents, readCassette } from '../agents/cassette.js';
import { CircuitBreakers } from '../engine/resilience.js';
import { createStubAgents } from '../agents/stub.js';
import { BatonError, toRunError } from '../errors.js';
import { evaluate, type EvalScope } from '../expr/evaluate.js';
import { makeRecord, truthy } from '../expr/values.js';
import { resumeRunDetailed, startRunDetailed, type RunOptions, type RunSummary } from '../engine/engine.js';
import { skippedView } from '../engine/scope.js';
import { SqliteRunStore } from '../store/sqlite-store.js';
import type { RunStoreApi } from '../store/store-api.js';

/** The outcome of one `test` block. */
export interface TestResult {
  name: string;
  flow: string;
  passed: boolean;
  /** Wall time, ms. */
  durationMs: number;
  /** Why it failed: the failing expectation, the value it read, and the run's status and error. */
  message?: string;
  runId?: string;
  status?: string;
  /** The `test` block's source range (1-based lines and columns, end exclusive). */
  range: SourceRange;
  /** When `expect` was false or could not be evaluated: the part of it that failed. */
  failedExpectation?: FailedExpectation;
}

/**
 * The part of a test's `expect` that failed: `expect: a && b && c` is read as three expectations, and the
 * first one that is not true is reported (the whole `expect` when it is not an `&&` chain).
 */
export interface FailedExpectation {
  /** The expectation as source-like text, e.g. `output.n == 2`. */
  text: string;
  /** Its source range (1-based lines and columns, end exclusive); absent for a `test` without `expect`. */
  range?: SourceRange;
  /** For a comparison (`== != < <= > >= in`) whose left side is not `status`: what that side read, e.g. `output.n` and `1`. */
  actual?: { text: string; value: unknown };
  /** Set when evaluating it threw (e.g. a function given a wrong argument): the error's message. */
  error?: string;
}

/**
 * Runs `test` blocks offline: each runs its flow with stub agents (the test's `stub` lines override the
 * agents' own), on a virtual clock that starts at the real time and moves only when the run waits: retry
 * backoff and short timers (up to 5 s) advance it instead of sleeping, and when the run stops waiting for a
 * long timer (`wait 2d`), the clock moves to the earliest timer's due time and the stored run is resumed —
 * the same durable path `baton resume` takes — until it no longer waits for a timer (at most
 * {@link MAX_TIMER_RESUMES} times). An event wait's `timeout` is a timer too. The test's `event "x" after D: data`
 * lines send their events on the same clock, in time order with the timers (at start + D, or without `after` as
 * soon as the run waits for that event), through the store as `baton send` does: a run not waiting for it yet keeps
 * it (a persistent trigger), a refused one (`buffer: none`) is lost. `decide a [after D]: "approved"` lines decide the
 * run's approval `a` the same way (as `baton approve` would; a decision refused — the approval is not waiting — is
 * lost). `decide <step>.<tool>: "approved"` decides a call of that tool that step's tool loop waits on an approval
 * for (the first waiting; one call per line). An approval no line decides is not a timer: a run that waits only for it ends the test as `waiting`. `expect` is evaluated over the finished run: every step of the flow by name (one that
 * did not run reads as status `skipped`), `output`, `input` and `status` (the run's final state).
 * @param options.store keeps the test runs (default: an in-memory store).
 * @param options.maxFlowDepth the runs' sub-flow depth bound (`limits.maxFlowDepth`; default 64).
 * @param options.estimateConfig what the runs' `estimate("Flow")` reads of the configuration (`prices`, `agents`).
 */
export async function runTests(definition: WorkflowDefinition, tests: TestDef[], options: { store?: RunStoreApi; onResult?: (r: TestResult) => void; maxFlowDepth?: number; estimateConfig?: EstimateConfig } = {}): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const store = options.store ?? SqliteRunStore.open(':memory:');
  try {
    for (const test of tests) {
      const result = await runOne(definition, test, store, options);
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    if (!options.store) await store.close();
  }
  return results;
}

/** How many times a test's run is resumed for its long timers before the test fails (a loop of waits that never ends). */
export const MAX_TIMER_RESUMES = 1000;

async function runOne(definition: WorkflowDefinition, test: TestDef, store: RunStoreApi, limits: { maxFlowDepth?: number; estimateConfig?: EstimateConfig }): Promise<TestResult> {
  const started = Date.now();
  const base = { name: test.name, flow: test.flow, range: test.range };
  let summary: RunSummary;
  let scopeLookup: (name: string) => unknown;
  try {
    // a test naming a cassette replays its real agents' recorded answers (offline); others use stubs
    const agents = test.cassette ? createReplayAgents(readCassette(test.cassette), test.cassette, test.stubs) : createStubAgents(test.stubs);
    let clock = Date.now();
    const options: RunOptions = {
      store,
      agents,
      // each test its own breakers: a recorded failure streak must not open a circuit for the next test
      circuits: new CircuitBreakers(),
      now: () => new Date(clock),
      // backoff and short timers take no time: the virtual clock moves instead
      sleep: async (ms) => {
        clock += ms;
      },
      random: () => 0.5,
      maxFlowDepth: limits.maxFlowDepth,
      estimateConfig: limits.estimateConfig,
    };
    const start = clock;
    // the test's `event "x" [after D]: data` and `decide a [after D]: "d"` lines not sent yet, in source order
    const unsent: Sent[] = [...(test.events ?? []).map((e) => ({ ...e, kind: 'event' as const })), ...(test.decisions ?? []).map((d) => ({ ...d, kind: 'decision' as const }))];
    let { summary: s, result } = await startRunDetailed(definition, test.flow, (test.input ?? {}) as Record<string, unknown>, options);
    for (let resumes = 0; s.status === 'waiting'; resumes++) {
      // what comes next on the virtual clock: a timer, an event wait's, a `wait until`'s or a lock block's deadline, or an event the test sends
      const due = s.waitingOn.flatMap((w) => (w.kind === 'timer' ? [Date.parse(w.until)] : (w.kind === 'event' || w.kind === 'condition' || w.kind === 'lock' || w.kind === 'signal') && w.deadline ? [Date.parse(w.deadline)] : []));
      // the tool calls waiting for approvals, by task, when a line decides one (`decide <step>.<tool>`)
      const toolCalls = unsent.some((e) => e.kind === 'decision' && e.tool !== undefined) ? toolCallsOf(await store.getEvents(s.runId)) : new Map<string, ToolCallAsked>();
      const sends = unsent.map((e) => (e.afterMs !== undefined ? start + e.afterMs : awaits(s.waitingOn, e, toolCalls) ? clock : Infinity));
      const nextSend = sends.indexOf(Math.min(...sends));
      const sendAt = nextSend >= 0 ? sends[nextSend] : Infinity;
      if (due.length === 0 && sendAt === Infinity) break;
      if (resumes === MAX_TIMER_RESUMES) {
        return { ...base, passed: false, durationMs: Date.now() - started, runId: s.runId, status: s.status, message: `the run still waits for a timer after ${MAX_TIMER_RESUMES} timers fired` };
      }
      // an event sent at a wait's deadline comes first: it was there when the deadline was checked
      if (sendAt <= Math.min(...due)) {
        const [sent] = unsent.splice(nextSend, 1);
        clock = Math.max(clock, sendAt);
        let signal: RunEvent | undefined;
        // a tool's call that no approval waits for now: the decision is lost
        const task = sent.kind === 'decision' ? taskOf(sent, s.waitingOn, toolCalls) : undefined;
        try {
          if (sent.kind === 'event') signal = await store.recordSignal(s.runId, sent.event, sent.data);
          else if (task !== undefined) signal = await store.recordDecision(s.runId, task, { decision: sent.decision, by: 'test' });
        } catch (error) {
          // refused as a sender would see it (a transient event nobody waits for, a full buffer, an approval not
          // waiting — withdrawn by a `wait first` arm that came first): it is lost
          if (!(error instanceof BatonError)) throw error;
        }
        // kept for a later wait, or refused: the run waits on — unless an event loop waits for it (it takes kept events)
        const forLoop = signal?.type === 'event.buffered' && s.waitingOn.some((w) => w.kind === 'event' && w.event === signal.event && w.stream);
        if (signal?.type !== 'event.received' && signal?.type !== 'approval.decided' && !forLoop) continue;
      } else {
        clock = Math.max(clock, Math.min(...due));
      }
      ({ summary: s, result } = await resumeRunDetailed(s.runId, options));
    }
    summary = s;
    scopeLookup = (name) => {
      const v = result.scope.get(name);
      if (v !== undefined) return v;
      if (result.stepNames.has(name)) return result.loopLists.has(name) ? [] : skippedView();
      return undefined;
    };
  } catch (error) {
    const e = toRunError(error);
    return { ...base, passed: false, durationMs: Date.now() - started, message: `the run did not start: ${e.message}` };
  }
  const scope: EvalScope = {
    lookup: (name) => {
      if (name === 'status') return summary.status;
      if (name === 'output') return makeRecord(Object.entries(summary.outputs));
      if (name === 'input') return makeRecord(Object.entries((test.input ?? {}) as Record<string, unknown>));
      return scopeLookup(name);
    },
    now: () => new Date().toISOString(),
  };
  const failedExpectation = firstFailing(test.expect, scope);
  const passed = failedExpectation === undefined;
  let message: string | undefined;
  if (failedExpectation) {
    const runState = `the run ${summary.status}` + (summary.error ? ` (${summary.error.code}: ${summary.error.message})` : '');
    if (failedExpectation.error !== undefined) message = `expect could not be evaluated: ${failedExpectation.text}: ${failedExpectation.error}; ${runState}`;
    else {
      const actual = failedExpectation.actual ? ` (${failedExpectation.actual.text} is ${describeValue(failedExpectation.actual.value)})` : '';
      message = `expected ${failedExpectation.text}${actual}; ${runState}`;
    }
  }
  const result: TestResult = { ...base, passed, durationMs: Date.now() - started, runId: summary.runId, status: summary.status };
  if (message !== undefined) result.message = message;
  if (failedExpectation) result.failedExpectation = failedExpectation;
  return result;
}

/** A test's line that sends something to its run: an event, or a decision on an approval. */
type Sent = (TestEventDef & { kind: 'event' }) | (TestDecisionDef & { kind: 'decision' });

/** A tool call that asked for an approval: its step's key and the tool's model-facing name. */
interface ToolCallAsked {
  step: string;
  tool: string;
}

/** The tool calls the run asked approvals for (`approval.requested` with `toolCall`), by task. */
function toolCallsOf(events: readonly RunEvent[]): Map<string, ToolCallAsked> {
  const calls = new Map<string, ToolCallAsked>();
  for (const e of events) if (e.type === 'approval.requested' && e.toolCall) calls.set(e.task, { step: e.toolCall.step, tool: e.toolCall.tool });
  return calls;
}

/**
 * The task a test's `decide` line decides: the approval's name; for `decide <step>.<tool>`, the first approval the
 * run waits on now for a call of that tool in that step (undefined when none waits).
 */
function taskOf(sent: TestDecisionDef, waitingOn: readonly WaitingOn[], toolCalls: ReadonlyMap<string, ToolCallAsked>): string | undefined {
  if (sent.tool === undefined) return sent.approval;
  const waiting = waitingOn.find((w) => w.kind === 'approval' && toolCalls.get(w.task)?.step === sent.approval && toolCalls.get(w.task)?.tool === sent.tool);
  return waiting?.kind === 'approval' ? waiting.task : undefined;
}

/** Whether the run waits (now) for what `sent` sends: an event of its name, or the approval (or tool call) it decides. */
function awaits(waitingOn: readonly WaitingOn[], sent: Sent, toolCalls: ReadonlyMap<string, ToolCallAsked>): boolean {
  if (sent.kind === 'event') return waitingOn.some((w) => w.kind === 'event' && w.event === sent.event);
  const task = taskOf(sent, waitingOn, toolCalls);
  return task !== undefined && waitingOn.some((w) => w.kind === 'approval' && w.task === task);
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);

/** The conjuncts of an `a && b && c` chain, left to right (a single expression is one conjunct). */
export function conjuncts(e: Expr): Expr[] {
  return e.kind === 'binary' && e.op === '&&' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** Evaluates each conjunct of `expect` in order; the first that is not truthy (or throws), or undefined when all hold. */
function firstFailing(expect: Expr, scope: EvalScope): FailedExpectation | undefined {
  for (const part of conjuncts(expect)) {
    const failed: FailedExpectation = { text: exprToText(part) };
    if (part.range) failed.range = part.range;
    try {
      if (truthy(evaluate(part, scope))) continue;
      // `status` is said anyway ("the run failed"); any other left side is worth showing.
      const readsStatus = part.kind === 'binary' && part.left.kind === 'ref' && part.left.name === 'status';
      if (part.kind === 'binary' && COMPARISONS.has(part.op) && !readsStatus) failed.actual = { text: exprToText(part.left), value: evaluate(part.left, scope) };
    } catch (error) {
      failed.error = toRunError(error).message;
    }
    return failed;
  }
  return undefined;
}

/** A value as a failure message shows it: JSON, cut at 200 characters. */
function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
