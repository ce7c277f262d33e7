import assert from 'node:assert/strict';
import { installRunTelemetry, startRun, type RunTelemetry } from '../../packages/runtime/src/index.js';
import { createOtelTelemetry } from '../../packages/runtime/src/telemetry/otel-telemetry.js';
import { startOtlpReceiver, type ReceivedSpan } from '../fake-provider/otlp-receiver.js';
import { compile, tempStore } from './helpers.js';

const FLOW = `
agent Lookup { stub: { order: 42 } }
agent Support {
  output: { reply: string }
  tools: [Lookup, Refund]
  stub: turns([call("Lookup", { prompt: "order 42" }), call("Refund", { order: 42 })], { reply: "done" })
}
flow Refund {
  input order: number
  output refunded: number
  step pay: Lookup { prompt: "refund" }
  set output.refunded = input.order
}
flow Main {
  step support: Support { prompt: "help" }
}`;

describe('runtime: a tool loop’s traces — a span per tool call under its step', function () {
  this.timeout(30_000);
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let t: ReturnType<typeof tempStore>;
  let telemetry: RunTelemetry | undefined;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    t = tempStore();
  });
  afterEach(async () => {
    installRunTelemetry(undefined);
    await telemetry?.shutdown();
    await receiver.close();
    t.cleanup();
  });

  it('execute_tool <name> under the step; an agent tool’s call and a flow tool’s steps under it; a refused call is an error span', async () => {
    const definition = await compile(FLOW);
    // a call of no tool (the checker refuses one in a stub script): added to the compiled script
    const script = definition.agents.Support.stub!.items[0] as unknown as { value: { $turns: { $call: string; arguments: object }[][] } };
    script.value.$turns[0].push({ $call: 'Nope', arguments: {} });
    telemetry = createOtelTelemetry({ tracesUrl: `${receiver.url}/v1/traces`, headers: {}, serviceName: 'baton-test' });
    installRunTelemetry(telemetry);
    const summary = await startRun(definition, 'Main', {}, { store: t.store });
    assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
    await telemetry.shutdown();
    const spans = receiver.spans;
    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name);
      assert.equal(found.length, 1, `one span ${name}: ${spans.map((s) => s.name).join(', ')}`);
      return found[0];
    };
    const step = one('step support');
    const lookup = one('execute_tool Lookup');
    const refund = one('execute_tool Refund');
    const nope = one('execute_tool Nope');
    for (const tool of [lookup, refund, nope]) assert.equal(tool.parentSpanId, step.spanId, 'a tool call is a child of its step');
    assert.deepEqual([lookup.attributes['gen_ai.operation.name'], lookup.attributes['gen_ai.tool.call.id'], lookup.attributes['baton.turn'], lookup.attributes['baton.tool.target']], ['execute_tool', 'stub-1-1', 1, 'agent']);
    assert.equal(spans.find((s) => s.name === 'invoke_agent Lookup' && s.attributes['baton.step'] === 'support')?.parentSpanId, lookup.spanId, 'the agent tool’s call is under its tool span');
    assert.equal(one('step support/stub-1-2/pay').parentSpanId, refund.spanId, 'the flow tool’s steps are under its tool span');
    assert.deepEqual([nope.status.code, nope.attributes['error.type'], nope.attributes['baton.tool.status']], [2, 'TOOL_UNKNOWN', 'refused']);
  });
});
