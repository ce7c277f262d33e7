import { BatonError } from '../errors.js';
import type { AgentDef, JsonSchemaObject, JsonValue, RunError, ToolCallRequest } from '@baton/protocol';

/** One call of an agent by a step (or a compensation). */
export interface AgentRequest {
  agent: AgentDef;
  /** The step instance calling, e.g. `migrate[1]`. */
  stepKey: string;
  /** The rendered prompt (empty when the step has none). */
  prompt: string;
  /** The step's structured `input`, if any. */
  input?: JsonValue;
  /**
   * 0-based index of this call among all calls of this agent in the run (retries count). Stable under replay:
   * a step that was in flight when its run stopped (a crash, a lost lease, an interruption) calls again with the
   * same index when the run is resumed.
   */
  callIndex: number;
  /** The run calling. */
  runId: string;
  /**
   * `runId/stepKey/callIndex` (a compensation's: `runId/stepKey:compensation/callIndex`; see
   * {@link idempotencyKeyOf}): the same for the same call however often the run is resumed, new for a retry
   * of a failed attempt and for a redrive. `http/` agents send it as the `Idempotency-Key` header, `command/`
   * agents get it as `BATON_IDEMPOTENCY_KEY`, OpenAI-wire model providers as `Idempotency-Key`.
   */
  idempotencyKey: string;
  /** Aborted on timeout, cancellation or a failing sibling branch. */
  signal: AbortSignal;
  /** The effective timeout, ms, when there is one. */
  timeoutMs?: number;
  /**
   * The call's W3C trace context (`00-<trace id>-<span id>-<flags>`), when the process traces runs
   * (docs/observability.md): `http/` agents send it as the `traceparent` header.
   */
  traceparent?: string;
}

/**
 * The idempotency key of a call (see {@link AgentRequest.idempotencyKey}): `${runId}/${stepKey}/${callIndex}`, or
 * `${runId}/${stepKey}:compensation/${callIndex}` for a step's compensation (so that it never shares a key with
 * the step's own calls of another agent).
 */
export function idempotencyKeyOf(runId: string, stepKey: string, callIndex: number, compensation = false): string {
  return `${runId}/${stepKey}${compensation ? ':compensation' : ''}/${callIndex}`;
}

/**
 * What an agent answered. `tokens` counts input + output tokens (0 for stubs); `usage` splits them when the
 * provider says; `costUsd` is their price (US dollars) when the configuration gives the model's prices.
 */
export interface AgentResponse {
  output: JsonValue;
  tokens?: number;
  usage?: { input: number; output: number };
  costUsd?: number;
  /**
   * The model that answered, when a model provider did: its provider and model name as resolved (after
   * `baton.config.json`'s `agents.<Name>.model` override and `defaultModel`) — for the traces' GenAI attributes.
   */
  model?: { provider: string; name: string };
}

/**
 * Calls agents. The stub (`createStubAgents`) answers offline; real providers (OpenAI, Anthropic, HTTP,
 * local commands) implement the same interface. Failures throw a `BatonError` with a code
 * (`STUB_ERROR`, `AGENT_FAILED`, …).
 */
export interface AgentCaller {
  call(request: AgentRequest): Promise<AgentResponse>;
  /**
   * One model turn of a step's tool loop (an agent with `tools:`; engine/tool-loop.ts). Absent on a caller that
   * cannot call tools. The request carries the whole conversation so far (`history`): the caller is stateless
   * between turns, so a resumed run rebuilds the conversation from its log and asks for the next turn.
   * @throws BatonError with the codes of {@link AgentCaller.call}; `AGENT_BAD_RESPONSE` when the model keeps
   *   answering malformed tool calls (see {@link MALFORMED_TOOL_CALLS_LIMIT}).
   */
  turn?(request: AgentTurnRequest): Promise<AgentTurnResponse>;
}

/** A tool as the model is told of it: its name (`TOOL_NAME_PATTERN` of @baton/protocol), what it does and its arguments' JSON Schema. */
export interface ToolSpec {
  name: string;
  description?: string;
  inputSchema: JsonSchemaObject;
}

/**
 * One finished turn of the conversation, as the next turn's request gives it back to the model: the model's text
 * and calls (`turn` counts from 1), and each call's result — its `output`, or its `error` (a failed tool, refused
 * arguments, an unknown tool, a rejected approval: the model is told and may go on). `results` has one entry per
 * call, matched by `callId` (= {@link ToolCallRequest.id}).
 */
export interface TurnHistoryItem {
  turn: number;
  /**
   * The call index ({@link AgentRequest.callIndex}) that answered this turn, when the loop knows it (each turn is a
   * call of its own): the stub picks the item of a `stub: [turns(…), …]` list by turn 1's, so that one script
   * answers all the turns of one step call.
   */
  callIndex?: number;
  text?: string;
  calls: ToolCallRequest[];
  results: { callId: string; output?: JsonValue; error?: RunError }[];
}

/**
 * A request for turn `turn` (from 1) of a tool loop: the step's call ({@link AgentRequest}: prompt, input,
 * idempotency key — providers that send one send `<idempotencyKey>/turn/<turn>`) with the tools the model may call
 * and the finished turns before this one (`history.length === turn - 1`).
 */
export interface AgentTurnRequest extends AgentRequest {
  tools: ToolSpec[];
  history: TurnHistoryItem[];
  turn: number;
}

/**
 * What one turn answered: tool calls to run (`calls`, one or more — parallel calls in one turn; `text` is what the
 * model said beside them), or the step's `final` output, typed and checked against the agent's `output` as
 * {@link AgentCaller.call}'s. Tokens, usage and cost are this turn's only.
 *
 * A malformed call — arguments that are not JSON, a name not among the tools — is still returned as a call: its
 * `arguments` are then `{ "$malformed": "<what is wrong>", "raw": "<what the model wrote>" }` (see
 * {@link malformedArguments}), and the loop answers it with an error result so that the model can correct itself.
 */
export type AgentTurnResponse =
  | { kind: 'calls'; calls: ToolCallRequest[]; text?: string; tokens?: number; usage?: { input: number; output: number }; costUsd?: number; model?: { provider: string; name: string } }
  | ({ kind: 'final' } & AgentResponse);

/**
 * After this many turns in a row with only malformed tool calls (arguments not JSON, no such tool), `turn` fails
 * with `AGENT_BAD_RESPONSE` instead of giving the errors back once more.
 */
export const MALFORMED_TOOL_CALLS_LIMIT = 3;

/** The `arguments` of a malformed tool call (see {@link AgentTurnResponse}). */
export function malformedArguments(problem: string, raw: string): JsonValue {
  return { $malformed: problem, raw: raw.length > 4096 ? `${raw.slice(0, 4096)}…` : raw };
}

/** The problem of a malformed call's arguments (see {@link malformedArguments}), or undefined for a well-formed call. */
export function malformedProblem(args: JsonValue): string | undefined {
  return args !== null && typeof args === 'object' && !Array.isArray(args) && typeof args.$malformed === 'string' ? args.$malformed : undefined;
}

/**
 * Fails when `calls` (this turn's) are all malformed or name no tool of `request.tools`, and so were the calls of
 * the {@link MALFORMED_TOOL_CALLS_LIMIT}` - 1` turns before it (read from `request.history`): the model is not
 * getting better from the errors it is given. Every provider's (and the stub's) `turn` calls it before answering calls.
 * @throws BatonError `AGENT_BAD_RESPONSE`, naming the agent and the last problem.
 */
export function checkMalformedStreak(request: AgentTurnRequest, calls: ToolCallRequest[], who: string): void {
  const names = new Set(request.tools.map((t) => t.name));
  const problemOf = (call: ToolCallRequest): string | undefined => malformedProblem(call.arguments) ?? (names.has(call.tool) ? undefined : `there is no tool "${call.tool}"`);
  const allBad = (list: ToolCallRequest[]): boolean => list.length > 0 && list.every((c) => problemOf(c) !== undefined);
  if (!allBad(calls)) return;
  let streak = 1;
  for (let i = request.history.length - 1; i >= 0 && allBad(request.history[i].calls); i--) streak++;
  if (streak < MALFORMED_TOOL_CALLS_LIMIT) return;
  throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered malformed tool calls ${streak} turns in a row (the last: ${problemOf(calls[0])})`);
}
