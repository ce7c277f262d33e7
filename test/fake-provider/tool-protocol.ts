import type { ScriptedAnswer } from './fake-provider.js';

/**
 * The tool-calling rules of OpenAI's chat completions and Anthropic's Messages API that the real services enforce
 * (and answer HTTP 400 for), so that the fake provider refuses a conversation the real one would refuse: every
 * assistant `tool_calls` / `tool_use` answered by exactly its results right after it, no result without its call,
 * tool names as the providers accept them, a forced tool that exists, Anthropic's alternating roles and
 * `tools` defined when the conversation has tool blocks.
 * @returns the 400 answer (in the provider's error shape), or undefined when the request is well-formed.
 */
export function refuseMalformedToolRequest(path: string, body: unknown): ScriptedAnswer | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const problem = path.endsWith('/chat/completions') ? openAiProblem(body as OpenAiBody) : path.endsWith('/messages') ? anthropicProblem(body as AnthropicBody) : undefined;
  if (!problem) return undefined;
  return path.endsWith('/messages')
    ? { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: problem } } }
    : { status: 400, body: { error: { message: problem, type: 'invalid_request_error', param: 'messages', code: null } } };
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

interface OpenAiBody {
  messages?: { role: string; content?: unknown; tool_calls?: { id: string; type: string; function: { name: string; arguments: unknown } }[]; tool_call_id?: string }[];
  tools?: { type: string; function?: { name: string; parameters?: unknown } }[];
  tool_choice?: unknown;
}

function openAiProblem(body: OpenAiBody): string | undefined {
  for (const tool of body.tools ?? []) {
    if (tool.type !== 'function' || !tool.function || !NAME.test(tool.function.name)) return `Invalid 'tools': ${JSON.stringify(tool).slice(0, 80)}`;
  }
  if (body.tool_choice !== undefined && !body.tools?.length) return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
  const messages = body.messages ?? [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'tool') return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages[${i}])`;
    if (m.role !== 'assistant' || !m.tool_calls?.length) continue;
    const pending = new Set<string>();
    for (const call of m.tool_calls) {
      if (typeof call.function?.arguments !== 'string') return `Invalid type for 'messages[${i}].tool_calls[].function.arguments': expected a string.`;
      pending.add(call.id);
    }
    let j = i + 1;
    for (; j < messages.length && messages[j].role === 'tool'; j++) {
      if (!pending.delete(messages[j].tool_call_id ?? '')) return `Invalid parameter: messages[${j}] answers tool_call_id ${messages[j].tool_call_id} which the assistant message did not ask for.`;
    }
    if (pending.size > 0) return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`;
    i = j - 1;
  }
  return undefined;
}

type Block = { type: string; id?: string; name?: string; tool_use_id?: string };
interface AnthropicBody {
  messages?: { role: string; content: string | Block[] }[];
  tools?: { name: string }[];
  tool_choice?: { type: string; name?: string };
}

function anthropicProblem(body: AnthropicBody): string | undefined {
  const names = new Set((body.tools ?? []).map((t) => t.name));
  for (const name of names) if (!NAME.test(name)) return `tools: name "${name}" does not match ${NAME}`;
  if (body.tool_choice?.type === 'tool' && !names.has(body.tool_choice.name ?? '')) return `tool_choice: no tool named ${body.tool_choice.name}`;
  const messages = body.messages ?? [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role !== (i % 2 === 0 ? 'user' : 'assistant')) return `messages: roles must alternate between "user" and "assistant", starting with "user" (messages.${i})`;
    const blocks = typeof m.content === 'string' ? [] : m.content;
    const uses = i > 0 && typeof messages[i - 1].content !== 'string' ? (messages[i - 1].content as Block[]).filter((b) => b.type === 'tool_use').map((b) => b.id) : [];
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
    if (m.role === 'user' && results.some((id) => !uses.includes(id))) return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${results.find((id) => !uses.includes(id))}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    if (m.role === 'assistant') {
      const own = blocks.filter((b) => b.type === 'tool_use');
      if (own.length > 0 && names.size === 0) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
      if (own.length > 0 && i + 1 < messages.length) {
        const next = messages[i + 1].content;
        const answered = typeof next === 'string' ? [] : next.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
        const missing = own.filter((b) => !answered.includes(b.id));
        if (missing.length) return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map((b) => b.id).join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
  }
  return undefined;
}
