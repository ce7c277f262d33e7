import type { JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { checkOutput, jsonSchemaOf } from './output-schema.js';

/**
 * What an `http/` or `command/` agent receives (POST body / stdin), JSON:
 * `{ agent, step, prompt, input?, instructions?, outputSchema?, callIndex }` — `outputSchema` is the JSON
 * Schema of the agent's `output` type, when it has one.
 */
export interface AgentWireRequest {
  agent: string;
  step: string;
  prompt: string;
  input?: JsonValue;
  instructions?: string;
  outputSchema?: JsonValue;
  callIndex: number;
}

/** The request body for `request`. */
export function wireRequest(request: AgentRequest): AgentWireRequest {
  const body: AgentWireRequest = { agent: request.agent.name, step: request.stepKey, prompt: request.prompt, callIndex: request.callIndex };
  if (request.input !== undefined) body.input = request.input;
  if (request.agent.instructions) body.instructions = request.agent.instructions;
  if (request.agent.output) body.outputSchema = jsonSchemaOf(request.agent.output) as JsonValue;
  return body;
}

/**
 * Reads an `http/` or `command/` agent's answer: JSON `{ "output": <value>, "tokens"?: <number> }`, the output
 * checked against the agent's `output` type.
 * @throws BatonError `AGENT_BAD_RESPONSE` (not JSON, no `output`, `tokens` not a number) or
 *   `AGENT_OUTPUT_INVALID` (the output does not match the type), naming `who`.
 */
export function readWireResponse(who: string, request: AgentRequest, text: string): AgentResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const start = text.trim().slice(0, 60).replace(/\s+/g, ' ');
    throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered something that is not JSON${start ? ` ("${start}${text.trim().length > 60 ? '…' : ''}")` : ' (nothing)'}; it must answer {"output": …}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('output' in parsed)) {
    throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered JSON without an "output" field; it must answer {"output": …, "tokens": n}`);
  }
  const { output, tokens } = parsed as { output: JsonValue; tokens?: unknown };
  if (tokens !== undefined && (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0)) {
    throw new BatonError('AGENT_BAD_RESPONSE', `${who} answered "tokens" that is not a count: ${JSON.stringify(tokens)}`);
  }
  const problem = checkOutput(request.agent, output);
  if (problem) throw new BatonError('AGENT_OUTPUT_INVALID', `${who} answered an output that does not match agent ${request.agent.name}'s output type: ${problem}`);
  return { output, tokens: typeof tokens === 'number' ? Math.round(tokens) : 0 };
}
