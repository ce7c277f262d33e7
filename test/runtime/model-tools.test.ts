import assert from 'node:assert/strict';
import type { AgentDef, JsonValue } from '@baton/protocol';
import { createRealAgents, emptyConfig, type AgentTurnRequest, type AgentTurnResponse, type BatonConfig, type BatonError, type ToolSpec, type TurnHistoryItem } from '../../packages/runtime/src/index.js';
import { anthropicAnswer, anthropicToolUse, openAiAnswer, openAiToolCalls, useFakeProvider } from '../fake-provider/fake-provider.js';
import { compile } from './helpers.js';

const KEY = 'sk-test-BATON-SECRET-77aa01';
const FLOW = `
agent Support { model: "openai/gpt-4o-mini", instructions: "Help the customer.", output: { reply: string, refunded: boolean } }
agent Claude { model: "anthropic/claude-haiku", instructions: "Help the customer.", output: { reply: string, refunded: boolean } }
agent Chatty { model: "anthropic/claude-haiku" }
flow F {
  step s: Support { prompt: "Where is order 42?" }
}`;

const TOOLS: ToolSpec[] = [
  { name: 'LookupOrder', description: 'Finds an order.', inputSchema: { type: 'object', properties: { order: { type: 'number' } }, required: ['order'] } },
  { name: 'Refund', inputSchema: { type: 'object', properties: { order: { type: 'number' } }, required: ['order'] } },
];

type Body = Record<string, unknown> & { messages: Record<string, unknown>[] };

/** A `calls` turn's calls (fails the test for a final answer). */
const callsOf = (response: AgentTurnResponse) => (response.kind === 'calls' ? response.calls : assert.fail(`expected calls, got ${JSON.stringify(response)}`));

describe('runtime: tool calling against a local fake provider (OpenAI and Anthropic wires)', function () {
  this.timeout(30_000);
  const fake = useFakeProvider();
  let agents: Record<string, AgentDef>;
  before(async () => (agents = (await compile(FLOW)).agents));

  const config = (extra: Partial<BatonConfig> = {}): BatonConfig => ({ ...emptyConfig(), providers: { openai: { baseUrl: `${fake.url}/v1` }, anthropic: { baseUrl: fake.url } }, ...extra });
  const caller = (extra: Partial<BatonConfig> = {}) => createRealAgents({ config: config(extra), env: { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY } });
  const request = (agent: AgentDef, turn: number, history: TurnHistoryItem[], tools = TOOLS): AgentTurnRequest => ({
    agent,
    stepKey: 's',
    prompt: 'Where is order 42?',
    callIndex: 0,
    runId: 'run1',
    idempotencyKey: 'run1/s/0',
    signal: new AbortController().signal,
    tools,
    history,
    turn,
  });

  /**
   * A small tool loop (the engine's is engine/tool-loop.ts): turns until final, each call answered by `tool`
   * (a thrown error becomes an error result). Returns every turn's response.
   */
  async function converse(agent: AgentDef, tool: (name: string, args: JsonValue) => JsonValue, maxTurns = 8, extra: Partial<BatonConfig> = {}): Promise<AgentTurnResponse[]> {
    const agentsCaller = caller(extra);
    const history: TurnHistoryItem[] = [];
    const responses: AgentTurnResponse[] = [];
    for (let turn = 1; turn <= maxTurns; turn++) {
      const response = await agentsCaller.turn(request({ ...agent, maxTurns }, turn, history));
      responses.push(response);
      if (response.kind === 'final') return responses;
      history.push({
        turn,
        ...(response.text ? { text: response.text } : {}),
        calls: response.calls,
        results: response.calls.map((c) => {
          try {
            return { callId: c.id, output: tool(c.tool, c.arguments) };
          } catch (error) {
            return { callId: c.id, error: { code: 'TOOL_FAILED', message: (error as Error).message } };
          }
        }),
      });
    }
    return responses;
  }
  const bodies = (): Body[] => fake.requests.map((r) => r.body as Body);

  it('openai: multi-turn with parallel calls — tools and tool_choice sent, the conversation rebuilt, tokens and cost per turn', async () => {
    fake.script(
      openAiToolCalls([{ id: 'call_a', name: 'LookupOrder', arguments: { order: 42 } }], 'Let me look.', { prompt_tokens: 100, completion_tokens: 10 }),
      openAiToolCalls([
        { id: 'call_b', name: 'Refund', arguments: { order: 42 } },
        { id: 'call_c', name: 'LookupOrder', arguments: { order: 43 } },
      ]),
      openAiAnswer('{"reply":"Refunded order 42.","refunded":true}', { prompt_tokens: 200, completion_tokens: 20 }),
    );
    const responses = await converse(agents.Support, (name, args) => ({ tool: name, ...(args as object), status: 'shipped' }), 8, { prices: { 'openai/gpt-4o-mini': { input: 1, output: 2 } } });
    assert.deepEqual(
      responses.map((r) => r.kind),
      ['calls', 'calls', 'final'],
    );
    const [first, second, final] = responses;
    assert.deepEqual(first.kind === 'calls' && [first.calls, first.text, first.tokens, first.usage], [[{ id: 'call_a', tool: 'LookupOrder', arguments: { order: 42 } }], 'Let me look.', 110, { input: 100, output: 10 }]);
    assert.equal(first.costUsd, (100 * 1 + 10 * 2) / 1_000_000);
    assert.deepEqual(first.model, { provider: 'openai', name: 'gpt-4o-mini' });
    assert.deepEqual(second.kind === 'calls' && second.calls.map((c) => c.id), ['call_b', 'call_c'], 'parallel calls in one turn');
    assert.deepEqual(final.kind === 'final' && [final.output, final.tokens], [{ reply: 'Refunded order 42.', refunded: true }, 220]);

    assert.deepEqual(
      fake.requests.map((r) => r.headers['idempotency-key']),
      ['run1/s/0/turn/1', 'run1/s/0/turn/2', 'run1/s/0/turn/3'],
    );
    const [one, , three] = bodies();
    assert.deepEqual(one.tools, [
      { type: 'function', function: { name: 'LookupOrder', description: 'Finds an order.', parameters: TOOLS[0].inputSchema } },
      { type: 'function', function: { name: 'Refund', parameters: TOOLS[1].inputSchema } },
    ]);
    assert.equal(one.tool_choice, 'auto');
    assert.equal((one.response_format as { type: string }).type, 'json_schema', 'the final answer stays typed');
    assert.deepEqual(three.messages, [
      { role: 'system', content: 'Help the customer.' },
      { role: 'user', content: 'Where is order 42?' },
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'LookupOrder', arguments: '{"order":42}' } }] },
      { role: 'tool', tool_call_id: 'call_a', content: '{"tool":"LookupOrder","order":42,"status":"shipped"}' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_b', type: 'function', function: { name: 'Refund', arguments: '{"order":42}' } },
          { id: 'call_c', type: 'function', function: { name: 'LookupOrder', arguments: '{"order":43}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_b', content: '{"tool":"Refund","order":42,"status":"shipped"}' },
      { role: 'tool', tool_call_id: 'call_c', content: '{"tool":"LookupOrder","order":43,"status":"shipped"}' },
    ]);
  });

  it('openai: a failed tool goes back to the model as an error result, which the next request carries', async () => {
    fake.script(openAiToolCalls([{ id: 'call_x', name: 'Refund', arguments: { order: 42 } }]), openAiAnswer('{"reply":"Sorry, the refund failed.","refunded":false}'));
    const responses = await converse(agents.Support, () => {
      throw new Error('the payment service is down');
    });
    assert.deepEqual(responses.at(-1), { kind: 'final', output: { reply: 'Sorry, the refund failed.', refunded: false }, tokens: 18, usage: { input: 11, output: 7 }, model: { provider: 'openai', name: 'gpt-4o-mini' } });
    assert.deepEqual(bodies()[1].messages.at(-1), { role: 'tool', tool_call_id: 'call_x', content: 'Error (TOOL_FAILED): the payment service is down' });
  });

  it('openai: a malformed call (arguments not JSON) comes back as a call to answer with an error; three turns of them fail AGENT_BAD_RESPONSE', async () => {
    fake.script(openAiToolCalls([{ id: 'call_m', name: 'LookupOrder', arguments: '{order: 42' }]), openAiToolCalls([{ id: 'call_n', name: 'NoSuchTool', arguments: {} }]), openAiToolCalls([{ id: 'call_o', name: 'LookupOrder', arguments: '[1]' }]));
    const caller3 = caller();
    const first = await caller3.turn(request(agents.Support, 1, []));
    assert.equal(first.kind, 'calls');
    const call = first.kind === 'calls' ? first.calls[0] : undefined;
    assert.equal(call?.tool, 'LookupOrder');
    assert.match(String((call?.arguments as { $malformed: string }).$malformed), /^the arguments are not JSON \(/);
    assert.equal((call?.arguments as { raw: string }).raw, '{order: 42');
    const history: TurnHistoryItem[] = [{ turn: 1, calls: [call!], results: [{ callId: 'call_m', error: { code: 'TOOL_ARGUMENTS_INVALID', message: 'the arguments are not JSON' } }] }];
    const second = await caller3.turn(request(agents.Support, 2, history));
    assert.deepEqual(second.kind === 'calls' && second.calls, [{ id: 'call_n', tool: 'NoSuchTool', arguments: {} }], 'an unknown tool comes back as it is');
    const sent = bodies()[1].messages;
    assert.deepEqual(sent.at(-2), { role: 'assistant', content: null, tool_calls: [{ id: 'call_m', type: 'function', function: { name: 'LookupOrder', arguments: '{order: 42' } }] }, 'the model sees what it wrote');
    assert.deepEqual(sent.at(-1), { role: 'tool', tool_call_id: 'call_m', content: 'Error (TOOL_ARGUMENTS_INVALID): the arguments are not JSON' });
    history.push({ turn: 2, calls: callsOf(second), results: [{ callId: 'call_n', error: { code: 'TOOL_UNKNOWN', message: 'no tool NoSuchTool' } }] });
    await assert.rejects(caller3.turn(request(agents.Support, 3, history)), (e: BatonError) => e.code === 'AGENT_BAD_RESPONSE' && /malformed tool calls 3 turns in a row \(the last: the arguments are not a JSON object\)/.test(e.message));
  });

  it("openai: the last allowed turn asks for the final answer (tool_choice none); a model that calls tools anyway is returned as calls (the loop's turn limit)", async () => {
    fake.script(openAiToolCalls([{ name: 'LookupOrder', arguments: { order: 1 } }]));
    const responses = await converse(agents.Support, () => 'ok', 2);
    assert.deepEqual(
      responses.map((r) => r.kind),
      ['calls', 'calls'],
    );
    assert.deepEqual(
      bodies().map((b) => b.tool_choice),
      ['auto', 'none'],
    );
  });

  it('openai: a final answer off the output type is repaired once, without tools', async () => {
    fake.script(openAiAnswer('{"reply":"done"}'), openAiAnswer('{"reply":"done","refunded":false}'));
    const response = await caller().turn(request(agents.Support, 1, []));
    assert.deepEqual(response.kind === 'final' && [response.output, response.tokens], [{ reply: 'done', refunded: false }, 36]);
    const repair = bodies()[1];
    assert.equal(repair.tool_choice, 'none');
    assert.equal(fake.requests[1].headers['idempotency-key'], 'run1/s/0/turn/1/repair');
    assert.deepEqual(repair.messages.at(-2), { role: 'assistant', content: '{"reply":"done"}' });
    assert.match(String(repair.messages.at(-1)!.content), /does not match the required output: the output needs "refunded"/);
  });

  it('a call without a result is still answered (an error), so the conversation stays well-formed; the fake refuses a broken one as the real API does (400)', async () => {
    fake.script(openAiAnswer('{}'));
    const broken: TurnHistoryItem[] = [{ turn: 1, calls: [{ id: 'call_1', tool: 'LookupOrder', arguments: {} }, { id: 'call_2', tool: 'Refund', arguments: {} }], results: [{ callId: 'call_1', output: 1 }] }];
    // a missing result is still answered (as an error), so the conversation stays well-formed
    const response = await caller().turn(request(agents.Support, 2, broken)).catch((e: BatonError) => e);
    assert.equal((response as BatonError).code, 'AGENT_OUTPUT_INVALID');
    assert.deepEqual(bodies()[0].messages.at(-1), { role: 'tool', tool_call_id: 'call_2', content: 'Error (TOOL_NO_RESULT): the call has no result' });
    fake.script(openAiAnswer('{}'));
    const raw = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'x', arguments: '{}' } }] }, { role: 'user', content: 'hi' }] }) });
    assert.equal(raw.status, 400);
    assert.match(JSON.stringify(await raw.json()), /did not have response messages: c/);
  });

  it('anthropic: tool_use and tool_result blocks (parallel, an error result with is_error), the final answer through the respond tool', async () => {
    fake.script(
      anthropicToolUse(
        [
          { id: 'toolu_a', name: 'LookupOrder', arguments: { order: 42 } },
          { id: 'toolu_b', name: 'Refund', arguments: { order: 42 } },
        ],
        'Checking.',
        { input_tokens: 40, output_tokens: 4 },
      ),
      anthropicAnswer({ input: { reply: 'Refund failed; order shipped.', refunded: false } }),
    );
    const responses = await converse(agents.Claude, (name) => {
      if (name === 'Refund') throw new Error('refusals only by phone');
      return { status: 'shipped' };
    });
    const [first, final] = responses;
    assert.deepEqual(first.kind === 'calls' && [first.calls.map((c) => `${c.id}:${c.tool}`), first.text, first.tokens, first.usage], [['toolu_a:LookupOrder', 'toolu_b:Refund'], 'Checking.', 44, { input: 40, output: 4 }]);
    assert.deepEqual(final.kind === 'final' && [final.output, final.tokens], [{ reply: 'Refund failed; order shipped.', refunded: false }, 25]);
    const [one, two] = bodies();
    assert.deepEqual(
      (one.tools as { name: string }[]).map((t) => t.name),
      ['LookupOrder', 'Refund', 'respond'],
    );
    assert.deepEqual(one.tool_choice, { type: 'auto' });
    assert.equal(one.system, 'Help the customer.');
    assert.deepEqual(two.messages.slice(1), [
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'LookupOrder', input: { order: 42 } },
          { type: 'tool_use', id: 'toolu_b', name: 'Refund', input: { order: 42 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '{"status":"shipped"}' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'Error (TOOL_FAILED): refusals only by phone', is_error: true },
        ],
      },
    ]);
  });

  it('anthropic: the last turn forces respond; a respond answer off the type is repaired through its tool_result', async () => {
    fake.script(anthropicAnswer({ input: { reply: 'x' } }), anthropicAnswer({ input: { reply: 'x', refunded: true } }));
    const response = await caller().turn(request({ ...agents.Claude, maxTurns: 1 }, 1, []));
    assert.deepEqual(response.kind === 'final' && response.output, { reply: 'x', refunded: true });
    const [one, repair] = bodies();
    assert.deepEqual(one.tool_choice, { type: 'tool', name: 'respond' });
    assert.deepEqual(repair.messages.at(-1), {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: 'Your answer does not match the required output: the output needs "refunded".\nAnswer again with only the corrected final answer.' }],
    });
  });

  it('anthropic without an output type: the final answer is the text; the last turn sends tool_choice none; a user tool named respond is kept', async () => {
    const tools = [...TOOLS, { name: 'respond', inputSchema: { type: 'object' } }];
    fake.script(anthropicToolUse([{ name: 'respond', arguments: { to: 'me' } }]), anthropicAnswer({ text: 'All good.' }));
    const c = caller();
    const first = await c.turn(request({ ...agents.Chatty, maxTurns: 2 }, 1, [], tools));
    assert.deepEqual(first.kind === 'calls' && first.calls, [{ id: 'toolu_1', tool: 'respond', arguments: { to: 'me' } }]);
    const final = await c.turn(request({ ...agents.Chatty, maxTurns: 2 }, 2, [{ turn: 1, calls: callsOf(first), results: [{ callId: 'toolu_1', output: 'sent' }] }], tools));
    assert.deepEqual(final.kind === 'final' && final.output, 'All good.');
    assert.deepEqual(
      bodies().map((b) => b.tool_choice),
      [{ type: 'auto' }, { type: 'none' }],
    );
  });

  it('an OpenAI-compatible server (ollama) without schema support: tools beside json_object, the schema in the system message', async () => {
    fake.script(openAiToolCalls([{ name: 'LookupOrder', arguments: { order: 42 } }]));
    const c = createRealAgents({ config: { ...config(), providers: { ollama: { baseUrl: `${fake.url}/v1`, structuredOutput: 'json_object' } } }, env: {} });
    const response = await c.turn(request({ ...agents.Support, model: 'ollama/llama3' }, 1, []));
    assert.deepEqual(callsOf(response), [{ id: 'call_1', tool: 'LookupOrder', arguments: { order: 42 } }]);
    assert.deepEqual(response.model, { provider: 'ollama', name: 'llama3' });
    const [body] = bodies();
    assert.equal(fake.requests[0].headers.authorization, 'Bearer not-needed');
    assert.deepEqual(body.response_format, { type: 'json_object' });
    assert.match(String(body.messages[0].content), /^Help the customer\.\n\nGive your final answer as only a JSON object matching this JSON Schema:\n\{"type":"object"/);
    assert.deepEqual((body.tools as { function: { name: string } }[]).map((t) => t.function.name), ['LookupOrder', 'Refund']);
  });

  it("openai: a model's refusal fails AGENT_BAD_RESPONSE with its words (not 'is the base URL right?')", async () => {
    const refusal = openAiAnswer('');
    const choice = (refusal.body as { choices: { message: Record<string, unknown> }[] }).choices[0];
    choice.message = { role: 'assistant', content: null, refusal: "I can't help with that." };
    fake.script(refusal);
    await assert.rejects(caller().turn(request(agents.Support, 1, [])), (e: BatonError) => e.code === 'AGENT_BAD_RESPONSE' && e.message === "openai/gpt-4o-mini refused to answer: I can't help with that.");
    await assert.rejects(caller().call(request(agents.Support, 1, [])), (e: BatonError) => e.code === 'AGENT_BAD_RESPONSE' && /refused to answer/.test(e.message));
  });

  it('http and command agents have no tool loop (AGENT_NO_TOOL_LOOP)', async () => {
    const c = createRealAgents({ config: { ...config(), endpoints: { crm: { url: `${fake.url}/agent` } } }, env: {} });
    await assert.rejects(c.turn(request({ ...agents.Support, model: 'http/crm' }, 1, [])), (e: BatonError) => e.code === 'AGENT_NO_TOOL_LOOP' && /agent Support \(http\/crm\) cannot call tools/.test(e.message));
  });
});
