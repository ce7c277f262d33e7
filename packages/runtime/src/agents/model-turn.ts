import { DEFAULT_MAX_TURNS } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { checkMalformedStreak, type AgentTurnRequest, type AgentTurnResponse } from './agent.js';
import { describeFailure, problemOf, type ModelTarget } from './model-agent.js';
import { exchangeAnthropic } from './model-tools-anthropic.js';
import { exchangeOpenAi } from './model-tools-openai.js';
import { unwrapOutput, modelOutputSchema } from './output-schema.js';
import type { TurnAsk, TurnExchange } from './tool-wire.js';

/**
 * One turn of a step's tool loop against a model (OpenAI, Anthropic, OpenAI-compatible): the conversation is
 * rebuilt from `request.history` (the prompt, then each turn's assistant message with its tool calls and the tool
 * results — an error result is sent as a tool error), the agent's tools are offered, and the model answers calls or
 * its final output. The final output is checked against the agent's `output` like {@link callModel}'s, with one
 * repair exchange. On the last allowed turn (`max_turns`, default {@link DEFAULT_MAX_TURNS}) the model is told to
 * answer without tools (OpenAI `tool_choice: "none"`, Anthropic the forced `respond` tool — or `none` without an
 * output type). The OpenAI wire's Idempotency-Key is `<idempotencyKey>/turn/<turn>` (`…/repair` for the repair).
 * @throws BatonError the codes of {@link callModel}; `AGENT_BAD_RESPONSE` after malformed tool calls
 *   `MALFORMED_TOOL_CALLS_LIMIT` turns in a row.
 */
export async function turnModel(target: ModelTarget, request: AgentTurnRequest): Promise<AgentTurnResponse> {
  const agent = request.agent;
  const shape = agent.output ? modelOutputSchema(agent.output) : undefined;
  const key = `${request.idempotencyKey}/turn/${request.turn}`;
  const forceFinal = request.turn >= (agent.maxTurns ?? DEFAULT_MAX_TURNS);
  const exchange = async (ask: TurnAsk): Promise<TurnExchange> => {
    try {
      return target.type === 'anthropic' ? await exchangeAnthropic(target, request, ask) : await exchangeOpenAi(target, request, ask);
    } catch (error) {
      throw describeFailure(error, target, request.signal);
    }
  };
  const first = await exchange({ schema: shape?.schema, forceFinal, idempotencyKey: key });
  let tokens = first.tokens;
  const usage = { ...first.usage };
  if (first.calls.length > 0) {
    checkMalformedStreak(request, first.calls, `${target.provider}/${target.model} (agent ${agent.name})`);
    return { kind: 'calls', calls: first.calls, ...(first.text ? { text: first.text } : {}), tokens, usage };
  }
  const answer = first.final!;
  if (!shape) return { kind: 'final', output: answer.answer, tokens, usage };
  let problem = problemOf(agent, answer, shape.wrapped);
  if (!problem) return { kind: 'final', output: unwrapOutput(answer.answer, shape.wrapped), tokens, usage };
  const second = await exchange({ schema: shape.schema, forceFinal: true, repair: { assistant: first.assistant, problem }, idempotencyKey: `${key}/repair` });
  tokens += second.tokens;
  usage.input += second.usage.input;
  usage.output += second.usage.output;
  problem = second.final ? problemOf(agent, second.final, shape.wrapped) : 'it called tools instead';
  if (!problem) return { kind: 'final', output: unwrapOutput(second.final!.answer, shape.wrapped), tokens, usage };
  const failure = new BatonError('AGENT_OUTPUT_INVALID', `agent ${agent.name} (${target.provider}/${target.model}) did not answer its output type, even after one repair attempt: ${problem}`);
  (failure as BatonError & { tokens?: number }).tokens = tokens;
  throw failure;
}
