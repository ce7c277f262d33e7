// The tool loop of an agent step whose agent has `tools:` (issue 14): the model is asked in turns — each turn one
// call of the agent (`AgentCaller.turn`) with the conversation so far — and answers either with tool calls, which
// the loop runs (tool-calls.ts) and gives back, or with the step's final output. Bounded by the agent's
// `max_turns`, the step's timeout and the flow's token budget. Durable: every turn and every tool call is an event,
// and a resumed loop rebuilds the conversation from the log — finished turns are not asked again, finished tool
// calls are answered from the log.
import { DEFAULT_MAX_TURNS, type AgentDef, type JsonValue, type RetryPolicy, type RunError, type StepNode, type ToolCallRequest, type ToolDef } from '@baton/protocol';
import { idempotencyKeyOf, type AgentTurnResponse, type ToolSpec, type TurnHistoryItem } from '../agents/agent.js';
import { BatonError, toRunError } from '../errors.js';
import { bounded, checkDepth } from './agent-call.js';
import { recordedPrompt, reportCircuit, takeCallIndex, type AgentStepHost } from './agent-step.js';
import type { Frame } from './frame.js';
import { LOOP_TIME_PREFIX } from './replay-log.js';
import { isRetryable, retryDelay } from './resilience.js';
import { Stopped } from './stops.js';
import { runToolCalls, type LoopTool, type ToolHost } from './tool-calls.js';
import { Suspended } from './waits.js';

export type { ToolHost } from './tool-calls.js';

/** The step whose agent runs a tool loop, and what it asks. */
export interface ToolLoopRequest {
  s: StepNode;
  key: string;
  agent: AgentDef;
  prompt: string;
  input?: JsonValue;
  /**
   * The step's timeout (ms): it bounds the whole loop, turns and tool calls together, across processes (a resumed
   * loop gets the time left); the time the run waits for one of its calls does not count.
   */
  timeoutMs?: number;
  /** The step's retry policy: a model turn whose call fails with a retryable code is asked again. */
  retry?: RetryPolicy;
  frame: Frame;
}

/**
 * What the loop did so far, kept up to date as it goes so that a failing step reports it: `attempts` (1, plus one
 * per retry of a turn's call), the model calls' indexes, and the tokens (turns and agent tools;
 * already counted against the run's budget) and cost of the model's turns.
 */
export interface ToolLoopProgress {
  attempts: number;
  callIndexes: number[];
  tokens: number;
  costUsd?: number;
}

/**
 * Runs the tool loop of step `r.key` and returns the model's final output (checked against the agent's `output` by
 * the caller's `turn`). A turn that asks for calls at the last allowed turn fails the step: their results could
 * never be read.
 * @throws BatonError `TOOL_TURNS_EXCEEDED` (no final answer within `max_turns`), `STEP_TIMEOUT` (the step's timeout
 *   passed — in this process or, resumed, since the loop first started: see {@link loopDeadline}), `AGENT_NO_TOOLS` (the caller cannot call tools), `MCP_UNAVAILABLE`/`TOOL_UNAVAILABLE` (an MCP tool
 *   cannot be listed), `TOOL_OUTCOME_UNKNOWN` (a call in flight when the run stopped is not safe to make again),
 *   the turn's call's code; RunFailure `BUDGET_EXCEEDED`; Suspended (a tool's approval);
 *   Stopped.
 */
export async function toolLoop(host: AgentStepHost & ToolHost, r: ToolLoopRequest, progress: ToolLoopProgress): Promise<JsonValue> {
  const turnOf = host.caller.turn?.bind(host.caller);
  if (!turnOf) throw new BatonError('AGENT_NO_TOOLS', `agent ${r.agent.name} has tools, but its provider cannot call tools`);
  const maxTurns = r.agent.maxTurns ?? DEFAULT_MAX_TURNS;
  const timeoutMessage = `no final answer within ${r.timeoutMs} ms (the step's timeout bounds its tool loop)`;
  const deadline = loopDeadline(host, r);
  const remaining = (): number | undefined => (deadline === undefined ? undefined : Math.max(0, deadline - Date.now()));
  // resumed after its time ran out (the process was gone meanwhile): the step times out as it would have
  if (remaining() === 0) {
    const error = { code: 'STEP_TIMEOUT', message: `${timeoutMessage}; its time ran out before the run was resumed` };
    // the calls in flight when the run stopped end with the step, not made again
    for (const started of host.log.toolStarts.values()) {
      if (started.step !== r.key || host.log.toolResults.get(r.key)?.has(`${started.turn}|${started.callId}`)) continue;
      host.emit({ type: 'tool.finished', step: r.key, node: r.s.id, turn: started.turn, callId: started.callId, tool: started.tool, status: 'failed', error, durationMs: 0, tokens: 0 });
    }
    throw new BatonError(error.code, error.message);
  }
  const charge = (tokens: number): void => {
    progress.tokens += tokens;
    host.chargeTokens(tokens, r.frame, r.key);
  };
  const tools = await bounded((signal) => loopTools(host, r.agent, signal), remaining(), r.frame.signal, timeoutMessage);
  const specs = [...tools.values()].map((t) => t.spec);
  const past = host.log.toolTurns.get(r.key) ?? [];
  const history: TurnHistoryItem[] = [];
  const usedIds = new Set<string>();
  for (let turn = 1; turn <= maxTurns; turn++) {
    let calls: ToolCallRequest[];
    let text: string | undefined;
    let callIndex: number | undefined;
    const recorded = past[turn - 1];
    if (recorded && !recorded.final) {
      // a finished turn: given back to the model from the log, not asked again
      calls = recorded.calls;
      text = recorded.text;
      callIndex = recorded.callIndex;
      if (callIndex !== undefined) progress.callIndexes.push(callIndex);
      if (recorded.costUsd !== undefined) progress.costUsd = (progress.costUsd ?? 0) + recorded.costUsd;
      charge(recorded.tokens);
    } else {
      const response = await askTurn(host, r, progress, { turn, history, specs, remaining, timeoutMessage }, turnOf);
      const tokens = response.tokens ?? 0;
      if (response.costUsd !== undefined) progress.costUsd = (progress.costUsd ?? 0) + response.costUsd;
      callIndex = progress.callIndexes[progress.callIndexes.length - 1];
      const base = { step: r.key, node: r.s.id, agent: r.agent.name, turn, tokens, callIndex, ...(response.costUsd !== undefined ? { costUsd: response.costUsd } : {}) };
      if (response.kind === 'final') {
        host.emit({ type: 'turn.finished', ...base, calls: [], final: true });
        charge(tokens);
        return response.output;
      }
      calls = uniqueIds(response.calls, usedIds, turn);
      // at most 16 KiB of UTF-8, as a recorded prompt
      text = response.text === undefined ? undefined : recordedPrompt(response.text).prompt;
      host.emit({ type: 'turn.finished', ...base, calls, final: false, ...(text !== undefined ? { text } : {}) });
      charge(tokens);
    }
    for (const c of calls) usedIds.add(c.id);
    if (turn === maxTurns) break;
    const controller = new AbortController();
    const batch = runToolCalls(host, { s: r.s, key: r.key, turn, frame: r.frame, tools, signal: controller.signal, charge }, calls);
    let results;
    try {
      results = await bounded(() => batch, remaining(), r.frame.signal, timeoutMessage);
    } catch (error) {
      // the run waits for a call (its approval, a flow tool's wait): the loop's clock stops until it is resumed
      if (error instanceof Suspended && deadline !== undefined) host.emit({ type: 'value.recorded', key: `${LOOP_TIME_PREFIX}${r.key}`, value: { leftMs: remaining()! } });
      // the deadline passed or the frame stopped: the calls are aborted and end (a flow tool's steps record their
      // ends) before the step does, so nothing of theirs is recorded after the step's — or the run's — end
      controller.abort();
      await batch.catch(() => undefined);
      throw error;
    }
    history.push({ turn, ...(text !== undefined ? { text } : {}), calls, results, ...(callIndex !== undefined ? { callIndex } : {}) });
  }
  throw new BatonError('TOOL_TURNS_EXCEEDED', `agent ${r.agent.name} gave no final answer within ${maxTurns} turn${maxTurns === 1 ? '' : 's'} (max_turns)`);
}

/**
 * The loop's deadline in this process (`Date.now()` ms), or undefined without a step timeout. The timeout spans
 * processes: the loop's first start records its deadline in the log (`value.recorded` `loop-time:<step>`, on the
 * run's clock), a loop resumed after a crash or an interruption gets only the time left until then (none: it times
 * out at once), and one resumed after the run waited for one of its calls gets the time it had left when it paused
 * (recorded then), from now — recorded as its new deadline.
 */
function loopDeadline(host: AgentStepHost, r: ToolLoopRequest): number | undefined {
  if (r.timeoutMs === undefined) return undefined;
  const key = `${LOOP_TIME_PREFIX}${r.key}`;
  const kept = host.log.values.get(key) as { deadline?: unknown; leftMs?: unknown } | undefined;
  const now = host.now().getTime();
  if (kept && typeof kept.deadline === 'string' && Number.isFinite(Date.parse(kept.deadline))) return Date.now() + Math.max(0, Date.parse(kept.deadline) - now);
  const left = kept && typeof kept.leftMs === 'number' ? Math.max(0, kept.leftMs) : r.timeoutMs;
  // stored with the first turn's call index, before that call is made
  host.emit({ type: 'value.recorded', key, value: { deadline: new Date(now + left).toISOString() } });
  return Date.now() + left;
}

/** What one turn's model call needs beside the request. */
interface TurnAsk {
  turn: number;
  history: TurnHistoryItem[];
  specs: ToolSpec[];
  remaining: () => number | undefined;
  timeoutMessage: string;
}

/**
 * Asks the model for turn `a.turn`: one call of the agent with its own call index (reserved as an agent step's is,
 * and stored before the call), tried again after a retryable failure as the step's `retry` says (`step.retrying`).
 * @throws the call's error once it is not retried; Stopped.
 */
async function askTurn(host: AgentStepHost, r: ToolLoopRequest, progress: ToolLoopProgress, a: TurnAsk, turnOf: NonNullable<AgentStepHost['caller']['turn']>): Promise<AgentTurnResponse> {
  const name = r.agent.name;
  const maxAttempts = 1 + Math.max(0, r.retry?.max ?? 0);
  for (let attempt = 1; ; attempt++) {
    const stopping = host.checkStop(r.frame);
    if (stopping) await stopping;
    reportCircuit(host, host.circuits.beforeCall(name, r.agent.circuit, host.now().getTime()));
    const callIndex = takeCallIndex(host, name, r.key, r.frame);
    progress.callIndexes.push(callIndex);
    try {
      await host.commit();
    } catch (error) {
      host.circuits.afterCall(name, r.agent.circuit, 'STEP_CANCELLED', host.now().getTime());
      throw error;
    }
    if (host.crashAt === r.key && a.turn === 1) process.kill(process.pid, 'SIGKILL');
    try {
      const idempotencyKey = idempotencyKeyOf(host.runId, r.key, callIndex);
      const timeoutMs = a.remaining();
      const response = await bounded(
        (signal) => turnOf({ agent: r.agent, stepKey: r.key, prompt: r.prompt, input: r.input, callIndex, runId: host.runId, idempotencyKey, timeoutMs, signal, tools: a.specs, history: [...a.history], turn: a.turn }),
        timeoutMs,
        r.frame.signal,
        a.timeoutMessage,
      );
      reportCircuit(host, host.circuits.afterCall(name, r.agent.circuit, undefined, host.now().getTime()));
      if (response.kind === 'final') checkDepth(r.agent, response.output);
      else if (response.calls.length === 0) throw new BatonError('AGENT_BAD_RESPONSE', `agent ${name} answered turn ${a.turn} with neither tool calls nor a final output`);
      return response;
    } catch (error) {
      if (error instanceof Stopped) throw error;
      if (host.interrupted()) throw await host.stopped();
      const runError: RunError = toRunError(error);
      reportCircuit(host, host.circuits.afterCall(name, r.agent.circuit, runError.code, host.now().getTime()));
      const timedOut = a.remaining() === 0;
      if (timedOut || r.frame.signal.aborted || attempt >= maxAttempts || !isRetryable(runError.code)) throw error;
      const next = retryDelay(r.retry, attempt, host.random(), (error as { retryAfter?: string }).retryAfter, host.now().getTime());
      if ('stop' in next) throw new BatonError(runError.code, `${runError.message} (not retried: ${next.stop})`);
      host.emit({ type: 'step.retrying', step: r.key, node: r.s.id, agent: name, attempt: progress.attempts++, delayMs: next.delayMs, error: runError, callIndex });
      if (next.delayMs > 0) await host.sleep(next.delayMs, r.frame.signal).catch(() => undefined);
    }
  }
}

/**
 * The agent's tools as the model is told of them, by name: an agent's or flow's schema from its definition, an MCP
 * tool's (and its description) from its server's list, asked once per server.
 * @throws BatonError `MCP_UNAVAILABLE` (no MCP client in this process), `TOOL_UNAVAILABLE` (the server does not
 *   list the tool), the listing's error.
 */
async function loopTools(host: AgentStepHost & ToolHost, agent: AgentDef, signal: AbortSignal): Promise<Map<string, LoopTool>> {
  const tools = new Map<string, LoopTool>();
  const listed = new Map<string, Promise<Awaited<ReturnType<NonNullable<ToolHost['mcp']>['list']>>>>();
  for (const def of agent.tools ?? []) {
    if (def.target.kind !== 'mcp') {
      tools.set(def.name, { def, spec: { name: def.name, ...(def.description ? { description: def.description } : {}), inputSchema: def.inputSchema ?? defaultSchema(def) } });
      continue;
    }
    const { server, tool } = def.target;
    const mcp = host.mcp;
    if (!mcp) throw new BatonError('MCP_UNAVAILABLE', `agent ${agent.name}'s tool ${def.name} needs MCP server "${server}", but this process has no MCP client (mcp.servers in baton.config.json)`);
    if (!listed.has(server)) listed.set(server, mcp.list(server, signal));
    const offered = await listed.get(server)!;
    const info = offered.find((t) => t.name === tool);
    if (!info) throw new BatonError('TOOL_UNAVAILABLE', `MCP server "${server}" has no tool "${tool}" (agent ${agent.name}'s tool ${def.name}); it lists ${offered.map((t) => t.name).join(', ') || 'none'}`);
    const description = def.description ?? info.description;
    tools.set(def.name, { def, spec: { name: def.name, ...(description ? { description } : {}), inputSchema: def.inputSchema ?? info.inputSchema }, hints: info.annotations ?? {} });
  }
  return tools;
}

/** An agent or flow tool without a compiled schema: an agent takes a prompt; a flow, an object of its inputs. */
function defaultSchema(def: ToolDef): ToolSpec['inputSchema'] {
  if (def.target.kind === 'agent') return { type: 'object', properties: { prompt: { type: 'string' }, input: {} }, required: ['prompt'] };
  return { type: 'object' };
}

/**
 * The turn's calls with ids unique within the step (a model that repeats an id gets `<id>~<turn>.<n>`): the ids
 * key the calls' results, approvals and flow tools' steps.
 */
function uniqueIds(calls: ToolCallRequest[], used: ReadonlySet<string>, turn: number): ToolCallRequest[] {
  const seen = new Set<string>();
  return calls.map((c, i) => {
    const id = !c.id || used.has(c.id) || seen.has(c.id) ? `${c.id || 'call'}~${turn}.${i + 1}` : c.id;
    seen.add(id);
    return id === c.id ? c : { ...c, id };
  });
}
