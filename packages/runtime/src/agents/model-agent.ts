import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import type { AgentDef, JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { checkOutput, modelOutputSchema, unwrapOutput, type JsonSchema } from './output-schema.js';

/** A resolved model: which wire format, where, which model, with which key (never logged). */
export interface ModelTarget {
  type: 'openai' | 'anthropic' | 'openai-compatible';
  /** The provider's name as written in the model (`openai`, `ollama`, a configured one). */
  provider: string;
  model: string;
  baseUrl: string;
  apiKey?: string;
  /** OpenAI-compatible servers: `json_schema` (default) or `json_object` for those without schema support. */
  structuredOutput: 'json_schema' | 'json_object';
}

/** Anthropic requires `max_tokens`; this is used when neither the agent nor the step sets one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** One exchange's result before checking: the raw answer and the tokens it used (input + output). */
export interface Completion {
  /** The parsed JSON (structured output) or the text. */
  answer: JsonValue;
  /** The answer as the model wrote it, for a repair request. */
  raw: string;
  tokens: number;
  /** Input and output tokens, as the provider reports them. */
  usage: { input: number; output: number };
}

/**
 * Calls a model for one step. With an `output` type the model is asked for JSON of that shape (OpenAI and
 * compatible servers: `response_format` `json_schema` or `json_object`; Anthropic: a forced `respond` tool
 * whose input schema is the type), the answer is validated (ajv) and, when it does not parse or match, the
 * model is asked once more with the validation error ("repair"); a second miss fails. Without an `output`
 * type the answer is the text. The SDKs' own retries are off (Baton's `retry` decides); the step's signal
 * aborts the request. OpenAI-wire requests (`openai`, OpenAI-compatible servers) carry the call's idempotency key
 * as `Idempotency-Key` (the repair exchange `<key>/repair`): OpenAI's chat completions API does not document the
 * header and ignores it, but a gateway or server in front of a model can answer a repeated call from it.
 * @returns the output and the tokens of every exchange (a repair included).
 * @throws BatonError `AGENT_OUTPUT_INVALID` (no valid answer after the repair), `AGENT_BAD_RESPONSE` (not an
 *   answer of this wire format, e.g. an HTML page), `AGENT_AUTH_FAILED` (401/403), `AGENT_RATE_LIMITED` (429),
 *   `AGENT_UNAVAILABLE` (5xx), `AGENT_REQUEST_REJECTED` (other 4xx), `AGENT_UNREACHABLE` (no connection),
 *   `STEP_CANCELLED` (aborted). Messages never contain the API key.
 */
export async function callModel(target: ModelTarget, request: AgentRequest): Promise<AgentResponse> {
  const agent = request.agent;
  const shape = agent.output ? modelOutputSchema(agent.output) : undefined;
  const prompt = userMessage(request);
  let tokens = 0;
  let first: Completion;
  try {
    first = await complete(target, agent, prompt, shape?.schema, request.signal, request.idempotencyKey);
  } catch (error) {
    throw describeFailure(error, target, request.signal);
  }
  tokens += first.tokens;
  const usage = { ...first.usage };
  if (!shape) return { output: first.answer, tokens, usage };
  let problem = problemOf(agent, first, shape.wrapped);
  if (!problem) return { output: unwrapOutput(first.answer, shape.wrapped), tokens, usage };
  const repair =
    `${prompt}\n\nYour previous answer was:\n${first.raw}\n\nIt does not match the required output: ${problem}.\n` +
    'Answer again with only the corrected JSON.';
  let second: Completion;
  try {
    second = await complete(target, agent, repair, shape.schema, request.signal, `${request.idempotencyKey}/repair`);
  } catch (error) {
    throw describeFailure(error, target, request.signal);
  }
  tokens += second.tokens;
  usage.input += second.usage.input;
  usage.output += second.usage.output;
  problem = problemOf(agent, second, shape.wrapped);
  if (!problem) return { output: unwrapOutput(second.answer, shape.wrapped), tokens, usage };
  const failure = new BatonError('AGENT_OUTPUT_INVALID', `agent ${agent.name} (${target.provider}/${target.model}) did not answer its output type, even after one repair attempt: ${problem}`);
  (failure as BatonError & { tokens?: number }).tokens = tokens;
  throw failure;
}

/** The user message: the prompt, then the step's structured input as JSON. */
export function userMessage(request: AgentRequest): string {
  const parts = [request.prompt];
  if (request.input !== undefined) parts.push(`Input (JSON):\n${JSON.stringify(request.input, null, 2)}`);
  return parts.filter((p) => p !== '').join('\n\n') || '(no prompt)';
}

/** What is wrong with a completion's answer against the agent's output type (unwrapped as asked), or undefined. */
export function problemOf(agent: AgentDef, completion: Completion, wrapped: boolean): string | undefined {
  if (completion.answer === undefined) return 'the answer is not JSON';
  return checkOutput(agent, unwrapOutput(completion.answer, wrapped));
}

async function complete(target: ModelTarget, agent: AgentDef, prompt: string, schema: JsonSchema | undefined, signal: AbortSignal, idempotencyKey: string): Promise<Completion> {
  return target.type === 'anthropic' ? completeAnthropic(target, agent, prompt, schema, signal) : completeOpenAi(target, agent, prompt, schema, signal, idempotencyKey);
}

async function completeOpenAi(target: ModelTarget, agent: AgentDef, prompt: string, schema: JsonSchema | undefined, signal: AbortSignal, idempotencyKey: string): Promise<Completion> {
  const client = await openAiClient(target);
  const jsonObject = schema !== undefined && target.structuredOutput === 'json_object';
  const system = [agent.instructions ?? '', jsonObject ? `Answer with only a JSON object matching this JSON Schema:\n${JSON.stringify(schema)}` : ''].filter((s) => s !== '').join('\n\n');
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (system) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: prompt });
  const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: target.model, messages };
  if (agent.temperature !== undefined) body.temperature = agent.temperature;
  if (agent.maxTokens !== undefined) body.max_tokens = agent.maxTokens;
  if (schema) {
    body.response_format = jsonObject ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: `${agent.name}_output`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64), schema: schema as Record<string, unknown>, strict: false } };
  }
  const response = (await client.chat.completions.create(body, { signal, headers: { 'Idempotency-Key': idempotencyKey } })) as unknown;
  const completion = response as Partial<OpenAI.Chat.ChatCompletion> | string | undefined;
  const text = typeof completion === 'object' ? completion?.choices?.[0]?.message?.content : undefined;
  if (typeof text !== 'string') throw refusedOrBad(target, response);
  const usage = typeof completion === 'object' ? completion.usage : undefined;
  const split = { input: usage?.prompt_tokens ?? 0, output: usage?.completion_tokens ?? 0 };
  const tokens = usage ? (usage.total_tokens ?? split.input + split.output) : 0;
  return { answer: schema ? parseJson(text) : text, raw: text, tokens, usage: split };
}

async function completeAnthropic(target: ModelTarget, agent: AgentDef, prompt: string, schema: JsonSchema | undefined, signal: AbortSignal): Promise<Completion> {
  const client = await anthropicClient(target);
  const body: Anthropic.MessageCreateParamsNonStreaming = {
    model: target.model,
    max_tokens: agent.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages: [{ role: 'user', content: prompt }],
  };
  if (agent.instructions) body.system = agent.instructions;
  // `temperature` is not sent: the Messages API of this SDK (1.x) has no such parameter
  if (schema) {
    body.tools = [{ name: 'respond', description: `Give ${agent.name}'s answer.`, input_schema: schema as Anthropic.Tool.InputSchema }];
    body.tool_choice = { type: 'tool', name: 'respond' };
  }
  const { content, usage: split, tokens } = readAnthropicMessage(target, (await client.messages.create(body, { signal })) as unknown);
  if (schema) {
    const call = content.find((block) => block.type === 'tool_use');
    if (call && call.type === 'tool_use') return { answer: call.input as JsonValue, raw: JSON.stringify(call.input), tokens, usage: split };
    const text = textOf(content);
    return { answer: parseJson(text), raw: text, tokens, usage: split };
  }
  const text = textOf(content);
  return { answer: text, raw: text, tokens, usage: split };
}

/**
 * An Anthropic message's content blocks and the tokens it used (input + output).
 * @throws BatonError `AGENT_BAD_RESPONSE` when `response` is not a message (see {@link badResponse}).
 */
export function readAnthropicMessage(target: ModelTarget, response: unknown): { content: Anthropic.ContentBlock[]; usage: { input: number; output: number }; tokens: number } {
  const message = response as Partial<Anthropic.Message> | string | undefined;
  const content = typeof message === 'object' ? message?.content : undefined;
  if (!Array.isArray(content)) throw badResponse(target, response);
  const usage = typeof message === 'object' ? message.usage : undefined;
  const split = { input: usage?.input_tokens ?? 0, output: usage?.output_tokens ?? 0 };
  return { content, usage: split, tokens: split.input + split.output };
}

/** The provider SDKs' classes and the OpenAI SDK's version, once loaded ({@link loadSdks}). */
interface Sdks {
  OpenAI: typeof OpenAI;
  Anthropic: typeof Anthropic;
  openAiVersion: string;
}
let sdks: Sdks | undefined;
let loading: Promise<Sdks> | undefined;

/**
 * The OpenAI and Anthropic SDKs, imported on a process's first model call, not at start: they are ~0.6 MB of the
 * CLI's bundle (split into chunks, esbuild.mjs) that a `baton check`, a stub run or any command without a real
 * model would otherwise load and compile (issue 15).
 */
async function loadSdks(): Promise<Sdks> {
  loading ??= Promise.all([import('openai'), import('@anthropic-ai/sdk'), import('openai/version')]).then(([openai, anthropic, version]) => (sdks = { OpenAI: openai.default, Anthropic: anthropic.default, openAiVersion: version.VERSION }));
  return loading;
}

/** One SDK client per resolved target (targets are resolved once per agent and run), not one per call. */
const clients = new WeakMap<ModelTarget, OpenAI | Anthropic>();
async function clientFor<C extends OpenAI | Anthropic>(target: ModelTarget, create: (loaded: Sdks) => C): Promise<C> {
  let client = clients.get(target) as C | undefined;
  if (!client) {
    client = create(await loadSdks());
    clients.set(target, client);
  }
  return client;
}

/**
 * The OpenAI SDK client for a target (OpenAI and OpenAI-compatible servers; the SDK loaded on first use), kept per target; no retries (the
 * engine's retry policy decides). Its `User-Agent` is given: the SDK makes it from its class's `.name`
 * (`OpenAI/JS <version>`), which the minified bundles do not keep (esbuild.mjs).
 */
export function openAiClient(target: ModelTarget): Promise<OpenAI> {
  return clientFor(target, (loaded) => new loaded.OpenAI({ apiKey: target.apiKey ?? 'not-needed', baseURL: target.baseUrl, maxRetries: 0, defaultHeaders: { 'User-Agent': `OpenAI/JS ${loaded.openAiVersion}` } }));
}

/** The Anthropic SDK client for a target (the SDK loaded on first use), kept per target, no retries (its `User-Agent` is a literal in the SDK). */
export function anthropicClient(target: ModelTarget): Promise<Anthropic> {
  return clientFor(target, (loaded) => new loaded.Anthropic({ apiKey: target.apiKey ?? 'not-needed', baseURL: target.baseUrl, maxRetries: 0 }));
}

/** The text blocks of an Anthropic message, joined. */
export function textOf(content: Anthropic.ContentBlock[]): string {
  return content
    .filter((block): block is Anthropic.TextBlock => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

/** The JSON in a model's text (tolerating a ```json fence), or undefined when there is none. */
export function parseJson(text: string): JsonValue {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  try {
    return JSON.parse(fenced ? fenced[1] : text) as JsonValue;
  } catch {
    return undefined as unknown as JsonValue;
  }
}

/**
 * The error for a chat completion without the text it should have: the model's `refusal` (OpenAI structured
 * outputs), or {@link badResponse}.
 */
export function refusedOrBad(target: ModelTarget, response: unknown): BatonError {
  const refusal = typeof response === 'object' ? (response as Partial<OpenAI.Chat.ChatCompletion> | null)?.choices?.[0]?.message?.refusal : undefined;
  if (typeof refusal === 'string' && refusal !== '') return redact(new BatonError('AGENT_BAD_RESPONSE', `${target.provider}/${target.model} refused to answer: ${refusal.replace(/\s+/g, ' ').slice(0, 300)}`), target);
  return badResponse(target, response);
}

/** The error for an answer that is not of the provider's wire format (an HTML page from a wrong base URL, …). */
export function badResponse(target: ModelTarget, response: unknown): BatonError {
  const looksHtml = typeof response === 'string' && /^\s*</.test(response);
  return new BatonError(
    'AGENT_BAD_RESPONSE',
    `${target.provider}/${target.model} at ${target.baseUrl} answered ${looksHtml ? 'an HTML page' : 'something'} that is not a ${target.type === 'anthropic' ? 'Messages API' : 'chat completion'} response — is the base URL right?`,
  );
}

/** A BatonError with a stable code for what an SDK threw; the key is never part of the message. */
export function describeFailure(error: unknown, target: ModelTarget, signal: AbortSignal): BatonError {
  if (error instanceof BatonError) return redact(error, target);
  const name = `${target.provider}/${target.model}`;
  // an SDK's error can only come from a call, so the SDKs are loaded when one is classified here
  if (signal.aborted || (error instanceof Error && error.name === 'AbortError') || (sdks && (error instanceof sdks.OpenAI.APIUserAbortError || error instanceof sdks.Anthropic.APIUserAbortError))) {
    return new BatonError('STEP_CANCELLED', 'the call was cancelled');
  }
  if (sdks && (error instanceof sdks.OpenAI.APIConnectionError || error instanceof sdks.Anthropic.APIConnectionError)) {
    return redact(new BatonError('AGENT_UNREACHABLE', `${name}: cannot reach ${target.baseUrl} (${error.message})`), target);
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') {
    const detail = apiMessage(error);
    const code = status === 401 || status === 403 ? 'AGENT_AUTH_FAILED' : status === 408 ? 'AGENT_REQUEST_TIMEOUT' : status === 429 ? 'AGENT_RATE_LIMITED' : status >= 500 ? 'AGENT_UNAVAILABLE' : 'AGENT_REQUEST_REJECTED';
    const failure = new BatonError(code, `${name} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
    const retryAfter = (error as { headers?: Headers | Record<string, string> }).headers;
    const header = retryAfter instanceof Headers ? retryAfter.get('retry-after') : retryAfter?.['retry-after'];
    if (header) (failure as BatonError & { retryAfter?: string }).retryAfter = header;
    return redact(failure, target);
  }
  if (error instanceof SyntaxError) return new BatonError('AGENT_BAD_RESPONSE', `${name} at ${target.baseUrl} answered something that is not JSON — is the base URL right?`);
  return redact(new BatonError('AGENT_FAILED', `${name}: ${error instanceof Error ? error.message : String(error)}`), target);
}

function apiMessage(error: unknown): string {
  const body = (error as { error?: unknown }).error;
  const nested = body && typeof body === 'object' ? ((body as { error?: { message?: unknown } }).error?.message ?? (body as { message?: unknown }).message) : undefined;
  const text = typeof nested === 'string' ? nested : error instanceof Error ? error.message : '';
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

/** The same error with every occurrence of the API key replaced (providers sometimes echo it). */
function redact(error: BatonError, target: ModelTarget): BatonError {
  if (!target.apiKey || target.apiKey.length < 4 || !error.message.includes(target.apiKey)) return error;
  const copy = new BatonError(error.code, error.message.split(target.apiKey).join('[redacted]'), error.range);
  return Object.assign(copy, { retryAfter: (error as { retryAfter?: string }).retryAfter });
}
