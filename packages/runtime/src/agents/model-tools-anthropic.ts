import type Anthropic from '@anthropic-ai/sdk';
import type { JsonValue, ToolCallRequest } from '@baton/protocol';
import { malformedArguments, malformedProblem, type AgentTurnRequest } from './agent.js';
import { anthropicClient, DEFAULT_ANTHROPIC_MAX_TOKENS, parseJson, readAnthropicMessage, textOf, userMessage, type ModelTarget } from './model-agent.js';
import { repairText, resultText, type TurnAsk, type TurnExchange } from './tool-wire.js';

/** The tool the model gives its final output with (when the agent has an `output` type), unless a tool has that name. */
export const RESPOND_TOOL = 'respond';

/**
 * One tool-loop exchange over Anthropic's Messages API: `tools` (the agent's, plus — with an output type — a
 * `respond` tool whose input schema is the output; named `baton_respond` when a tool is called `respond`),
 * `tool_choice` `auto` (when the final answer is due: the `respond` tool forced, or `none` without an output type),
 * the conversation rebuilt from the request's history — per finished turn an assistant message with its text and
 * `tool_use` blocks, then a user message with one `tool_result` block per call (`is_error` for an error result).
 * The answer's `tool_use` blocks (several: parallel calls) become calls; a `respond` call, or text without calls,
 * is the final answer (text: JSON when an output type asks for it). An input that is not an object is marked
 * malformed.
 */
export async function exchangeAnthropic(target: ModelTarget, request: AgentTurnRequest, ask: TurnAsk): Promise<TurnExchange> {
  const agent = request.agent;
  const client = await anthropicClient(target);
  const respond = request.tools.some((t) => t.name === RESPOND_TOOL) ? `baton_${RESPOND_TOOL}` : RESPOND_TOOL;
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: userMessage(request) }, ...historyMessages(request)];
  if (ask.repair) {
    const previous = ask.repair.assistant as Anthropic.MessageParam;
    messages.push(previous);
    const respondCall = Array.isArray(previous.content) ? previous.content.find((b) => b.type === 'tool_use' && b.name === respond) : undefined;
    messages.push({
      role: 'user',
      content: respondCall && respondCall.type === 'tool_use' ? [{ type: 'tool_result', tool_use_id: respondCall.id, is_error: true, content: repairText(ask.repair.problem) }] : repairText(ask.repair.problem),
    });
  }
  const body: Anthropic.MessageCreateParamsNonStreaming = { model: target.model, max_tokens: agent.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS, messages };
  if (agent.instructions) body.system = agent.instructions;
  const tools: Anthropic.Tool[] = request.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.inputSchema as Anthropic.Tool.InputSchema }));
  if (ask.schema) tools.push({ name: respond, description: `Give ${agent.name}'s final answer (call it alone, once you need no more tools).`, input_schema: ask.schema as Anthropic.Tool.InputSchema });
  if (tools.length > 0) {
    body.tools = tools;
    body.tool_choice = !ask.forceFinal ? { type: 'auto' } : ask.schema ? { type: 'tool', name: respond } : { type: 'none' };
  }
  const { content, usage: split, tokens } = readAnthropicMessage(target, (await client.messages.create(body, { signal: request.signal })) as unknown);
  const assistant: Anthropic.MessageParam = { role: 'assistant', content: content as Anthropic.ContentBlockParam[] };
  const text = textOf(content);
  const uses = content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  const final = uses.find((b) => b.name === respond && ask.schema);
  if (final) return { calls: [], final: { answer: final.input as JsonValue, raw: JSON.stringify(final.input), tokens, usage: split }, tokens, usage: split, assistant };
  if (uses.length > 0) return { calls: uses.map(callOf), ...(text ? { text } : {}), tokens, usage: split, assistant };
  return { calls: [], final: { answer: ask.schema ? parseJson(text) : text, raw: text, tokens, usage: split }, tokens, usage: split, assistant };
}

/** A `tool_use` block as a call; an input that is not an object is malformed. */
function callOf(block: Anthropic.ToolUseBlock): ToolCallRequest {
  const input = block.input as JsonValue;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { id: block.id, tool: block.name, arguments: malformedArguments('the input is not a JSON object', JSON.stringify(input ?? null)) };
  return { id: block.id, tool: block.name, arguments: input };
}

/** The finished turns as messages: each turn's assistant message (text, `tool_use` blocks), then its `tool_result`s. */
function historyMessages(request: AgentTurnRequest): Anthropic.MessageParam[] {
  const messages: Anthropic.MessageParam[] = [];
  for (const item of request.history) {
    const content: Anthropic.ContentBlockParam[] = [];
    if (item.text) content.push({ type: 'text', text: item.text });
    for (const call of item.calls) {
      content.push({ type: 'tool_use', id: call.id, name: call.tool, input: malformedProblem(call.arguments) === undefined ? call.arguments : {} });
    }
    messages.push({ role: 'assistant', content });
    messages.push({
      role: 'user',
      content: item.calls.map((call) => {
        const result = item.results.find((r) => r.callId === call.id);
        return { type: 'tool_result', tool_use_id: call.id, content: resultText(result), ...(result?.error || !result ? { is_error: true } : {}) };
      }),
    });
  }
  return messages;
}
