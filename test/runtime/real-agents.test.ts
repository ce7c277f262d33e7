import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { CircuitBreakers, createRealAgents, emptyConfig, loadConfig, type BatonConfig, type BatonError } from '../../packages/runtime/src/index.js';
import { anthropicAnswer, openAiAnswer, startFakeProvider } from '../fake-provider/fake-provider.js';
import { compile, run, tempStore } from './helpers.js';

const KEY = 'sk-test-BATON-SECRET-4f1c9e';

/** A config pointing openai, anthropic and ollama at the fake provider. */
function configFor(url: string, extra: Partial<BatonConfig> = {}): BatonConfig {
  return {
    ...emptyConfig(),
    providers: { openai: { baseUrl: `${url}/v1` }, anthropic: { baseUrl: url }, ollama: { baseUrl: `${url}/v1` } },
    ...extra,
  };
}

const FLOW = `
agent Summarizer {
  model: "openai/gpt-4o-mini"
  instructions: "Summarize."
  output: { summary: string, score: number }
}
agent Classifier {
  model: "anthropic/claude-haiku"
  output: "LOW" | "HIGH"
}
agent Local {
  model: "ollama/llama3"
}
flow Summarize {
  step s: Summarizer { prompt: "Summarize this" }
}
flow Classify {
  step c: Classifier { prompt: "Classify", input: { text: "disk full" } }
}
flow Chat {
  step l: Local { prompt: "Say hi" }
}`;

describe('runtime: real agents against a local fake provider (offline)', function () {
  this.timeout(30_000);
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  let t: ReturnType<typeof tempStore>;
  before(async () => (fake = await startFakeProvider()));
  after(() => fake.close());
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  const runFlow = async (flow: string, config?: BatonConfig, env: NodeJS.ProcessEnv = { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY }) => {
    const def = await compile(FLOW);
    const agents = createRealAgents({ config: config ?? configFor(fake.url), env });
    agents.preflight(def, flow);
    return run(def, flow, {}, { store: t.store, agents });
  };
  const stepOf = (events: RunEvent[], step: string) => events.find((e): e is Extract<RunEvent, { type: 'step.finished' }> => e.type === 'step.finished' && e.step === step)!;

  it('openai: asks for JSON of the output type (json_schema), sends the key and instructions, counts the tokens', async () => {
    fake.script(openAiAnswer('{"summary":"short","score":3}', { prompt_tokens: 30, completion_tokens: 12 }));
    const { summary, events } = await runFlow('Summarize');
    assert.equal(summary.status, 'succeeded');
    const step = stepOf(events, 's');
    assert.deepEqual([step.output, step.tokens], [{ summary: 'short', score: 3 }, 42]);
    const [request] = fake.requests;
    assert.equal(request.path, '/v1/chat/completions');
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.equal(request.headers['idempotency-key'], `${summary.runId}/s/0`, 'the call\'s idempotency key');
    const body = request.body as { model: string; messages: { role: string; content: string }[]; response_format: { type: string; json_schema: { schema: unknown } } };
    assert.equal(body.model, 'gpt-4o-mini');
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'Summarize.' },
      { role: 'user', content: 'Summarize this' },
    ]);
    assert.equal(body.response_format.type, 'json_schema');
    assert.deepEqual(body.response_format.json_schema.schema, {
      type: 'object',
      properties: { summary: { type: 'string' }, score: { type: 'number' } },
      required: ['summary', 'score'],
      additionalProperties: false,
    });
  });

  it("records each step's cost when the config gives the model's prices (US dollars per million tokens in and out)", async () => {
    fake.script(openAiAnswer('{"summary":"short","score":3}', { prompt_tokens: 1000, completion_tokens: 500 }));
    const { events } = await runFlow('Summarize', { ...configFor(fake.url), prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } });
    const step = stepOf(events, 's');
    assert.equal(step.tokens, 1500);
    assert.ok(Math.abs(step.costUsd! - 0.00045) < 1e-12, `cost ${step.costUsd}`);
    fake.script(openAiAnswer('{"summary":"short","score":3}'));
    const unpriced = await runFlow('Summarize');
    assert.equal(stepOf(unpriced.events, 's').costUsd, undefined, 'no price, no cost');
  });

  it('repairs once: an answer that fails the schema is sent back with the validation error; both exchanges count', async () => {
    fake.script(openAiAnswer('{"summary":"short"}', { prompt_tokens: 10, completion_tokens: 5 }), openAiAnswer('{"summary":"short","score":1}', { prompt_tokens: 20, completion_tokens: 6 }));
    const { summary, events } = await runFlow('Summarize');
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual([stepOf(events, 's').output, stepOf(events, 's').tokens], [{ summary: 'short', score: 1 }, 41]);
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(
      fake.requests.map((r) => r.headers['idempotency-key']),
      [`${summary.runId}/s/0`, `${summary.runId}/s/0/repair`],
      'the repair is an exchange of its own: a gateway must not answer it with the first answer',
    );
    const repair = (fake.requests[1].body as { messages: { content: string }[] }).messages.at(-1)!.content;
    assert.match(repair, /Your previous answer was:\n\{"summary":"short"\}/);
    assert.match(repair, /does not match the required output: the output needs "score"/);
  });

  it('fails with AGENT_OUTPUT_INVALID when the repair misses too (malformed JSON, then a wrong type)', async () => {
    fake.script(openAiAnswer('{"summary": "short", '), openAiAnswer('{"summary":"short","score":"high"}'));
    const { summary, events } = await runFlow('Summarize');
    assert.equal(summary.status, 'failed');
    const error = stepOf(events, 's').error!;
    assert.equal(error.code, 'AGENT_OUTPUT_INVALID');
    assert.match(error.message, /agent Summarizer \(openai\/gpt-4o-mini\) did not answer its output type, even after one repair attempt: score must be number/);
    assert.match((fake.requests[1].body as { messages: { content: string }[] }).messages.at(-1)!.content, /the answer is not JSON/);
  });

  it('anthropic: forces a respond tool whose input schema is the (wrapped) output type; the key; tokens in + out', async () => {
    fake.script(anthropicAnswer({ input: { value: 'HIGH' } }, { input_tokens: 50, output_tokens: 9 }));
    const { summary, events } = await runFlow('Classify');
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual([stepOf(events, 'c').output, stepOf(events, 'c').tokens], ['HIGH', 59]);
    const [request] = fake.requests;
    assert.equal(request.path, '/v1/messages');
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    const body = request.body as { model: string; max_tokens: number; messages: { content: string }[]; tools: { name: string; input_schema: unknown }[]; tool_choice: unknown };
    assert.equal(body.model, 'claude-haiku');
    assert.equal(body.max_tokens, 4096);
    assert.equal(body.messages[0].content, 'Classify\n\nInput (JSON):\n{\n  "text": "disk full"\n}');
    assert.deepEqual(body.tools[0].input_schema, { type: 'object', properties: { value: { enum: ['LOW', 'HIGH'] } }, required: ['value'], additionalProperties: false });
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'respond' });
  });

  it('ollama (OpenAI-compatible): no key needed, plain text without an output type', async () => {
    fake.script(openAiAnswer('hi there'));
    const { summary, events } = await runFlow('Chat', undefined, {});
    assert.equal(summary.status, 'succeeded');
    assert.equal(stepOf(events, 'l').output, 'hi there');
    assert.equal(fake.requests[0].headers.authorization, 'Bearer not-needed');
    assert.equal((fake.requests[0].body as { response_format?: unknown }).response_format, undefined);
  });

  const failures: [string, Parameters<typeof fake.script>[0], string, RegExp][] = [
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'slow down' } } }, 'AGENT_RATE_LIMITED', /answered HTTP 429: slow down/],
    ['500', { status: 500, body: { error: { message: 'upstream broke' } } }, 'AGENT_UNAVAILABLE', /answered HTTP 500: upstream broke/],
    ['401', { status: 401, body: { error: { message: 'bad key' } } }, 'AGENT_AUTH_FAILED', /answered HTTP 401: bad key/],
    ['an HTML page with 200', { status: 200, body: '<html><body>Welcome to nginx</body></html>' }, 'AGENT_BAD_RESPONSE', /is the base URL right\?/],
  ];
  for (const [what, answer, code, message] of failures) {
    it(`a provider answering ${what} fails the step with ${code}, one clear message, the key never in it`, async () => {
      fake.script(answer);
      const { summary, events } = await runFlow('Summarize');
      assert.equal(summary.status, 'failed');
      const error = stepOf(events, 's').error!;
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.ok(!JSON.stringify(events).includes(KEY));
    });
  }

  it('retries a 429 after the Retry-After the provider sent, then a 500, and succeeds on the third call (backoff bounds held)', async () => {
    fake.script({ status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down' } } }, { status: 500, body: { error: { message: 'oops' } } }, openAiAnswer('{"summary":"ok","score":1}'));
    const def = await compile(FLOW.replace('step s: Summarizer { prompt: "Summarize this" }', 'step s: Summarizer { prompt: "Summarize this", retry: 3 backoff 100ms max 5s }'));
    const agents = createRealAgents({ config: configFor(fake.url), env: { OPENAI_API_KEY: KEY } });
    const { summary, sleeps, events } = await run(def, 'Summarize', {}, { store: t.store, agents, random: () => 0.5, circuits: new CircuitBreakers() });
    assert.equal(summary.status, 'succeeded');
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(
      fake.requests.map((r) => r.headers['idempotency-key']),
      [0, 1, 2].map((i) => `${summary.runId}/s/${i}`),
      'each retry is a new call with a new key',
    );
    // first wait: at least the 2 s the provider asked; second: full jitter 0.5 × 100 ms × 2
    assert.deepEqual(sleeps, [2000, 100]);
    assert.deepEqual(events.filter((e) => e.type === 'step.retrying').map((e) => e.type === 'step.retrying' && e.error.code), ['AGENT_RATE_LIMITED', 'AGENT_UNAVAILABLE']);
  });

  it('a circuit on a real agent opens after its failures against the provider and then makes no request', async () => {
    fake.script({ status: 503, body: { error: { message: 'down' } } });
    const def = await compile(FLOW.replace('instructions: "Summarize."', 'instructions: "Summarize."\n  circuit: 2 failures 1m'));
    const agents = createRealAgents({ config: configFor(fake.url), env: { OPENAI_API_KEY: KEY } });
    const breakers = new CircuitBreakers();
    for (let i = 0; i < 3; i++) await run(def, 'Summarize', {}, { store: t.store, agents, circuits: breakers });
    assert.equal(fake.requests.length, 2, 'the third run failed fast');
    assert.equal(breakers.stateOf('Summarizer'), 'open');
  });

  it('budget tokens stops the run cleanly once real agents used more', async () => {
    fake.script(openAiAnswer('{"summary":"long","score":2}', { prompt_tokens: 900, completion_tokens: 200 }));
    const def = await compile(FLOW.replace('flow Summarize {', 'flow Summarize {\n  budget tokens 1000'));
    const agents = createRealAgents({ config: configFor(fake.url), env: { OPENAI_API_KEY: KEY } });
    const { summary } = await run(def, 'Summarize', {}, { store: t.store, agents });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'BUDGET_EXCEEDED');
    assert.match(summary.error!.message, /used 1100 tokens, over its budget of 1000/);
  });

  it('a step timeout aborts the in-flight request (the provider sees the connection close)', async () => {
    fake.script({ ...openAiAnswer('{"summary":"late","score":1}'), delayMs: 3000 });
    const def = await compile(FLOW.replace('step s: Summarizer { prompt: "Summarize this" }', 'step s: Summarizer { prompt: "Summarize this", timeout: 200ms }'));
    const agents = createRealAgents({ config: configFor(fake.url), env: { OPENAI_API_KEY: KEY } });
    const started = Date.now();
    const { events } = await run(def, 'Summarize', {}, { store: t.store, agents });
    assert.equal(stepOf(events, 's').error?.code, 'STEP_TIMEOUT');
    assert.ok(Date.now() - started < 2500, 'the run did not wait for the slow answer');
    for (let i = 0; i < 50 && !fake.requests[0].aborted; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.requests[0].aborted, true);
  });

  it('an API key never reaches the store file', async () => {
    fake.script(openAiAnswer('{"summary":"short","score":3}'));
    await runFlow('Summarize');
    t.store.close();
    assert.ok(!readFileSync(t.file).includes(Buffer.from(KEY)), 'the key is not in the store');
  });
});

describe('runtime: real agents — resolving models before a run', () => {
  const agentsFile = async (text: string) => compile(text);

  it('a missing key says which variable to set; an unknown provider and a missing endpoint say what to add', async () => {
    const def = await agentsFile('agent A { model: "openai/gpt-4o" }\nagent B { model: "ollama/llama3" }\nagent C { model: "http/crm" }\nflow F { step a: A }\nflow G { step b: B }\nflow H { step c: C }');
    // an unknown provider can only come from the config's agent overrides (the checker refuses it in a .flow file)
    const agents = createRealAgents({ config: { ...emptyConfig(), agents: { B: { model: 'mistral/large' } } }, env: {} });
    assert.throws(() => agents.preflight(def, 'F'), (e: BatonError) => e.code === 'AGENT_NO_API_KEY' && /agent A \(openai\/gpt-4o\) needs an API key: set the environment variable OPENAI_API_KEY/.test(e.message));
    assert.throws(() => agents.preflight(def, 'G'), (e: BatonError) => e.code === 'AGENT_UNKNOWN_PROVIDER' && /agent B \(mistral\/large\): unknown provider "mistral" — use openai, anthropic, ollama/.test(e.message));
    assert.throws(() => agents.preflight(def, 'H'), (e: BatonError) => e.code === 'CONFIG_MISSING' && /no endpoint "crm" — add endpoints\.crm with its url/.test(e.message));
  });

  it('checks only the agents the flow can call (through sub-flows and compensations); stub-only agents need nothing', async () => {
    const def = await agentsFile(
      'agent Keyless { model: "openai/gpt-4o" }\nagent Undo { model: "anthropic/c" }\nagent S { stub: "ok" }\n' +
        'flow Outer { step s: S { compensate: Undo { prompt: "undo" } }\n step i: Inner }\nflow Inner { step k: Keyless }\nflow Other { step o: S }',
    );
    const agents = createRealAgents({ config: emptyConfig(), env: { ANTHROPIC_API_KEY: KEY } });
    assert.doesNotThrow(() => agents.preflight(def, 'Other'));
    assert.throws(() => agents.preflight(def, 'Outer'), /agent Keyless/);
  });
});

describe('runtime: baton.config.json', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());
  const write = (content: string): string => {
    const file = path.join(t.dir, 'baton.config.json');
    writeFileSync(file, content);
    return file;
  };

  it('reads providers, endpoints, commands (cwd made absolute) and agent overrides', () => {
    const config = loadConfig(
      write(JSON.stringify({ providers: { ollama: { baseUrl: 'http://127.0.0.1:1/v1' } }, endpoints: { crm: { url: 'https://crm.example/agent' } }, commands: { tool: { command: ['python3', 'tool.py'], cwd: 'tools' } }, agents: { Writer: { model: 'ollama/llama3' } } })),
    );
    assert.equal(config.commands.tool.cwd, path.join(t.dir, 'tools'));
    assert.equal(config.agents.Writer.model, 'ollama/llama3');
    assert.equal(config.endpoints.crm.url, 'https://crm.example/agent');
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{ "providers": ', /baton\.config\.json: not valid JSON/],
    ['a field of the wrong type', '{ "providers": { "openai": { "baseUrl": 42 } } }', /baton\.config\.json: providers\.openai\.baseUrl must be string/],
    ['a misspelt field', '{ "agents": { "Writer": { "modle": "openai/x" } } }', /agents\.Writer has an unknown field "modle"/],
    ['a key written in the file', '{ "providers": { "openai": { "apiKey": "sk-..." } } }', /providers\.openai has an unknown field "apiKey"/],
    ['a URL that is not http(s)', '{ "endpoints": { "crm": { "url": "ftp://x" } } }', /endpoints\.crm\.url must be an http:\/\/ or https:\/\/ URL/],
    ['a command that is not a list', '{ "commands": { "tool": { "command": "python3 tool.py" } } }', /commands\.tool\.command must be array/],
  ];
  for (const [what, content, message] of bad) {
    it(`refuses ${what} with the file and the field (CONFIG_INVALID)`, () => {
      assert.throws(() => loadConfig(write(content)), (e: BatonError) => e.code === 'CONFIG_INVALID' && message.test(e.message));
    });
  }
});

describe('runtime: http/ and command/ agents', function () {
  this.timeout(30_000);
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  let t: ReturnType<typeof tempStore>;
  before(async () => (fake = await startFakeProvider()));
  after(() => fake.close());
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  const FLOWS = `
agent Crm {
  model: "http/crm"
  instructions: "Look the customer up."
  output: { tier: "GOLD" | "SILVER" }
}
agent Tool {
  model: "command/tool"
  output: { n: number }
}
flow Lookup {
  step c: Crm { prompt: "Find ACME", input: { id: 7 } }
}
flow Count {
  step t: Tool { prompt: "count", timeout: 2s }
}`;
  const runWith = async (flow: string, config: Partial<BatonConfig>, env: NodeJS.ProcessEnv = {}) => {
    const def = await compile(FLOWS);
    const agents = createRealAgents({ config: { ...emptyConfig(), ...config }, env });
    agents.preflight(def, flow);
    return run(def, flow, {}, { store: t.store, agents });
  };
  const errorOf = (events: RunEvent[]) => (events.find((e) => e.type === 'step.finished') as { error?: { code: string; message: string } }).error;

  it('http: POSTs the request as JSON (with a header from the environment) and reads {output, tokens}', async () => {
    fake.script({ body: { output: { tier: 'GOLD' }, tokens: 12 } });
    const { summary, events } = await runWith('Lookup', { endpoints: { crm: { url: `${fake.url}/agent`, headers: { 'x-team': 'sales' }, headersFromEnv: { authorization: 'CRM_TOKEN' } } } }, { CRM_TOKEN: 'Bearer crm-secret' });
    assert.equal(summary.status, 'succeeded');
    const step = events.find((e) => e.type === 'step.finished') as { output: unknown; tokens: number };
    assert.deepEqual([step.output, step.tokens], [{ tier: 'GOLD' }, 12]);
    const [request] = fake.requests;
    assert.deepEqual([request.method, request.path, request.headers['x-team'], request.headers.authorization], ['POST', '/agent', 'sales', 'Bearer crm-secret']);
    assert.equal(request.headers['idempotency-key'], `${summary.runId}/c/0`);
    assert.deepEqual(request.body, {
      agent: 'Crm',
      step: 'c',
      prompt: 'Find ACME',
      callIndex: 0,
      input: { id: 7 },
      instructions: 'Look the customer up.',
      outputSchema: { type: 'object', properties: { tier: { enum: ['GOLD', 'SILVER'] } }, required: ['tier'], additionalProperties: false },
    });
  });

  const httpFailures: [string, Parameters<typeof fake.script>[0], string, RegExp][] = [
    ['an HTML page', { status: 200, body: '<!doctype html><p>login</p>' }, 'AGENT_BAD_RESPONSE', /answered an HTML page, not JSON/],
    ['JSON without output', { body: { result: 1 } }, 'AGENT_BAD_RESPONSE', /JSON without an "output" field/],
    ['an output of the wrong shape', { body: { output: { tier: 'BRONZE' } } }, 'AGENT_OUTPUT_INVALID', /tier must be one of "GOLD", "SILVER"/],
    ['503', { status: 503, headers: { 'retry-after': '3' }, body: { error: 'down' } }, 'AGENT_UNAVAILABLE', /answered HTTP 503/],
  ];
  for (const [what, answer, code, message] of httpFailures) {
    it(`http: ${what} fails the step with ${code}`, async () => {
      fake.script(answer);
      const { summary, events } = await runWith('Lookup', { endpoints: { crm: { url: `${fake.url}/agent` } } });
      assert.equal(summary.status, 'failed');
      assert.equal(errorOf(events)?.code, code);
      assert.match(errorOf(events)!.message, message);
    });
  }

  it('http: an error page echoing the secret header never puts it in the step error', async () => {
    fake.script((request) => ({ status: 401, body: { error: `bad token ${String(request.headers.authorization)}` } }));
    const { events } = await runWith('Lookup', { endpoints: { crm: { url: `${fake.url}/agent`, headersFromEnv: { authorization: 'CRM_TOKEN' } } } }, { CRM_TOKEN: 'Bearer crm-secret-123' });
    assert.equal(errorOf(events)?.code, 'AGENT_AUTH_FAILED');
    assert.match(errorOf(events)!.message, /bad token \[redacted\]/);
    assert.ok(!JSON.stringify(events).includes('crm-secret-123'));
  });

  it('http: a header variable that is not set stops the run before it starts, naming it', async () => {
    const def = await compile(FLOWS);
    const agents = createRealAgents({ config: { ...emptyConfig(), endpoints: { crm: { url: `${fake.url}/agent`, headersFromEnv: { authorization: 'CRM_TOKEN' } } } }, env: {} });
    assert.throws(() => agents.preflight(def, 'Lookup'), (e: BatonError) => e.code === 'CONFIG_MISSING' && /sends the header authorization from the environment variable CRM_TOKEN: set it/.test(e.message));
  });

  const script = (body: string): string => {
    const file = path.join(t.dir, 'tool.mjs');
    writeFileSync(file, body);
    return file;
  };
  const commandConfig = (file: string) => ({ commands: { tool: { command: [process.execPath, file], cwd: t.dir } } });

  it('command: the request on stdin, {output, tokens} from stdout', async () => {
    const file = script(`import { writeFileSync } from 'node:fs'; let s = ''; process.stdin.on('data', (c) => (s += c)); process.stdin.on('end', () => { const r = JSON.parse(s); writeFileSync(process.argv[1] + '.key', process.env.BATON_IDEMPOTENCY_KEY ?? 'none'); console.log(JSON.stringify({ output: { n: r.prompt.length + r.callIndex }, tokens: 3 })); });`);
    const { summary, events } = await runWith('Count', commandConfig(file));
    assert.equal(summary.status, 'succeeded');
    assert.equal(readFileSync(`${file}.key`, 'utf8'), `${summary.runId}/t/0`, 'the idempotency key in the environment');
    const step = events.find((e) => e.type === 'step.finished') as { output: unknown; tokens: number };
    assert.deepEqual([step.output, step.tokens], [{ n: 5 }, 3]);
  });

  const commandFailures: [string, string, string, RegExp][] = [
    ['a non-zero exit', `console.error('quota exhausted'); process.exit(3);`, 'AGENT_COMMAND_FAILED', /exited with code 3: quota exhausted/],
    ['text that is not JSON', `console.log('Sure! Here is the count: 5');`, 'AGENT_BAD_RESPONSE', /answered something that is not JSON \("Sure! Here is the count: 5"\)/],
  ];
  for (const [what, body, code, message] of commandFailures) {
    it(`command: ${what} fails the step with ${code}`, async () => {
      const { events } = await runWith('Count', commandConfig(script(body)));
      assert.equal(errorOf(events)?.code, code);
      assert.match(errorOf(events)!.message, message);
    });
  }

  it('command: a program that does not exist, and one killed at the step timeout', async () => {
    const missing = await runWith('Count', { commands: { tool: { command: ['/nonexistent/tool'] } } });
    assert.equal(errorOf(missing.events)?.code, 'AGENT_COMMAND_FAILED');
    assert.match(errorOf(missing.events)!.message, /could not start: no such program/);
    const started = Date.now();
    const slow = await runWith('Count', commandConfig(script(`setTimeout(() => console.log('{"output":{"n":1}}'), 20000);`)));
    assert.equal(errorOf(slow.events)?.code, 'STEP_TIMEOUT');
    assert.ok(Date.now() - started < 10_000, 'killed at the timeout, not waited for');
  });
});
