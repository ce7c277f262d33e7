import type { JsonValue, SourceRange } from './ir.js';
import type { RunError, RunEventBase } from './events.js';

/**
 * Tools for agents (issue 14): what an agent's `tools: [...]` compiles to, and the events of the tool loop a
 * step runs. An agent with tools is called in turns: the model answers either with tool calls — Baton runs
 * them and gives their results back — or with its final output; at most {@link DEFAULT_MAX_TURNS} turns
 * (`max_turns:` on the agent), within the step's timeout and the flow's token budget.
 *
 * The loop is durable: every model turn and every tool call is an event, so a resumed run rebuilds the
 * conversation from its log and answers finished tool calls from it instead of making them again.
 */

/** What a tool calls. An MCP tool is named by its server (`mcp.servers.<server>` in baton.config.json) and tool. */
export type ToolTarget =
  | { kind: 'agent'; name: string }
  | { kind: 'flow'; name: string }
  | { kind: 'mcp'; server: string; tool: string };

/** A JSON Schema object (draft 2020-12), as given to a model for a tool's arguments. */
export type JsonSchemaObject = { [key: string]: JsonValue };

/** One entry of an agent's `tools: [...]`. */
export interface ToolDef {
  /**
   * The name the model calls it by, unique among the agent's tools and matching {@link TOOL_NAME_PATTERN}:
   * the agent's or flow's name; for an MCP tool `<server>__<tool>` (characters outside the pattern become `_`).
   */
  name: string;
  target: ToolTarget;
  /** What the model is told the tool does: the agent's or flow's doc comment (an MCP tool's comes from its server). */
  description?: string;
  /**
   * The arguments' JSON Schema. An agent: `{ prompt: string, input?: <its input> }`; a flow: its typed inputs as
   * an object (required unless they have a default). Absent for an MCP tool: its server's schema, read when the
   * step first lists the server's tools.
   */
  inputSchema?: JsonSchemaObject;
  /** A person decides before each call runs (`approval` on the tool): the run waits on an approval with the call's arguments. */
  approval?: ToolApproval;
  /**
   * `false`: calling it twice may do its work twice (the called agent's `idempotent: false`, or set on the tool);
   * `true` (set on the tool): a second call is harmless. A call in flight when the run stopped is made again on resume
   * only when the tool is safe to repeat (the runtime's `repeatProblem`: this, else an MCP server's hints).
   */
  idempotent?: boolean;
  range: SourceRange;
}

/** {@link ToolDef.approval}: like an `approval` statement's — who decides, and how long the run waits. */
export interface ToolApproval {
  assignee?: string;
  /** ms; when it passes the call is refused (the model is told) rather than the step failed. */
  timeoutMs?: number;
}

/** Model-facing tool names: what OpenAI and Anthropic both accept. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The model-facing name of MCP tool `tool` of server `server`: `<server>__<tool>`, each character outside
 * {@link TOOL_NAME_PATTERN}'s set replaced by `_`, cut to 64 characters. Two tools of one agent that come out the
 * same are the checker's `duplicate-tool`.
 */
export function mcpToolName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/**
 * A scripted tool call of a stub agent with tools: the value of `call("LookupOrder", { prompt: "order 42" })`
 * (protocol/functions.ts) — the stub model asks for tool `$call` with these arguments.
 */
export type StubToolCall = {
  $call: string;
  arguments: JsonValue;
};

/**
 * A stub agent's script for one step's tool loop: the value of `turns(turn1, …, final)`. Each entry but the last is a
 * turn — the list of {@link StubToolCall}s the stub model asks for at once in that turn (turn N answers the Nth) —
 * and the last is the final output. Only valid in an agent's `stub:` (or a test's `stub Agent:`).
 */
export type StubTurns = {
  $turns: JsonValue[];
};

/** `call(tool, arguments)`'s value. */
export function stubToolCall(tool: string, args: JsonValue): StubToolCall {
  return { $call: tool, arguments: args };
}

/** `turns(…)`'s value: its arguments (turns, then the final output) as they are. */
export function stubTurns(items: JsonValue[]): StubTurns {
  return { $turns: items };
}

/** Whether a stub value is a `turns(…)` script (a record whose only key is `$turns`, a non-empty list). */
export function isStubTurns(value: unknown): value is StubTurns {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$turns' && Array.isArray((value as StubTurns).$turns) && (value as StubTurns).$turns.length > 0;
}

/** Whether a value is a `call(…)` (a record with text `$call` and `arguments`). */
export function isStubToolCall(value: unknown): value is StubToolCall {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as StubToolCall).$call === 'string' && 'arguments' in value;
}

/** Model turns in one step's tool loop when the agent gives no `max_turns:` (a turn is one model call). */
export const DEFAULT_MAX_TURNS = 8;

/** The most an agent's `max_turns:` may say. */
export const MAX_TURNS_LIMIT = 100;

/** One tool call a model asked for in a turn. `id` is the provider's call id (stable in the log). */
export interface ToolCallRequest {
  id: string;
  /** {@link ToolDef.name}. */
  tool: string;
  arguments: JsonValue;
}

/**
 * A model turn of a step's tool loop ended: the model asked for `calls` (then `tool.started`/`tool.finished`
 * follow for each) or, with `final`, gave the step's output (then `step.finished` follows). `turn` counts from 1
 * within the step's attempt.
 */
export interface TurnFinishedEvent extends RunEventBase {
  type: 'turn.finished';
  step: string;
  node: string;
  agent: string;
  turn: number;
  calls: ToolCallRequest[];
  final: boolean;
  /** The model's text beside its calls, at most 16 KiB of UTF-8 (absent when it gave none). */
  text?: string;
  /** Tokens this turn used (input + output, as the provider reports them; 0 for stubs). */
  tokens: number;
  /** The turn's model call's index among the agent's calls in the run (see `AgentRequest.callIndex`): each turn is one call. */
  callIndex?: number;
  /** The turn's price (US dollars), when the configuration gives the model's prices. */
  costUsd?: number;
}

/** A tool call began (after its approval, when it has one). */
export interface ToolStartedEvent extends RunEventBase {
  type: 'tool.started';
  step: string;
  node: string;
  turn: number;
  callId: string;
  tool: string;
  target: ToolTarget['kind'];
  arguments: JsonValue;
  /** A flow tool's run (sub-flow steps are prefixed `<step>/<callId>/`). */
  childRun?: string;
  /** An agent tool's call index among that agent's calls in the run (see `AgentRequest.callIndex`). */
  callIndex?: number;
}

/**
 * A tool call ended. `failed`: the tool failed (its error is given to the model, which may go on); `refused`: it
 * never ran — its approval was rejected or timed out, its arguments did not match its schema, or the tool is unknown.
 */
export interface ToolFinishedEvent extends RunEventBase {
  type: 'tool.finished';
  step: string;
  node: string;
  turn: number;
  callId: string;
  tool: string;
  status: 'succeeded' | 'failed' | 'refused';
  output?: JsonValue;
  error?: RunError;
  /** ms. */
  durationMs: number;
  /** Tokens the tool used (an agent or flow tool's; 0 for MCP tools). */
  tokens: number;
}
