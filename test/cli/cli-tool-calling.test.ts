import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { anthropicAnswer, anthropicToolUse, useFakeProvider } from '../fake-provider/fake-provider.js';
import { baton, batonAsync, tempWorkspace } from './cli-helper.js';

const KEY = 'sk-ant-BATON-CANARY-tools-51e0';
const FLOW = `
flow Help {
  output reply: string
  step answer: Support { prompt: "Where is order 42? Refund it." }
  set output.reply = answer.output.reply
}
/** Looks an order up by its number. */
agent LookupOrder {
  output: { status: string }
  stub: { status: "shipped" }
}
/** Refunds an order. */
flow RefundFlow {
  input order: number
  output refunded: boolean
  set output.refunded = input.order == 42
}
agent Support {
  model: "anthropic/claude-haiku"
  output: { reply: string, refunded: boolean }
  tools: [LookupOrder, RefundFlow]
}
`;

describe('baton run: an agent calling tools through a real provider (a local fake Anthropic), recorded and replayed', function () {
  this.timeout(90_000);
  let ws: ReturnType<typeof tempWorkspace>;
  const fake = useFakeProvider();
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'help.flow'), FLOW);
  });
  afterEach(() => ws.cleanup());

  it('prints each tool call under its step, records the turns (no key) and replays them offline', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { anthropic: { baseUrl: fake.url } } }));
    fake.script(
      anthropicToolUse([
        { id: 'toolu_look', name: 'LookupOrder', arguments: { prompt: 'order 42' } },
        { id: 'toolu_refund', name: 'RefundFlow', arguments: { order: 42 } },
      ]),
      anthropicAnswer({ input: { reply: 'Shipped, and refunded.', refunded: true } }),
    );
    const recorded = await batonAsync(['run', 'help.flow', '--flow', 'Help', '--agents', 'real', '--record', 'tools.json'], { cwd: ws.dir, env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: '' } });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.match(recorded.stdout, /tool LookupOrder\s+answer · turn 1/);
    assert.match(recorded.stdout, /tool RefundFlow\s+answer · turn 1/);
    assert.match(recorded.stdout, /✓ succeeded .* reply="Shipped, and refunded\."/);
    const cassette = readFileSync(path.join(ws.dir, 'tools.json'), 'utf8');
    assert.ok(!cassette.includes(KEY), 'no key in the cassette');
    const parsed = JSON.parse(cassette) as { version: number; entries: { request: { turn?: number }; response: { calls?: { tool: string }[] } }[] };
    assert.equal(parsed.version, 2);
    assert.deepEqual(
      parsed.entries.map((e) => [e.request.turn, e.response.calls?.map((c) => c.tool)]),
      [
        [1, ['LookupOrder', 'RefundFlow']],
        [2, undefined],
      ],
    );
    const requests = fake.requests.length;
    const replayed = baton(['run', 'help.flow', '--flow', 'Help', '--agents', 'replay:tools.json'], { cwd: ws.dir, env: { ANTHROPIC_API_KEY: '' } });
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.equal(fake.requests.length, requests, 'offline');
    assert.match(replayed.stdout, /tool RefundFlow\s+answer · turn 1/);
    assert.match(replayed.stdout, /reply="Shipped, and refunded\."/);
  });
});
