// A static worst case of what a run of a flow may take: agent calls, output tokens, their cost and the
// duration, read off the compiled definition alone (no run, no inputs). `null` marks a figure the flow does not
// bound: an agent without `max_tokens`, a model without `prices`, a wait without a timeout, a list of unknown length.
import type { Statement, StepNode, WorkflowDefinition } from './ir.js';
import { nestedBodies } from './ir-walk.js';
import { DEFAULT_MAX_RETRY_DELAY_MS, MAX_FLOW_DEPTH } from './limits.js';

/** A bound: a number, or `null` when the flow gives none (unbounded or unknown statically). */
export type Bound = number | null;

/** What the worst case is read in. All of them are bounds, never averages. */
export interface EstimateFigures {
  /** Agent calls, retries included. */
  calls: Bound;
  /** Output tokens: each model call's `max_tokens`. Input tokens are not bounded statically and not counted. */
  outputTokens: Bound;
  /** US dollars for {@link outputTokens} at the model's `prices` output rate (stub agents cost 0). */
  outputCostUsd: Bound;
  /** Wall-clock time, ms: timeouts, waits and the largest retry delays, sequential where the flow is. */
  durationMs: Bound;
}

/** One step of the estimated flow (a step inside a sub-flow is part of the calling step's figures). */
export interface StepEstimate extends EstimateFigures {
  /** The step's node id (`Flow/name`), as in run events. */
  id: string;
  name: string;
  /** `agent A` or `flow F`. */
  target: string;
  /** How many times the step may run in one run (loops multiplied); `null`: a loop of unknown length. */
  runs: Bound;
  /** Attempts per run of the step: 1 + its `retry` (1 for a sub-flow step). */
  attempts: number;
}

/** The worst case of one flow: per step (one run of the step, all attempts) and for the whole run. */
export interface FlowEstimate {
  flow: string;
  total: EstimateFigures;
  steps: StepEstimate[];
  /** Why a figure is `null`, one sentence each (`approval review has no timeout: duration unbounded`). */
  notes: string[];
}

/** What the configuration adds: `prices` and `agents` overrides of `baton.config.json`, `limits.maxFlowDepth`. */
export interface EstimateOptions {
  /** `provider/model` → US dollars per million input and output tokens. */
  prices?: Record<string, { input: number; output: number }>;
  agents?: Record<string, { model?: string; maxTokens?: number }>;
  /** How deep sub-flow calls may nest (default {@link MAX_FLOW_DEPTH}); a call deeper fails at once and costs nothing. */
  maxFlowDepth?: number;
}

const ZERO: EstimateFigures = { calls: 0, outputTokens: 0, outputCostUsd: 0, durationMs: 0 };

const add = (a: Bound, b: Bound): Bound => (a === null || b === null ? null : a + b);
const max = (a: Bound, b: Bound): Bound => (a === null || b === null ? null : Math.max(a, b));
/** `n` times `x`: 0 when either is 0 (nothing repeated nothing), else null when either is unknown. */
const times = (n: Bound, x: Bound): Bound => (n === 0 || x === 0 ? 0 : n === null || x === null ? null : n * x);

function sum(a: EstimateFigures, b: EstimateFigures): EstimateFigures {
  return { calls: add(a.calls, b.calls), outputTokens: add(a.outputTokens, b.outputTokens), outputCostUsd: add(a.outputCostUsd, b.outputCostUsd), durationMs: add(a.durationMs, b.durationMs) };
}
function worst(a: EstimateFigures, b: EstimateFigures): EstimateFigures {
  return { calls: max(a.calls, b.calls), outputTokens: max(a.outputTokens, b.outputTokens), outputCostUsd: max(a.outputCostUsd, b.outputCostUsd), durationMs: max(a.durationMs, b.durationMs) };
}
function repeat(n: Bound, f: EstimateFigures): EstimateFigures {
  return { calls: times(n, f.calls), outputTokens: times(n, f.outputTokens), outputCostUsd: times(n, f.outputCostUsd), durationMs: times(n, f.durationMs) };
}

/**
 * The static worst case of a run of `flowName` in `definition`:
 * - a step calling an agent: `1 + retry.max` attempts (the step's `retry` over the agent's), each up to its
 *   `max_tokens` output tokens (the config's `agents.<A>.maxTokens`, then the step's, then the agent's) and its
 *   `timeout`, plus the largest delay before each retry (`min(max, backoff · 2^(i−1))`, runtime's resilience.ts); an agent
 *   with no model is the stub: no tokens, no cost, no time;
 * - a step calling a flow: that flow's worst case, recursively, down to `maxFlowDepth` (deeper calls fail at once);
 * - a sequence adds up; `if`/`switch`/`wait first` take the worst branch per figure; `parallel` adds calls, tokens
 *   and cost and takes the longest branch (the sum with a `concurrency`); `foreach` over a list literal multiplies
 *   by its length (any other list, and an event loop: unknown), `repeat max N` by N, both sequentially;
 * - `wait D` takes D; an approval, event/signal wait or `wait until` its timeout and its `on timeout` block
 *   (no timeout: duration unbounded); a `lock` its timeout and the longer of its body and `on timeout`;
 *   a `region` its body and its `on cancel`. Compensations are not counted.
 * @throws Error when `flowName` is not a flow of `definition` (callers check the name first).
 */
export function estimateFlow(definition: WorkflowDefinition, flowName: string, options: EstimateOptions = {}): FlowEstimate {
  if (!definition.flows[flowName]) throw new Error(`no flow ${flowName}`);
  const limit = options.maxFlowDepth ?? MAX_FLOW_DEPTH;
  const notes = new Set<string>();
  const memo = new Map<string, EstimateFigures>();
  const steps: StepEstimate[] = [];

  const agentStep = (s: StepNode & { target: { kind: 'agent' } }): { attempts: number; figures: EstimateFigures } => {
    const agent = definition.agents[s.target.name];
    const override = options.agents?.[s.target.name];
    const retry = s.generate ? undefined : s.retry ?? agent?.retry;
    // a generating step calls its agent once, then once per repair (docs/agents.md)
    const attempts = s.generate ? 1 + s.generate.repairs : 1 + (retry?.max ?? 0);
    let delays = 0;
    for (let i = 1; i < attempts; i++) delays += Math.min(retry?.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS, (retry?.backoffMs ?? 0) * 2 ** (i - 1));
    const model = override?.model ?? agent?.model;
    if (!model) return { attempts, figures: { calls: attempts, outputTokens: 0, outputCostUsd: 0, durationMs: delays } };
    const maxTokens = override?.maxTokens ?? s.maxTokens ?? agent?.maxTokens;
    if (maxTokens === undefined) notes.add(`agent ${s.target.name} has no max_tokens: its output tokens are unbounded`);
    const price = options.prices?.[model];
    if (!price) notes.add(`model ${model} has no prices in baton.config.json: its cost is unknown`);
    const timeoutMs = s.timeoutMs ?? agent?.timeoutMs;
    if (timeoutMs === undefined) notes.add(`step ${s.name} has no timeout (neither it nor agent ${s.target.name}): its duration is unbounded`);
    const tokens = maxTokens === undefined ? null : attempts * maxTokens;
    return {
      attempts,
      figures: {
        calls: attempts,
        outputTokens: tokens,
        outputCostUsd: tokens === null || !price ? null : (tokens * price.output) / 1_000_000,
        durationMs: timeoutMs === undefined ? null : attempts * timeoutMs + delays,
      },
    };
  };

  /** `run plan`: what the flow an agent writes will do is unknown before the run; only its policy's token budget bounds it. */
  const generatedRun = (s: StepNode): { attempts: number; figures: EstimateFigures } => {
    notes.add(`step ${s.name} runs a flow an agent writes: its calls, cost and duration are unknown before the run`);
    return { attempts: 1, figures: { calls: null, outputTokens: null, outputCostUsd: null, durationMs: null } };
  };

  const flowFigures = (name: string, depth: number): EstimateFigures => {
    if (depth > limit || !definition.flows[name]) return ZERO;
    const key = `${name}@${depth}`;
    let figures = memo.get(key);
    if (!figures) {
      figures = body(definition.flows[name].body, depth, undefined);
      memo.set(key, figures);
    }
    return figures;
  };

  /** Blocks that wait up to `timeoutMs` then run `onTimeout`: the wait plus that block; no timeout: unbounded. */
  const timed = (what: string, timeoutMs: number | undefined, onTimeout: Statement[] | undefined, depth: number, runs: Runs): EstimateFigures => {
    if (timeoutMs === undefined) {
      notes.add(`${what} has no timeout: the run's duration is unbounded`);
      return { ...ZERO, durationMs: null };
    }
    return sum({ ...ZERO, durationMs: timeoutMs }, body(onTimeout ?? [], depth, runs));
  };

  const statement = (s: Statement, depth: number, runs: Runs): EstimateFigures => {
    switch (s.kind) {
      case 'step': {
        const { attempts, figures } = s.target.kind === 'agent' ? agentStep(s as StepNode & { target: { kind: 'agent' } }) : s.target.kind === 'generated' ? generatedRun(s) : { attempts: 1, figures: flowFigures(s.target.name, depth + 1) };
        runs?.list.push({ id: s.id, name: s.name, target: `${s.target.kind} ${s.target.name}`, runs: runs.count, attempts, ...figures });
        return figures;
      }
      case 'if':
      case 'switch':
      case 'choice': {
        let figures = ZERO;
        for (const nested of nestedBodies(s)) figures = worst(figures, body(nested, depth, runs));
        if (s.kind === 'choice') {
          const timers = s.arms.flatMap((a) => (a.kind === 'timer' ? [a.durationMs] : []));
          if (timers.length === 0) notes.add(`wait first (line ${s.range.start.line}) has no timer arm: the run's duration is unbounded`);
          figures = sum(figures, { ...ZERO, durationMs: timers.length === 0 ? null : Math.min(...timers) });
        }
        return figures;
      }
      case 'parallel': {
        let total = ZERO;
        let longest: Bound = 0;
        for (const branch of s.branches) {
          const f = statement(branch, depth, runs);
          total = sum(total, f);
          longest = max(longest, f.durationMs);
        }
        return s.concurrency === undefined ? { ...total, durationMs: longest } : total;
      }
      case 'foreach':
      case 'repeat': {
        let count: Bound;
        if (s.kind === 'repeat') count = s.max;
        else if (s.items?.kind === 'list') count = s.items.items.length;
        else {
          count = null;
          notes.add(`foreach ${s.variable} (line ${s.range.start.line}) goes over ${s.source ? 'events' : 'a list'} of unknown length: what its body takes is unbounded`);
        }
        return repeat(count, body(s.body, depth, runs && { list: runs.list, count: times(runs.count, count) }));
      }
      case 'block':
        return body(s.body, depth, runs);
      case 'region':
        return sum(body(s.body, depth, runs), body(s.onCancel ?? [], depth, runs));
      case 'wait':
        return { ...ZERO, durationMs: s.durationMs };
      case 'approval':
        return timed(`approval ${s.name}`, s.timeoutMs, s.onTimeout, depth, runs);
      case 'waitEvent':
        return timed(`wait event "${s.event}" (line ${s.range.start.line})`, s.timeoutMs, s.onTimeout, depth, runs);
      case 'waitSignal':
        return timed(`wait signal ${s.signal} (line ${s.range.start.line})`, s.timeoutMs, s.onTimeout, depth, runs);
      case 'waitUntil':
        return timed(`wait until (line ${s.range.start.line})`, s.timeoutMs, s.onTimeout, depth, runs);
      case 'lock': {
        const inside = worst(body(s.body, depth, runs), body(s.onTimeout ?? [], depth, runs));
        if (s.timeoutMs === undefined) notes.add(`lock (line ${s.range.start.line}) has no timeout: the run's duration is unbounded`);
        return sum(inside, { ...ZERO, durationMs: s.timeoutMs ?? null });
      }
      default:
        return ZERO;
    }
  };

  function body(statements: Statement[], depth: number, runs: Runs): EstimateFigures {
    let figures = ZERO;
    for (const s of statements) figures = sum(figures, statement(s, depth, runs));
    return figures;
  }

  const total = body(definition.flows[flowName].body, 0, { list: steps, count: 1 });
  return { flow: flowName, total, steps, notes: [...notes] };
}

/** Where the estimated flow's own steps are listed, and how many times the current block may run. Undefined inside sub-flows. */
type Runs = { list: StepEstimate[]; count: Bound } | undefined;
