import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseMalformedToolRequest } from './tool-protocol.js';

/** One request the fake provider received: method, path, headers (lower-case) and the parsed JSON body. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Set when the client went away before the answer (an aborted request). */
  aborted: boolean;
}

/** How the fake answers one request: a status, headers and a body (an object is sent as JSON), after `delayMs`. */
export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

/**
 * A local fake model provider on 127.0.0.1 (a random port) for offline tests: it speaks whatever each test
 * scripts — OpenAI's chat completions, Anthropic's messages, a plain HTTP agent — answering requests in order
 * from `script` (the last answer repeats) and recording every request. Like the real services, it refuses
 * (HTTP 400, the provider's error shape) a chat completion or message whose tool-calling conversation breaks the
 * protocol (see tool-protocol.ts) before consulting the script.
 */
export async function startFakeProvider(): Promise<{
  url: string;
  requests: ReceivedRequest[];
  script: (...answers: (ScriptedAnswer | ((request: ReceivedRequest) => ScriptedAnswer))[]) => void;
  close: () => Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  let answers: (ScriptedAnswer | ((request: ReceivedRequest) => ScriptedAnswer))[] = [{ status: 500, body: { error: { message: 'nothing scripted' } } }];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, aborted: false };
      requests.push(received);
      res.on('close', () => {
        if (!res.writableEnded) received.aborted = true;
      });
      const next = answers[Math.min(requests.length - 1, answers.length - 1)];
      const answer = refuseMalformedToolRequest(received.path, body) ?? (typeof next === 'function' ? next(received) : next);
      const send = (): void => {
        if (res.destroyed) return;
        const isText = typeof answer.body === 'string';
        res.writeHead(answer.status ?? 200, { 'content-type': isText ? 'text/html' : 'application/json', ...answer.headers });
        res.end(isText ? (answer.body as string) : JSON.stringify(answer.body ?? {}));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...next) => {
      answers = next;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A running {@link startFakeProvider}. */
export type FakeProvider = Awaited<ReturnType<typeof startFakeProvider>>;

/**
 * A fake provider for the enclosing mocha `describe`: started before its tests, closed after them. The returned
 * object forwards to it (use it only inside tests and hooks).
 */
export function useFakeProvider(): FakeProvider {
  let started: FakeProvider | undefined;
  before(async () => (started = await startFakeProvider()));
  after(() => started?.close());
  const live = (): FakeProvider => {
    if (!started) throw new Error('the fake provider is used outside a test');
    return started;
  };
  return {
    get url() {
      return live().url;
    },
    get requests() {
      return live().requests;
    },
    script: (...answers) => live().script(...answers),
    close: () => live().close(),
  };
}

/** An OpenAI chat completion answering `content`, with token usage. */
export function openAiAnswer(content: string, usage = { prompt_tokens: 11, completion_tokens: 7 }): ScriptedAnswer {
  return {
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** An Anthropic message: a `respond` tool call with `input` (structured output), or `text`. */
export function anthropicAnswer(answer: { input?: unknown; text?: string }, usage = { input_tokens: 20, output_tokens: 5 }): ScriptedAnswer {
  const content = answer.input !== undefined ? [{ type: 'tool_use', id: 'toolu_1', name: 'respond', input: answer.input }] : [{ type: 'text', text: answer.text ?? '' }];
  return { body: { id: 'msg_test', type: 'message', role: 'assistant', model: 'fake', content, stop_reason: answer.input !== undefined ? 'tool_use' : 'end_turn', usage } };
}

/** One tool call a scripted answer makes: the tool's name and its arguments (a string is sent as it is: malformed JSON). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

/** An OpenAI chat completion asking for tool calls (several: parallel calls), with optional text beside them. */
export function openAiToolCalls(calls: ScriptedToolCall[], text: string | null = null, usage = { prompt_tokens: 13, completion_tokens: 9 }): ScriptedAnswer {
  const toolCalls = calls.map((c, i) => ({ id: c.id ?? `call_${i + 1}`, type: 'function', function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } }));
  return {
    body: {
      id: 'chatcmpl-tools',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content: text, tool_calls: toolCalls }, finish_reason: 'tool_calls' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** An Anthropic message with `tool_use` blocks (several: parallel calls), after optional text. */
export function anthropicToolUse(calls: ScriptedToolCall[], text?: string, usage = { input_tokens: 21, output_tokens: 8 }): ScriptedAnswer {
  const content = [...(text ? [{ type: 'text', text }] : []), ...calls.map((c, i) => ({ type: 'tool_use', id: c.id ?? `toolu_${i + 1}`, name: c.name, input: c.arguments }))];
  return { body: { id: 'msg_tools', type: 'message', role: 'assistant', model: 'fake', content, stop_reason: 'tool_use', usage } };
}
