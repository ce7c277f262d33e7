import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { createRealAgents, emptyConfig, installRunTelemetry, resumeRun, runTraceIds, startRun, type RunTelemetry } from '../../packages/runtime/src/index.js';
import { createOtelTelemetry } from '../../packages/runtime/src/telemetry/otel-telemetry.js';
import { openAiAnswer, startFakeProvider } from '../fake-provider/fake-provider.js';
import { startOtlpReceiver, type ReceivedSpan } from '../fake-provider/otlp-receiver.js';
import { compile, tempStore } from './helpers.js';

const PROMPT_SECRET = 'PROMPT-SECRET-5b7e1d';
const AGENT_TOKEN = 'Bearer agent-token-SECRET-c81f20';

const FLOW = `
agent Writer {
  model: "ollama/llama3"
}
agent Worker {
  model: "http/worker"
}
flow Order {
  step draft: Writer { prompt: "Draft the order ${PROMPT_SECRET}" }
  step call: Worker { prompt: "book it", retry: 2 backoff 10ms max 50ms }
  wait 20ms
  approval sign {
    prompt: "Sign the order?"
  }
  step done: Worker { prompt: "finish" }
}`;

describe('runtime: OpenTelemetry traces of runs, exported over OTLP/HTTP to a local receiver', function () {
  this.timeout(30_000);
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let t: ReturnType<typeof tempStore>;
  const made: RunTelemetry[] = [];
  beforeEach(async () => {
    fake = await startFakeProvider();
    receiver = await startOtlpReceiver();
    t = tempStore();
  });
  afterEach(async () => {
    installRunTelemetry(undefined);
    await Promise.all(made.splice(0).map((m) => m.shutdown()));
    await fake.close();
    await receiver.close();
    t.cleanup();
  });

  /** A process's telemetry exporting to the receiver (as `baton` makes it from `telemetry.otlp.endpoint`). */
  const telemetry = (): RunTelemetry => {
    const made1 = createOtelTelemetry({ tracesUrl: `${receiver.url}/v1/traces`, headers: {}, serviceName: 'baton-test' });
    made.push(made1);
    return made1;
  };

  it('a run that waits for an approval and is resumed by another process makes one trace: run → steps → calls (attempts), waits, GenAI attributes, traceparent to the http/ agent', async () => {
    const definition = await compile(FLOW);
    // the config overrides the .flow file's model: the spans name the model that answered
    const config = { ...emptyConfig(), providers: { ollama: { baseUrl: `${fake.url}/v1` } }, endpoints: { worker: { url: `${fake.url}/agent`, headersFromEnv: { authorization: 'AGENT_TOKEN' } } }, agents: { Writer: { model: 'ollama/llama3.2' } } };
    const agents = createRealAgents({ config, env: { AGENT_TOKEN } });
    fake.script(openAiAnswer('a draft', { prompt_tokens: 11, completion_tokens: 7 }), { status: 503, body: { error: 'busy' } }, { body: { output: 'booked', tokens: 4 } });

    // the first process: runs until the approval
    const first = telemetry();
    installRunTelemetry(first);
    const events: RunEvent[] = [];
    const waiting = await startRun(definition, 'Order', {}, { store: t.store, agents, onEvent: (e) => events.push(e) });
    assert.equal(waiting.status, 'waiting');
    await first.shutdown();

    // another process: the decision is stored, the run resumed there and finished
    const second = telemetry();
    installRunTelemetry(second);
    await t.store.recordDecision(waiting.runId, 'sign', { decision: 'approved', by: 'ann' });
    const done = await resumeRun(waiting.runId, { store: t.store, agents, onEvent: (e) => events.push(e) });
    assert.equal(done.status, 'succeeded');
    await second.shutdown();

    const spans = receiver.spans;
    const ids = runTraceIds(waiting.runId);
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))], [ids.traceId], 'every span of both processes is in the run’s trace');
    const named = (name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);
    const one = (name: string): ReceivedSpan => {
      const found = named(name);
      assert.equal(found.length, 1, `one span ${name}: ${spans.map((s) => s.name).join(', ')}`);
      return found[0];
    };

    const run = one('run Order');
    assert.equal(run.spanId, ids.spanId, 'the run span’s id is derived from the run id');
    assert.equal(run.parentSpanId, '', 'the run span is the root');
    assert.equal(run.attributes['baton.run.id'], waiting.runId);
    assert.equal(run.attributes['baton.flow'], 'Order');
    assert.equal(run.attributes['baton.run.status'], 'succeeded');
    assert.equal(run.resource['service.name'], 'baton-test');
    const started = events.find((e) => e.type === 'run.started')!;
    const ended = events.find((e) => e.type === 'run.succeeded')!;
    assert.equal(run.startMs, Date.parse(started.time), 'the run span starts at run.started (exported by the process that ended it)');
    assert.equal(run.endMs, Date.parse(ended.time));

    for (const step of ['draft', 'call', 'done']) {
      const s = one(`step ${step}`);
      assert.equal(s.parentSpanId, run.spanId, `step ${step} is a child of the run`);
      assert.equal(s.attributes['baton.step'], step);
      assert.equal(s.attributes['baton.run.id'], waiting.runId);
    }
    assert.equal(one('step call').attributes['baton.step.attempts'], 2);
    assert.deepEqual(one('step call').events.map((e) => [e.name, e.attributes['baton.attempt'], e.attributes['error.type']]), [['step.retrying', 1, 'AGENT_UNAVAILABLE']]);

    const chat = one('chat llama3.2');
    assert.equal(chat.parentSpanId, one('step draft').spanId, 'the model call is a child of its step');
    assert.equal(chat.kind, 3, 'a client span');
    assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(chat.attributes['gen_ai.provider.name'], 'ollama');
    assert.equal(chat.attributes['gen_ai.system'], 'ollama');
    assert.equal(chat.attributes['gen_ai.request.model'], 'llama3.2');
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], 11);
    assert.equal(chat.attributes['gen_ai.usage.output_tokens'], 7);

    const attempts = named('invoke_agent Worker').filter((s) => s.attributes['baton.step'] === 'call');
    assert.deepEqual(attempts.map((s) => [s.parentSpanId, s.attributes['baton.attempt'], s.status.code ?? 0, s.attributes['error.type'] ?? '']), [
      [one('step call').spanId, 1, 2, 'AGENT_UNAVAILABLE'],
      [one('step call').spanId, 2, 0, ''],
    ], 'each attempt is a span under the step; the failed one has an error status and its code');
    assert.equal(attempts[0].attributes['gen_ai.agent.name'], 'Worker');

    const timer = one('wait timer');
    assert.equal(timer.parentSpanId, run.spanId);
    assert.ok(timer.endMs - timer.startMs >= 15, `the timer span covers the wait (${timer.endMs - timer.startMs} ms)`);
    const approval = one('wait approval sign');
    assert.equal(approval.parentSpanId, run.spanId);
    const requested = events.find((e) => e.type === 'approval.requested')!;
    assert.equal(approval.startMs, Date.parse(requested.time), 'the wait span starts when the approval was asked (in the first process)');
    assert.ok(approval.endMs >= approval.startMs);
    assert.equal(approval.attributes['baton.wait.outcome'], 'approved');

    // the http/ agent received each call's trace context: the trace id is the run's, the parent is that attempt's span
    const agentCalls = fake.requests.filter((r) => r.path === '/agent');
    assert.equal(agentCalls.length, 3);
    const invokes = named('invoke_agent Worker');
    for (const call of agentCalls) {
      const header = String(call.headers.traceparent);
      const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(header);
      assert.ok(match, `a W3C traceparent: ${header}`);
      assert.equal(match[1], ids.traceId);
      assert.ok(invokes.some((s) => s.spanId === match[2]), 'its parent id is the call’s span');
    }
    assert.equal(agentCalls[0].headers.authorization, AGENT_TOKEN, 'the configured header still goes to the agent');

    // secrets and prompts are never attributes
    const values = JSON.stringify(spans.map((s) => [s.attributes, s.events, s.status]));
    assert.ok(!values.includes(PROMPT_SECRET), 'no prompt in the spans');
    assert.ok(!values.includes('agent-token-SECRET'), 'no header value in the spans');
    assert.deepEqual(receiver.rejected, []);
  });

  it('without telemetry installed nothing is traced and no traceparent is sent', async () => {
    const definition = await compile(FLOW);
    const config = { ...emptyConfig(), providers: { ollama: { baseUrl: `${fake.url}/v1` } }, endpoints: { worker: { url: `${fake.url}/agent`, headersFromEnv: { authorization: 'AGENT_TOKEN' } } } };
    fake.script(openAiAnswer('a draft'), { body: { output: 'booked', tokens: 4 } });
    const summary = await startRun(definition, 'Order', {}, { store: t.store, agents: createRealAgents({ config, env: { AGENT_TOKEN } }) });
    assert.equal(summary.status, 'waiting');
    assert.ok(fake.requests.filter((r) => r.path === '/agent').every((r) => r.headers.traceparent === undefined));
    assert.equal(receiver.spans.length, 0);
  });
});
