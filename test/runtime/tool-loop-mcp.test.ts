import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { resumeRun, startRun, type AgentCaller, type AgentTurnRequest, createStubAgents } from '../../packages/runtime/src/index.js';
import { createMcpTools } from '../../packages/runtime/src/mcp/mcp-client.js';
import { startHttpMcpServer } from '../mcp/test-mcp-server.js';
import { compile, tempStore } from './helpers.js';

// A tool loop with the real MCP client (the SDK's, runtime/src/mcp) against the test MCP server over streamable
// HTTP: the server's schema checks the arguments, its error result goes to the model, and a run resumed in
// another "process" (a new client) answers the finished MCP calls from its log instead of calling the server again.

const FLOW = `
agent Payments { stub: { paid: true } }
agent Support {
  output: { status: string }
  tools: [mcp.crm.lookup, mcp.crm.fail, Payments { approval: "finance" }]
  stub: turns([call("crm__lookup", { order: 42 }), call("crm__fail"), call("crm__lookup", { order: "forty-two" })], [call("Payments", { prompt: "refund 42" })], { status: "refunded" })
}
flow Help {
  output status: string
  step answer: Support { prompt: "refund order 42" }
  set output.status = answer.output.status
}`;

describe('the tool loop with the real MCP client (streamable HTTP)', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof startHttpMcpServer>>;
  let t: ReturnType<typeof tempStore>;
  beforeEach(async () => {
    server = await startHttpMcpServer();
    t = tempStore();
  });
  afterEach(async () => {
    await server.close();
    t.cleanup();
  });

  it("checks arguments against the server's schema, gives its error result to the model, and does not call it again after a resume", async () => {
    const definition = await compile(FLOW);
    const stubs = createStubAgents();
    const seen: AgentTurnRequest[] = [];
    const agents: AgentCaller = { call: (r) => stubs.call(r), turn: (r) => (seen.push(r), stubs.turn(r)) };
    const first = createMcpTools({ crm: { url: server.url } });
    const events: RunEvent[] = [];
    let waiting;
    try {
      waiting = await startRun(definition, 'Help', {}, { store: t.store, agents, mcp: first, onEvent: (e) => events.push(e) });
    } finally {
      await first.close();
    }
    assert.equal(waiting.status, 'waiting', JSON.stringify(waiting.error));
    assert.deepEqual(server.calls, { lookup: 1, fail: 1 }, 'the call with bad arguments never reached the server');
    assert.deepEqual(seen[1].history[0].results.map((r) => r.output ?? r.error?.code), [{ order: 42, status: 'shipped' }, 'TOOL_FAILED', 'TOOL_BAD_ARGUMENTS']);
    assert.match(seen[1].history[0].results[1].error!.message, /crm\.fail failed: the CRM is down/);
    assert.match(seen[1].history[0].results[2].error!.message, /arguments\/order must be number/);
    assert.equal(seen[0].tools.find((s) => s.name === 'crm__lookup')?.description, 'Looks an order up.');

    await t.store.recordDecision(waiting.runId, 'answer/stub-2-1', { decision: 'approved', by: 'fran' });
    const second = createMcpTools({ crm: { url: server.url } });
    try {
      const done = await resumeRun(waiting.runId, { store: t.store, agents, mcp: second });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.outputs, { status: 'refunded' });
    } finally {
      await second.close();
    }
    assert.deepEqual(server.calls, { lookup: 1, fail: 1 }, 'the finished MCP calls were answered from the log');
    const log = await t.store.getEvents(waiting.runId);
    assert.deepEqual(log.filter((e) => e.type === 'tool.finished').map((e) => e.type === 'tool.finished' && `${e.tool}:${e.status}`), ['crm__lookup:refused', 'crm__lookup:succeeded', 'crm__fail:failed', 'Payments:succeeded'], 'a refusal is recorded at once, the calls when they end');
  });
});
