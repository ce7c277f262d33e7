import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { createRealAgents, createRecordingAgents, createReplayAgents, emptyConfig, readCassette, type BatonConfig, type BatonError } from '../../packages/runtime/src/index.js';
import { anthropicAnswer, anthropicToolUse, openAiAnswer, openAiToolCalls, useFakeProvider, type ReceivedRequest } from '../fake-provider/fake-provider.js';
import { compile, run, tempStore } from './helpers.js';

// Flows whose agents call tools, run end to end: the engine's tool loop, the providers' wire code and a local fake
// provider speaking OpenAI's and Anthropic's tool calling (issue 14's proof).

const KEY = 'sk-test-BATON-SECRET-tools-9d2e';
const flows = (model: string, extra = '') => `
/** Looks an order up by its number. */
agent LookupOrder {
  output: { status: string }
  stub: [{ status: "shipped" }, error("the order service is down")]
}
/** Refunds an order. */
flow RefundFlow {
  input order: number
  output refunded: boolean
  set output.refunded = input.order == 42
}
agent Support {
  model: "${model}"
  instructions: "Help the customer with their order."
  output: { reply: string, refunded: boolean }
  tools: [LookupOrder, RefundFlow]
  ${extra}
}
flow Help {
  output answer: any
  step answer: Support { prompt: "Where is order 42? Refund it." }
  set output.answer = answer.output
}`;

type Msg = { role: string; content: unknown; tool_call_id?: string };
const of = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

describe('runtime: flows whose agents call tools, against a local fake OpenAI / Anthropic (offline)', function () {
  this.timeout(60_000);
  const fake = useFakeProvider();
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  const config = (extra: Partial<BatonConfig> = {}): BatonConfig => ({ ...emptyConfig(), providers: { openai: { baseUrl: `${fake.url}/v1` }, anthropic: { baseUrl: fake.url } }, ...extra });
  const real = () => createRealAgents({ config: config(), env: { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY } });

  it('openai: parallel calls of an agent and a flow, their results in the next request, then the typed final answer', async () => {
    let seen: Msg[] = [];
    fake.script(
      openAiToolCalls(
        [
          { id: 'call_look', name: 'LookupOrder', arguments: { prompt: 'order 42' } },
          { id: 'call_refund', name: 'RefundFlow', arguments: { order: 42 } },
        ],
        'Looking it up and refunding.',
      ),
      (request: ReceivedRequest) => {
        seen = (request.body as { messages: Msg[] }).messages;
        return openAiAnswer('{"reply":"Order 42 shipped and refunded.","refunded":true}', { prompt_tokens: 50, completion_tokens: 10 });
      },
    );
    const { summary, events } = await run(await compile(flows('openai/gpt-4o-mini')), 'Help', {}, { store: t.store, agents: real() });
    assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
    assert.deepEqual(summary.outputs, { answer: { reply: 'Order 42 shipped and refunded.', refunded: true } });
    assert.deepEqual(
      of(events, 'turn.finished').map((e) => [e.turn, e.calls.map((c) => c.tool), e.final, e.tokens, e.text]),
      [
        [1, ['LookupOrder', 'RefundFlow'], false, 22, 'Looking it up and refunding.'],
        [2, [], true, 60, undefined],
      ],
    );
    assert.deepEqual(
      of(events, 'tool.finished').map((e) => [e.callId, e.status, e.output]).sort(),
      [
        ['call_look', 'succeeded', { status: 'shipped' }],
        ['call_refund', 'succeeded', { refunded: true }],
      ],
    );
    assert.deepEqual(
      seen.filter((m) => m.role === 'tool'),
      [
        { role: 'tool', tool_call_id: 'call_look', content: '{"status":"shipped"}' },
        { role: 'tool', tool_call_id: 'call_refund', content: '{"refunded":true}' },
      ],
    );
    assert.equal(of(events, 'step.finished')[0].tokens, 82, 'the turns add up');
  });

  it('anthropic: a failing tool and a malformed call go back to the model as errors (is_error); the model answers after', async () => {
    let seen: Msg[] = [];
    fake.script(
      anthropicToolUse([{ id: 'toolu_look', name: 'LookupOrder', arguments: { prompt: 'order 42' } }]),
      anthropicToolUse([
        { id: 'toolu_again', name: 'LookupOrder', arguments: { prompt: 'order 42 again' } },
        { id: 'toolu_bad', name: 'RefundFlow', arguments: { order: 'forty-two' } },
        { id: 'toolu_none', name: 'Nope', arguments: {} },
      ]),
      (request: ReceivedRequest) => {
        seen = (request.body as { messages: Msg[] }).messages;
        return anthropicAnswer({ input: { reply: 'The order service is down; try later.', refunded: false } });
      },
    );
    const { summary, events } = await run(await compile(flows('anthropic/claude-haiku')), 'Help', {}, { store: t.store, agents: real() });
    assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
    assert.deepEqual(
      of(events, 'tool.finished')
        .map((e) => [e.callId, e.status, e.error?.code ?? ''])
        .sort(),
      [
        ['toolu_again', 'failed', 'STUB_ERROR'],
        ['toolu_bad', 'refused', 'TOOL_BAD_ARGUMENTS'],
        ['toolu_look', 'succeeded', ''],
        ['toolu_none', 'refused', 'TOOL_UNKNOWN'],
      ],
    );
    const results = (seen.at(-1)!.content as { tool_use_id: string; is_error?: boolean; content: string }[]).map((b) => [b.tool_use_id, b.is_error ?? false, b.content.split(':')[0]]);
    assert.deepEqual(results, [
      ['toolu_again', true, 'Error (STUB_ERROR)'],
      ['toolu_bad', true, 'Error (TOOL_BAD_ARGUMENTS)'],
      ['toolu_none', true, 'Error (TOOL_UNKNOWN)'],
    ]);
  });

  it('the turn limit: the last turn asks for the answer (tool_choice none); a model that keeps calling tools fails TOOL_TURNS_EXCEEDED', async () => {
    fake.script(openAiToolCalls([{ name: 'RefundFlow', arguments: { order: 42 } }]));
    const { summary, events } = await run(await compile(flows('openai/gpt-4o-mini', 'max_turns: 2')), 'Help', {}, { store: t.store, agents: real() });
    assert.equal(summary.status, 'failed');
    assert.equal(of(events, 'step.finished')[0].error?.code, 'TOOL_TURNS_EXCEEDED');
    assert.deepEqual(
      fake.requests.map((r) => (r.body as { tool_choice: string }).tool_choice),
      ['auto', 'none'],
    );
  });

  it('a model answering malformed calls (arguments not JSON) three turns in a row fails AGENT_BAD_RESPONSE; each was answered with an error first', async () => {
    fake.script(openAiToolCalls([{ name: 'RefundFlow', arguments: '{"order": 42' }]));
    const { summary, events } = await run(await compile(flows('openai/gpt-4o-mini')), 'Help', {}, { store: t.store, agents: real() });
    assert.equal(summary.status, 'failed');
    const error = of(events, 'step.finished')[0].error!;
    assert.equal(error.code, 'AGENT_BAD_RESPONSE');
    assert.match(error.message, /malformed tool calls 3 turns in a row/);
    assert.deepEqual(
      of(events, 'tool.finished').map((e) => [e.status, e.error?.code]),
      [
        ['refused', 'TOOL_BAD_ARGUMENTS'],
        ['refused', 'TOOL_BAD_ARGUMENTS'],
      ],
    );
    const last = (fake.requests[2].body as { messages: { role: string; content: unknown; tool_calls?: { function: { arguments: string } }[] }[] }).messages;
    assert.equal(last.at(-2)!.tool_calls![0].function.arguments, '{"order": 42', 'the model sees what it wrote');
  });

  it('preflight resolves the agents a step reaches through tools (an agent tool, and a flow tool\'s steps) before the run starts', async () => {
    const def = await compile(`
agent Inner { model: "anthropic/claude-haiku" }
agent Lookup { model: "openai/gpt-4o-mini" }
flow Sub {
  step s: Inner { prompt: "x" }
}
agent Support {
  stub: { reply: "x" }
  tools: [Lookup, Sub]
}
flow Main {
  step s: Support { prompt: "help" }
}`);
    const preflight = (env: NodeJS.ProcessEnv) => () => createRealAgents({ config: config(), env }).preflight(def, 'Main');
    assert.throws(preflight({ ANTHROPIC_API_KEY: KEY }), (e: BatonError) => e.code === 'AGENT_NO_API_KEY' && /agent Lookup \(openai\/gpt-4o-mini\)/.test(e.message));
    assert.throws(preflight({ OPENAI_API_KEY: KEY }), (e: BatonError) => e.code === 'AGENT_NO_API_KEY' && /agent Inner \(anthropic\/claude-haiku\)/.test(e.message));
    preflight({ OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY })();
  });

  it('stub mode: a list of turns(…) scripts answers one script per step call, all its turns (each turn is a call of its own)', async () => {
    const def = await compile(`
agent Worker { stub: "worked" }
agent Helper {
  tools: [Worker]
  stub: [turns([call("Worker", { prompt: "a" })], "first"), turns([call("Worker", { prompt: "b" })], [call("Worker", { prompt: "c" })], "second")]
}
flow Two {
  step s1: Helper { prompt: "one" }
  step s2: Helper { prompt: "two" }
}`);
    const { events } = await run(def, 'Two', {}, { store: t.store });
    assert.deepEqual(
      of(events, 'step.finished').map((e) => `${e.step}=${String(e.output)}`),
      ['s1=first', 's2=second'],
    );
    assert.deepEqual(
      of(events, 'tool.started').map((e) => `${e.step}:${(e.arguments as { prompt: string }).prompt}`),
      ['s1:a', 's2:b', 's2:c'],
    );
  });

  it('stub mode: turns(…) scripts the loop offline; a recorded tool loop replays without the provider', async () => {
    const stubbed = await compile(flows('openai/gpt-4o-mini', 'stub: turns([call("LookupOrder", { prompt: "order 42" }), call("RefundFlow", { order: 42 })], { reply: "stubbed", refunded: true })'));
    const offline = await run(stubbed, 'Help', {}, { store: t.store });
    assert.deepEqual(offline.summary.outputs, { answer: { reply: 'stubbed', refunded: true } });
    assert.deepEqual(
      of(offline.events, 'tool.finished').map((e) => [e.callId, e.status]),
      [
        ['stub-1-1', 'succeeded'],
        ['stub-1-2', 'succeeded'],
      ],
    );

    const dir = mkdtempSync(path.join(tmpdir(), 'baton-tools-cassette-'));
    try {
      const file = path.join(dir, 'loop.json');
      fake.script(openAiToolCalls([{ id: 'call_1', name: 'RefundFlow', arguments: { order: 42 } }]), openAiAnswer('{"reply":"refunded","refunded":true}'));
      const recorded = await run(stubbed, 'Help', {}, { store: t.store, agents: createRecordingAgents(real(), file) });
      assert.equal(recorded.summary.status, 'succeeded', JSON.stringify(recorded.summary.error));
      const requests = fake.requests.length;
      const replayed = await run(stubbed, 'Help', {}, { store: t.store, agents: createReplayAgents(readCassette(file), file) });
      assert.equal(fake.requests.length, requests, 'offline');
      assert.deepEqual(replayed.summary.outputs, recorded.summary.outputs);
      assert.deepEqual(
        of(replayed.events, 'tool.started').map((e) => [e.callId, e.tool, e.arguments]),
        [['call_1', 'RefundFlow', { order: 42 }]],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
