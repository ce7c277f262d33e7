import type OpenAI from 'openai';
import type { ToolCallRequest } from '@baton/protocol';
import { malformedArguments, type AgentTurnRequest } from './agent.js';
import { badResponse, openAiClient, parseJson, refusedOrBad, userMessage, type ModelTarget } from './model-agent.js';
import { argumentsText, repairText, resultText, type TurnAsk, type TurnExchange } from './tool-wire.js';

type Message = OpenAI.Chat.ChatCompletionMessageParam;

/**
 * One tool-loop exchange over OpenAI's chat completions (and OpenAI-compatible servers): `tools` (function tools
 * with the tools' JSON Schemas), `tool_choice` `auto` (`none` when the final answer is due), the conversation
 * rebuilt from the request's history — per finished turn an assistant message with its `tool_calls` (a malformed
 * call's arguments as the model wrote them) and one `tool` message per call (an error as `Error (<code>): …`).
 * The answer's `tool_calls` (several: parallel calls) become calls; arguments that are not a JSON object are
 * marked malformed; a custom (non-function) tool call is malformed too. Without calls, the message's content is
 * the final answer (JSON when `ask.schema`: `response_format` as in {@link callModel}).
 */
export async function exchangeOpenAi(target: ModelTarget, request: AgentTurnRequest, ask: TurnAsk): Promise<TurnExchange> {
  const agent = request.agent;
  const client = await openAiClient(target);
  const schema = ask.schema;
  const jsonObject = schema !== undefined && target.structuredOutput === 'json_object';
  const system = [agent.instructions ?? '', jsonObject ? `Give your final answer as only a JSON object matching this JSON Schema:\n${JSON.stringify(schema)}` : ''].filter((s) => s !== '').join('\n\n');
  const messages: Message[] = [];
  if (system) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: userMessage(request) }, ...historyMessages(request));
  if (ask.repair) messages.push(ask.repair.assistant as Message, { role: 'user', content: repairText(ask.repair.problem) });
  const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: target.model, messages };
  if (agent.temperature !== undefined) body.temperature = agent.temperature;
  if (agent.maxTokens !== undefined) body.max_tokens = agent.maxTokens;
  if (schema) {
    body.response_format = jsonObject ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: `${agent.name}_output`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64), schema: schema as Record<string, unknown>, strict: false } };
  }
  if (request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.inputSchema as Record<string, unknown> } }));
    body.tool_choice = ask.forceFinal ? 'none' : 'auto';
  }
  const response = (await client.chat.completions.create(body, { signal: request.signal, headers: { 'Idempotency-Key': ask.idempotencyKey } })) as unknown;
  const completion = response as Partial<OpenAI.Chat.ChatCompletion> | string | undefined;
  const message = typeof completion === 'object' ? completion?.choices?.[0]?.message : undefined;
  if (!message || typeof message !== 'object') throw badResponse(target, response);
  const usage = typeof completion === 'object' ? completion.usage : undefined;
  const split = { input: usage?.prompt_tokens ?? 0, output: usage?.completion_tokens ?? 0 };
  const tokens = usage ? (usage.total_tokens ?? split.input + split.output) : 0;
  const text = typeof message.content === 'string' ? message.content : undefined;
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const assistant: Message = { role: 'assistant', content: text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
  if (toolCalls.length > 0) return { calls: toolCalls.map((c, i) => callOf(c, request.turn, i)), ...(text ? { text } : {}), tokens, usage: split, assistant };
  if (text === undefined) throw refusedOrBad(target, response);
  return { calls: [], final: { answer: schema ? parseJson(text) : text, raw: text, tokens, usage: split }, tokens, usage: split, assistant };
}

/** A tool call of the answer; its arguments parsed, or marked malformed. */
function callOf(call: OpenAI.Chat.ChatCompletionMessageToolCall, turn: number, index: number): ToolCallRequest {
  const id = typeof call.id === 'string' && call.id ? call.id : `call_${turn}_${index + 1}`;
  if (call.type !== 'function' || !call.function) {
    const custom = (call as { custom?: { name?: unknown; input?: unknown } }).custom;
    return { id, tool: typeof custom?.name === 'string' ? custom.name : '', arguments: malformedArguments('not a function tool call', String(custom?.input ?? '')) };
  }
  const raw = typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments ?? {});
  const tool = String(call.function.name ?? '');
  if (raw.trim() === '') return { id, tool, arguments: {} }; // some compatible servers send "" for no arguments
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { id, tool, arguments: malformedArguments('the arguments are not a JSON object', raw) };
    return { id, tool, arguments: parsed as ToolCallRequest['arguments'] };
  } catch (error) {
    return { id, tool, arguments: malformedArguments(`the arguments are not JSON (${(error as Error).message})`, raw) };
  }
}

/** The finished turns as chat messages: each turn's assistant message with its tool calls, then its results. */
function historyMessages(request: AgentTurnRequest): Message[] {
  const messages: Message[] = [];
  for (const item of request.history) {
    messages.push({
      role: 'assistant',
      content: item.text ?? null,
      tool_calls: item.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.tool, arguments: argumentsText(c.arguments) } })),
    });
    for (const call of item.calls) {
      messages.push({ role: 'tool', tool_call_id: call.id, content: resultText(item.results.find((r) => r.callId === call.id)) });
    }
  }
  return messages;
}
