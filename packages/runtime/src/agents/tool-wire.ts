import type { JsonValue, RunError, ToolCallRequest } from '@baton/protocol';

import type { Completion } from './model-agent.js';
import type { JsonSchema } from './output-schema.js';

// Shared by the tool-calling wires (model-tools-openai.ts, model-tools-anthropic.ts) and model-turn.ts.

/**
 * One exchange of a tool-loop turn with a model, as a wire (model-tools-openai.ts, model-tools-anthropic.ts)
 * reads it: the tool calls the model asked for (malformed ones marked, see `malformedArguments`), its text beside
 * them, or — no calls — its final answer; and the tokens it used.
 */
export interface TurnExchange {
  calls: ToolCallRequest[];
  text?: string;
  /** The final answer (no calls): parsed JSON when an output schema was asked for, else the text. */
  final?: Completion;
  tokens: number;
  usage: { input: number; output: number };
  /** The assistant's message in the wire's own format, for a repair exchange to send back. */
  assistant: unknown;
}

/** What a wire is asked for one exchange. */
export interface TurnAsk {
  /** The output's JSON Schema (root object), when the agent has an `output` type. */
  schema?: JsonSchema;
  /** The model must answer its final output now (the last allowed turn, or a repair): no tool calls. */
  forceFinal: boolean;
  /** A repair exchange: the previous answer (the wire's assistant message) and what was wrong with it. */
  repair?: { assistant: unknown; problem: string };
  /** The Idempotency-Key the OpenAI wire sends. */
  idempotencyKey: string;
}

/** The repair request's text: what was wrong with the final answer. */
export function repairText(problem: string): string {
  return `Your answer does not match the required output: ${problem}.\nAnswer again with only the corrected final answer.`;
}

/**
 * A tool result as the model reads it: an output string as it is, another output as JSON, an error as
 * `Error (<code>): <message>`.
 */
export function resultText(result: { output?: JsonValue; error?: RunError } | undefined): string {
  if (!result) return 'Error (TOOL_NO_RESULT): the call has no result';
  if (result.error) return `Error (${result.error.code}): ${result.error.message}`;
  return typeof result.output === 'string' ? result.output : JSON.stringify(result.output ?? null);
}

/** The JSON of a call's arguments as the model wrote them (a malformed call's raw text). */
export function argumentsText(args: JsonValue): string {
  if (args !== null && typeof args === 'object' && !Array.isArray(args) && typeof args.$malformed === 'string') return typeof args.raw === 'string' ? args.raw : '';
  return JSON.stringify(args ?? {});
}
