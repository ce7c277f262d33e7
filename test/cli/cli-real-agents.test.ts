import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAiAnswer, startFakeProvider } from '../fake-provider/fake-provider.js';
import { baton, batonAsync, tempWorkspace } from './cli-helper.js';

const KEY = 'sk-live-BATON-CANARY-7d2a41';
const FLOW = `
agent Writer {
  model: "openai/gpt-4o-mini"
  output: { text: string }
}
flow Write {
  output text: string
  step w: Writer { prompt: "Write a haiku" }
  set output.text = w.output.text
}
`;

describe('baton run --agents real (against a local fake provider)', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  before(async () => (fake = await startFakeProvider()));
  after(() => fake.close());
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'write.flow'), FLOW);
  });
  afterEach(() => ws.cleanup());

  it('runs the flow through the provider named in baton.config.json; the key is in no output, log or store', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } }, prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } }));
    fake.script(openAiAnswer('{"text":"old pond"}', { prompt_tokens: 1200, completion_tokens: 300 }));
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: '' };
    const human = await batonAsync(['run', 'write.flow', '--agents', 'real'], { cwd: ws.dir, env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /✓ succeeded .* text="old pond"/);
    assert.match(human.stdout, /✓ w\s+Writer\s+[\d.]+ m?s · 1,500 tokens · \$0\.0004/, human.stdout);
    const json = await batonAsync(['run', 'write.flow', '--agents', 'real', '--json'], { cwd: ws.dir, env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0].headers.authorization, `Bearer ${KEY}`, 'the key was sent to the provider');
    // the SDK's User-Agent names its class, whose name the minified bundle does not keep: given explicitly
    assert.match(String(fake.requests[0].headers['user-agent']), /^OpenAI\/JS \d+\.\d+\.\d+$/);
    for (const text of [human.stdout, human.stderr, json.stdout, json.stderr]) assert.ok(!text.includes(KEY), 'not in the output');
    const shown = baton(['runs', 'show', (JSON.parse(json.stdout.split('\n')[0]) as { runId: string }).runId, '--json'], { cwd: ws.dir });
    assert.ok(!shown.stdout.includes(KEY));
    assert.ok(!readFileSync(path.join(ws.dir, '.baton', 'runs.db')).includes(Buffer.from(KEY)), 'not in the store file');
  });

  it('a missing key: exit 2, which variable to set, nothing stored', () => {
    const r = baton(['run', 'write.flow', '--agents', 'real'], { cwd: ws.dir, env: { OPENAI_API_KEY: '' } });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'baton: agent Writer (openai/gpt-4o-mini) needs an API key: set the environment variable OPENAI_API_KEY (in VS Code: "Baton: Set API Key")');
    assert.match(baton(['runs', 'list'], { cwd: ws.dir }).stdout, /No runs stored yet/);
  });

  it('a malformed baton.config.json: exit 2 with the file and the field', () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), '{ "providers": { "openai": { "baseURL": "http://x" } } }');
    const r = baton(['run', 'write.flow', '--agents', 'real'], { cwd: ws.dir, env: { OPENAI_API_KEY: KEY } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /baton\.config\.json: providers\.openai has an unknown field "baseURL"/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('--agents stub never touches the network, even with a config and a key', () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } } }));
    fake.script(openAiAnswer('{"text":"from the network"}'));
    const r = baton(['run', 'write.flow'], { cwd: ws.dir, env: { OPENAI_API_KEY: KEY } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.requests.length, 0);
    assert.match(r.stdout, /text="Writer\.text"/);
  });

  it('--record writes every real call to a cassette (no key in it); --agents replay: answers from it offline; a changed prompt fails clearly', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } } }));
    fake.script(openAiAnswer('{"text":"recorded haiku"}'));
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: '' };
    const recorded = await batonAsync(['run', 'write.flow', '--agents', 'real', '--record', 'cassette.json'], { cwd: ws.dir, env });
    assert.equal(recorded.code, 0, recorded.stderr);
    const cassette = readFileSync(path.join(ws.dir, 'cassette.json'), 'utf8');
    assert.ok(!cassette.includes(KEY), 'no key in the cassette');
    const parsed = JSON.parse(cassette) as { version: number; entries: { agent: string; model: string; request: { prompt: string }; response: { output: unknown } }[] };
    assert.deepEqual(
      parsed.entries.map((e) => [e.agent, e.model, e.request.prompt, e.response.output]),
      [['Writer', 'openai/gpt-4o-mini', 'Write a haiku', { text: 'recorded haiku' }]],
    );
    const before = fake.requests.length;
    const replayed = baton(['run', 'write.flow', '--agents', 'replay:cassette.json'], { cwd: ws.dir, env: { OPENAI_API_KEY: '' } });
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, /agents replayed from cassette\.json/);
    assert.match(replayed.stdout, /text="recorded haiku"/);
    assert.equal(fake.requests.length, before, 'no request reached the provider');
    writeFileSync(path.join(ws.dir, 'write.flow'), FLOW.replace('Write a haiku', 'Write a limerick'));
    const changed = baton(['run', 'write.flow', '--agents', 'replay:cassette.json'], { cwd: ws.dir });
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /REPLAY_MISSING/);
    assert.match(changed.stdout, /holds no answer for agent Writer at step w \(prompt "Write a limerick"\); the flow changed since it was recorded/);
  });

  it('a test block that names a cassette runs offline against the recording', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } } }));
    fake.script(openAiAnswer('{"text":"recorded haiku"}'));
    const recorded = await batonAsync(['run', 'write.flow', '--agents', 'real', '--record', 'recordings/write.json'], { cwd: ws.dir, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: '' } });
    assert.equal(recorded.code, 0, recorded.stderr);
    writeFileSync(
      path.join(ws.dir, 'write.flow'),
      `${FLOW}\ntest "the recorded haiku" {\n  flow: Write\n  cassette: "recordings/write.json"\n  expect: output.text == "recorded haiku"\n}\ntest "stubs without a cassette" {\n  flow: Write\n  expect: output.text == "Writer.text"\n}\n`,
    );
    const r = baton(['test', 'write.flow'], { cwd: ws.dir, env: { OPENAI_API_KEY: '' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 passed/);
  });
});
