import assert from 'node:assert/strict';
import type { AgentDef } from '@baton/protocol';
import { composeRunTelemetry, createStubAgents, type AgentCaller, type AgentTurnRequest } from '../../packages/runtime/src/index.js';
import { createOtelTelemetry } from '../../packages/runtime/src/telemetry/otel-telemetry.js';
import { createRunMetricsObserver } from '../../packages/runtime/src/telemetry/run-metrics.js';

const agent = { name: 'Support', stub: { items: [{ kind: 'value', value: { $turns: [[{ $call: 'Lookup', arguments: {} }], 'done'] } }] } } as unknown as AgentDef;
const request: AgentTurnRequest = { agent, stepKey: 's', prompt: '', callIndex: 0, runId: 'r', idempotencyKey: 'r/s/0', signal: new AbortController().signal, tools: [{ name: 'Lookup', inputSchema: { type: 'object' } }], history: [], turn: 1 };

describe('runtime: telemetry keeps the agents’ tool-loop turns', () => {
  it('the metrics and OpenTelemetry wrappers forward turn (and offer none when the agents have none)', async () => {
    const otel = createOtelTelemetry({ tracesUrl: 'http://127.0.0.1:9/v1/traces', headers: {}, serviceName: 'baton-test' });
    const metrics = createRunMetricsObserver('baton-test-turns');
    try {
      const wrapped = composeRunTelemetry([metrics, otel]).wrap(createStubAgents());
      assert.equal(typeof wrapped.turn, 'function');
      assert.deepEqual(await wrapped.turn!(request), { kind: 'calls', calls: [{ id: 'stub-1-1', tool: 'Lookup', arguments: {} }], tokens: 0 });
      const plain: AgentCaller = { call: async () => ({ output: 1 }) };
      assert.equal(composeRunTelemetry([metrics, otel]).wrap(plain).turn, undefined);
    } finally {
      metrics.close();
      await otel.shutdown();
    }
  });
});
