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
  /** `false`: calling it twice may do its work twice (the called agent's `idempotent: false`, or set on the tool). */
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
