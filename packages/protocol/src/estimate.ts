// A static worst case of what a run of a flow may take: agent calls, output tokens, their cost and the
// duration, read off the compiled definition alone (no run, no inputs). `null` marks a figure the flow does not
// bound: an agent without `max_tokens`, a model without `prices`, a wait without a timeout, a list of unknown length.
import type { AgentDef, Statement, StepNode, WorkflowDefinition } from './ir.js';
import { nestedBodies } from './ir-walk.js';
import { DEFAULT_MAX_RETRY_DELAY_MS, MAX_FLOW_DEPTH } from './limits.js';
import { DEFAULT_MAX_TURNS, type ToolDef } from './tools.js';

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
  /** Attempts per run of the step: 1 + its `retry` (1 for a sub-flow step); with a tool loop, per model turn. */
  attempts: number;
  /** A step whose agent has `tools:`: its `max_turns` (default {@link DEFAULT_MAX_TURNS}), the model turns it may take. */
  turns?: number;
}

/** The worst case of one flow: per step (one run of the step, all attempts) and for the whole run. */
export interface FlowEstimate {
  flow: string;
  total: EstimateFigures;
  steps: StepEstimate[];
  /** Why a figure is `null`, one sentence each (`approval review has no timeout: duration unbounded`). */
  notes: string[];
}

/**
 * What a run's `estimate("Flow")` reads of the `baton.config.json` it started under — `prices` and `agents` overrides
 * ({@link EstimateOptions}) — recorded on its `run.started` (`estimate`) so a resumed run gets the same values.
 */
export interface EstimateConfig {
  /** `provider/model` → US dollars per million input and output tokens. */
  prices?: Record<string, { input: number; output: number }>;
  agents?: Record<string, { model?: string; maxTokens?: number }>;
}

/**
 * The part of `config` a run of `definition` can read: the overrides of its agents and the prices of the models they
 * use (overrides applied). Undefined when nothing is left — a run that records nothing estimates without prices.
 */
export function estimateConfigFor(definition: WorkflowDefinition, config: EstimateConfig | undefined): EstimateConfig | undefined {
  if (!config) return undefined;
  const agents: NonNullable<EstimateConfig['agents']> = {};
  const prices: NonNullable<EstimateConfig['prices']> = {};
  for (const [name, agent] of Object.entries(definition.agents)) {
    const override = config.agents?.[name];
    if (override && (override.model !== undefined || override.maxTokens !== undefined)) agents[name] = { ...(override.model !== undefined ? { model: override.model } : {}), ...(override.maxTokens !== undefined ? { maxTokens: override.maxTokens } : {}) };
    const model = override?.model ?? agent.model;
    const price = model === undefined ? undefined : config.prices?.[model];
    if (model !== undefined && price) prices[model] = { input: price.input, output: price.output };
  }
  const picked: EstimateConfig = { ...(Object.keys(prices).length ? { prices } : {}), ...(Object.keys(agents).length ? { agents } : {}) };
  return Object.keys(picked).length ? picked : undefined;
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
 * - a step whose agent has `tools:`: its tool loop — `max_turns` model turns (default {@link DEFAULT_MAX_TURNS}) of
 *   `1 + retry.max` attempts each, and after each turn but the last one round of tool calls run concurrently: an
 *   agent tool is one call of that agent (its `max_tokens`, its `timeout`), a flow tool that flow's worst case (one
 *   sub-flow level deeper), an MCP tool no calls or tokens and the step's timeout; as the runtime does not limit the
 *   calls of a turn, a tool that makes calls or spends tokens leaves those figures unbounded. The step's timeout caps
 *   the loop's duration (plus the largest retry delay; with tool approvals, per turn plus their `approval_timeout`);
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

  /**
   * One call of agent `name` (the config's `agents.<A>` over `maxTokens` over the agent's `max_tokens`), bounded by
   * `timeoutMs`: 1 call, its `max_tokens` output tokens at the model's output price, `timeoutMs` long; the stub (no
   * model) costs nothing and takes no time. `timeoutNote` is the note when `timeoutMs` is undefined.
   */
  const oneCall = (name: string, maxTokensOfStep: number | undefined, timeoutMs: number | undefined, timeoutNote: string): EstimateFigures => {
    const agent = definition.agents[name];
    const override = options.agents?.[name];
    const model = override?.model ?? agent?.model;
    if (!model) return { calls: 1, outputTokens: 0, outputCostUsd: 0, durationMs: 0 };
    const maxTokens = override?.maxTokens ?? maxTokensOfStep ?? agent?.maxTokens;
    if (maxTokens === undefined) notes.add(`agent ${name} has no max_tokens: its output tokens are unbounded`);
    const price = options.prices?.[model];
    if (!price) notes.add(`model ${model} has no prices in baton.config.json: its cost is unknown`);
    if (timeoutMs === undefined) notes.add(timeoutNote);
    return {
      calls: 1,
      outputTokens: maxTokens ?? null,
      outputCostUsd: maxTokens === undefined || !price ? null : (maxTokens * price.output) / 1_000_000,
      durationMs: timeoutMs ?? null,
    };
  };

  /** The delays before retries 1 … `attempts − 1` (runtime's resilience.ts: `min(max, backoff · 2^(i−1))`), and the largest. */
  const retryDelays = (retry: StepNode['retry'], attempts: number): { total: number; largest: number } => {
    let total = 0;
    let largest = 0;
    for (let i = 1; i < attempts; i++) {
      const delay = Math.min(retry?.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS, (retry?.backoffMs ?? 0) * 2 ** (i - 1));
      total += delay;
      largest = Math.max(largest, delay);
    }
    return { total, largest };
  };

  const agentStep = (s: StepNode & { target: { kind: 'agent' } }, depth: number): { attempts: number; turns?: number; figures: EstimateFigures } => {
    const agent = definition.agents[s.target.name];
    const retry = s.generate ? undefined : s.retry ?? agent?.retry;
    // a generating step calls its agent once, then once per repair (docs/agents.md)
    const attempts = s.generate ? 1 + s.generate.repairs : 1 + (retry?.max ?? 0);
    const timeoutMs = s.timeoutMs ?? agent?.timeoutMs;
    const who = `step ${s.name} has no timeout (neither it nor agent ${s.target.name}): its duration is unbounded`;
    if (agent?.tools?.length) return { attempts, ...toolLoopStep(s, agent, { attempts, timeoutMs, delays: retryDelays(retry, attempts), who }, depth) };
    const call = oneCall(s.target.name, s.maxTokens, timeoutMs, who);
    return { attempts, figures: sum(repeat(attempts, call), { ...ZERO, durationMs: retryDelays(retry, attempts).total }) };
  };

  /**
   * A step whose agent has `tools:` runs a tool loop (runtime's engine/tool-loop.ts): up to `max_turns` (default
   * {@link DEFAULT_MAX_TURNS}) model turns, each a call tried `attempts` times; after each turn but the last, the
   * calls the model asked for, run concurrently. The runtime does not limit how many calls a turn asks for, so a tool
   * that makes agent calls, spends tokens or costs makes those figures unbounded; a round takes its slowest tool (plus
   * its approval's timeout). The step's timeout bounds the whole loop in one process — a tool's approval suspends the
   * loop, which resumes with its timeout afresh — so the duration is the smaller of the sum and that cap.
   */
  const toolLoopStep = (s: StepNode, agent: AgentDef, a: { attempts: number; timeoutMs: number | undefined; delays: { total: number; largest: number }; who: string }, depth: number): { turns: number; figures: EstimateFigures } => {
    const turns = agent.maxTurns ?? DEFAULT_MAX_TURNS;
    const rounds = turns - 1;
    const turn = oneCall(agent.name, s.maxTokens, a.timeoutMs, a.who);
    // each turn's call with its retries (their delays restart per turn)
    const modelTurns = sum(repeat(turns * a.attempts, turn), { ...ZERO, durationMs: turns * a.delays.total });
    let round: EstimateFigures = ZERO;
    let waits = false;
    for (const tool of agent.tools ?? []) {
      const each = toolCall(tool, agent, s, a.timeoutMs, depth);
      const many = (x: Bound): Bound => (x === 0 ? 0 : null);
      if (each.calls !== 0 || each.outputTokens !== 0 || each.outputCostUsd !== 0) {
        notes.add(`agent ${agent.name} may ask for any number of calls of tool ${tool.name} in a turn (the runtime does not limit them): its calls, tokens and cost are unbounded`);
      }
      let duration = each.durationMs;
      if (tool.approval) {
        waits = true;
        if (tool.approval.timeoutMs === undefined) notes.add(`tool ${tool.name} of agent ${agent.name} waits for an approval with no approval_timeout: the run's duration is unbounded`);
        duration = add(duration, tool.approval.timeoutMs ?? null);
      }
      round = { calls: add(round.calls, many(each.calls)), outputTokens: add(round.outputTokens, many(each.outputTokens)), outputCostUsd: add(round.outputCostUsd, many(each.outputCostUsd)), durationMs: max(round.durationMs, duration) };
    }
    const figures = sum(modelTurns, repeat(rounds, round));
    if (a.timeoutMs !== undefined) {
      // one stretch per process: the whole loop, or (a tool's approval suspending it) each turn's
      const stretches = waits ? turns : 1;
      const cap = add(stretches * (a.timeoutMs + a.delays.largest), waits ? times(rounds, longestApproval(agent)) : 0);
      figures.durationMs = figures.durationMs === null ? cap : cap === null ? figures.durationMs : Math.min(figures.durationMs, cap);
    }
    return { turns, figures };
  };

  /** One call of `tool` in a tool loop: an agent (one call, its own timeout, no retries), a flow (its worst case, one level deeper), an MCP tool. */
  const toolCall = (tool: ToolDef, agent: AgentDef, s: StepNode, stepTimeoutMs: number | undefined, depth: number): EstimateFigures => {
    const target = tool.target;
    if (target.kind === 'agent') return oneCall(target.name, undefined, definition.agents[target.name]?.timeoutMs, `agent ${target.name} (tool ${tool.name} of agent ${agent.name}) has no timeout: its duration is unbounded`);
    if (target.kind === 'flow') return flowFigures(target.name, depth + 1);
    // an MCP server's tool: no agent calls or tokens of Baton's; its time bounded only by the step's timeout
    if (stepTimeoutMs === undefined) notes.add(`tool mcp.${target.server}.${target.tool} of agent ${agent.name} is an MCP tool, bounded only by the step's timeout, and step ${s.name} has none: its duration is unbounded`);
    return { ...ZERO, durationMs: stepTimeoutMs ?? null };
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
        const { attempts, turns, figures }: { attempts: number; turns?: number; figures: EstimateFigures } =
          s.target.kind === 'agent' ? agentStep(s as StepNode & { target: { kind: 'agent' } }, depth) : s.target.kind === 'generated' ? generatedRun(s) : { attempts: 1, figures: flowFigures(s.target.name, depth + 1) };
        runs?.list.push({ id: s.id, name: s.name, target: `${s.target.kind} ${s.target.name}`, runs: runs.count, attempts, ...(turns !== undefined ? { turns } : {}), ...figures });
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

/** The longest wait for the approval of one of `agent`'s tools (ms; `null`: one has no `approval_timeout`). */
function longestApproval(agent: AgentDef): Bound {
  let longest: Bound = 0;
  for (const t of agent.tools ?? []) if (t.approval) longest = max(longest, t.approval.timeoutMs ?? null);
  return longest;
}

/** Where the estimated flow's own steps are listed, and how many times the current block may run. Undefined inside sub-flows. */
type Runs = { list: StepEstimate[]; count: Bound } | undefined;
