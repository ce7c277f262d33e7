import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentDef, JsonValue } from '@baton/protocol';
import {
  createRealAgents,
  createRecordingAgents,
  createReplayAgents,
  createStubAgents,
  emptyConfig,
  readCassette,
  requestKey,
  type AgentCaller,
  type AgentTurnRequest,
  type AgentTurnResponse,
  type BatonError,
  type TurnHistoryItem,
} from '../../packages/runtime/src/index.js';
import { openAiAnswer, openAiToolCalls, useFakeProvider } from '../fake-provider/fake-provider.js';
import { compile } from './helpers.js';

const FLOW = `
agent Support {
  model: "openai/gpt-4o-mini"
  output: { reply: string, refunded: boolean }
}
agent Plain {
  output: { reply: string, refunded: boolean }
  stub: { reply: "plain", refunded: true }
}
flow F {
  step s: Support { prompt: "Where is order 42?" }
}`;

const call = (name: string, args: JsonValue): JsonValue => ({ $call: name, arguments: args });
const SCRIPT: JsonValue = { $turns: [[call('LookupOrder', { prompt: 'order 42' })], [call('RefundFlow', { order: 42 }), call('LookupOrder', { prompt: 'order 43' })], { reply: 'done', refunded: true }] };
const TOOLS = [
  { name: 'LookupOrder', inputSchema: { type: 'object' } },
  { name: 'RefundFlow', inputSchema: { type: 'object' } },
];

function request(agent: AgentDef, turn: number, history: TurnHistoryItem[] = [], callIndex = 0): AgentTurnRequest {
  return { agent, stepKey: 's', prompt: 'Where is order 42?', callIndex, runId: 'r', idempotencyKey: `r/s/${callIndex}`, signal: new AbortController().signal, tools: TOOLS, history, turn };
}

/** Turns until final, every call answered `"ok"`. */
async function converse(agents: AgentCaller, agent: AgentDef): Promise<AgentTurnResponse[]> {
  const history: TurnHistoryItem[] = [];
  const out: AgentTurnResponse[] = [];
  for (let turn = 1; turn <= 8; turn++) {
    const response = await agents.turn!(request(agent, turn, history));
    out.push(response);
    if (response.kind === 'final') break;
    history.push({ turn, calls: response.calls, results: response.calls.map((c) => ({ callId: c.id, output: 'ok' })) });
  }
  return out;
}

describe('runtime: stub agents and cassettes in a tool loop', function () {
  this.timeout(30_000);
  let agents: Record<string, AgentDef>;
  before(async () => (agents = (await compile(FLOW)).agents));
  const scripted = (value: JsonValue): AgentDef => ({ ...agents.Plain, stub: { items: [{ kind: 'value', value }] } });

  it('a turns(…) stub answers turn N with its Nth entry: calls (parallel ones in one turn, stable ids), then the final output', async () => {
    const responses = await converse(createStubAgents(), scripted(SCRIPT));
    assert.deepEqual(responses, [
      { kind: 'calls', calls: [{ id: 'stub-1-1', tool: 'LookupOrder', arguments: { prompt: 'order 42' } }], tokens: 0 },
      {
        kind: 'calls',
        calls: [
          { id: 'stub-2-1', tool: 'RefundFlow', arguments: { order: 42 } },
          { id: 'stub-2-2', tool: 'LookupOrder', arguments: { prompt: 'order 43' } },
        ],
        tokens: 0,
      },
      { kind: 'final', output: { reply: 'done', refunded: true }, tokens: 0 },
    ]);
    const again = await createStubAgents().turn(request(scripted(SCRIPT), 2, []));
    assert.deepEqual(again.kind === 'calls' && again.calls.map((c) => c.id), ['stub-2-1', 'stub-2-2'], 'a resumed run asks turn 2 again and gets the same ids');
  });

  it('a stub without turns(…) (or no stub) answers the final output at the first turn; call() on a turns(…) stub gives its final output', async () => {
    assert.deepEqual(await createStubAgents().turn(request(scripted({ reply: 'at once', refunded: false }), 1)), { kind: 'final', output: { reply: 'at once', refunded: false }, tokens: 0 });
    assert.deepEqual(await createStubAgents().turn(request({ ...agents.Plain, stub: undefined }, 1)), { kind: 'final', output: { reply: 'Plain.reply', refunded: true }, tokens: 0 });
    const plain = await createStubAgents().call(request(scripted(SCRIPT), 1));
    assert.deepEqual(plain.output, { reply: 'done', refunded: true });
  });

  it("a test's stub override scripts turns too; a middle entry that is not calls is STUB_ERROR; error(…) fails the turn", async () => {
    const overrides = { Plain: { items: [{ kind: 'value' as const, value: { $turns: [[call('LookupOrder', {})], { reply: 'override', refunded: false }] } }] } };
    assert.deepEqual((await converse(createStubAgents(overrides), agents.Plain)).at(-1), { kind: 'final', output: { reply: 'override', refunded: false }, tokens: 0 });
    await assert.rejects(createStubAgents().turn(request(scripted({ $turns: [{ reply: 'too early' }, { reply: 'x', refunded: true }] }), 1)), (e: BatonError) => e.code === 'STUB_ERROR' && /turn 1 of its turns\(…\) is not a list of call\(…\)/.test(e.message));
    await assert.rejects(createStubAgents().turn(request({ ...agents.Plain, stub: { items: [{ kind: 'error', message: 'down' }] } }, 1)), (e: BatonError) => e.code === 'STUB_ERROR');
  });

  it('a list of turns(…) scripts answers one script per step call: later turns follow the item turn 1 was answered from', async () => {
    const two = { ...agents.Plain, stub: { items: [{ kind: 'value' as const, value: SCRIPT }, { kind: 'value' as const, value: { $turns: [[call('RefundFlow', { order: 7 })], { reply: 'second', refunded: false }] } }] } };
    const stubs = createStubAgents();
    // the first step call: turn 1 with call index 0, turn 2 with call index 1 (each turn is a call of its own)
    const first = await stubs.turn(request(two, 1, [], 0));
    const history: TurnHistoryItem[] = [{ turn: 1, callIndex: 0, calls: first.kind === 'calls' ? first.calls : [], results: [] }];
    const second = await stubs.turn({ ...request(two, 2, history, 1) });
    assert.deepEqual(second.kind === 'calls' && second.calls.map((c) => c.tool), ['RefundFlow', 'LookupOrder'], "turn 2 of the first script, not the second script's");
    const other = await stubs.turn(request(two, 1, [], 3));
    assert.deepEqual(other.kind === 'calls' && other.calls, [{ id: 'stub-1-1', tool: 'RefundFlow', arguments: { order: 7 } }]);
  });

  it('a stub whose calls name no tool three turns in a row fails AGENT_BAD_RESPONSE, like a model', async () => {
    const bad = scripted({ $turns: [[call('Nope', {})], [call('Nope', {})], [call('Nope', {})], { reply: 'x', refunded: true }] });
    await assert.rejects(converse(createStubAgents(), bad), (e: BatonError) => e.code === 'AGENT_BAD_RESPONSE' && /the stub of agent Plain answered malformed tool calls 3 turns in a row/.test(e.message));
  });

  describe('cassettes', () => {
    const fake = useFakeProvider();
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-cassette-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('records the turns of a tool loop (version 2) and replays them offline — calls, text and the final output', async () => {
      fake.script(openAiToolCalls([{ id: 'call_1', name: 'LookupOrder', arguments: { prompt: 'order 42' } }], 'Looking.'), openAiAnswer('{"reply":"shipped","refunded":false}'));
      const file = path.join(dir, 'c.json');
      const real = createRealAgents({ config: { ...emptyConfig(), providers: { openai: { baseUrl: `${fake.url}/v1` } } }, env: { OPENAI_API_KEY: 'sk-x-123456' } });
      const recorded = await converse(createRecordingAgents(real, file), agents.Support);
      const cassette = readCassette(file);
      assert.equal(cassette.version, 2);
      assert.deepEqual(
        cassette.entries.map((e) => [e.request.turn, e.response]),
        [
          [1, { calls: [{ id: 'call_1', tool: 'LookupOrder', arguments: { prompt: 'order 42' } }], text: 'Looking.', tokens: 22 }],
          [2, { output: { reply: 'shipped', refunded: false }, tokens: 18 }],
        ],
      );
      const before = fake.requests.length;
      const replayed = await converse(createReplayAgents(cassette, file), agents.Support);
      assert.equal(fake.requests.length, before, 'offline');
      assert.deepEqual(
        replayed.map((r) => (r.kind === 'calls' ? [r.calls, r.text] : r.output)),
        recorded.map((r) => (r.kind === 'calls' ? [r.calls, r.text] : r.output)),
      );
      await assert.rejects(createReplayAgents(cassette, file).turn!(request(agents.Support, 3)), (e: BatonError) => e.code === 'REPLAY_MISSING' && /at step s, turn 3 of its tool loop/.test(e.message));
    });

    it('still reads a version 1 cassette (plain calls)', async () => {
      const file = path.join(dir, 'v1.json');
      const key = requestKey(agents.Support, { prompt: 'Where is order 42?' });
      writeFileSync(file, JSON.stringify({ version: 1, entries: [{ key, agent: 'Support', model: 'openai/gpt-4o-mini', request: { step: 's', prompt: 'Where is order 42?' }, response: { output: { reply: 'old', refunded: true }, tokens: 3 } }] }));
      const replay = createReplayAgents(readCassette(file), file);
      assert.deepEqual(await replay.call(request(agents.Support, 1)), { output: { reply: 'old', refunded: true }, tokens: 3 });
      writeFileSync(file, JSON.stringify({ version: 3, entries: [] }));
      assert.throws(() => readCassette(file), (e: BatonError) => e.code === 'CASSETTE_UNREADABLE' && /version 1 or 2/.test(e.message));
    });
  });
});
