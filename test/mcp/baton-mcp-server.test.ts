// The Baton MCP server against a host whose runs execute elsewhere (a cluster's workers: `done` settles at once),
// through the SDK's in-memory transport.
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FlowDef, RunRecord, RunStatus } from '../../packages/protocol/src/index.js';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { createBatonMcpServer, type BatonMcpHost } from '../../packages/cli/src/mcp/baton-mcp-server.js';

const range = { file: 'f.flow', start: { line: 1, character: 0 }, end: { line: 1, character: 1 } };
const FLOW = { name: 'Ship', inputs: [], outputs: [], triggers: [], range } as unknown as FlowDef;

describe('the Baton MCP server: wait for a run executed elsewhere', () => {
  it('reads the run again until it leaves queued/running, though its done settled at once', async () => {
    const statuses: RunStatus[] = ['queued', 'queued', 'running', 'succeeded'];
    let reads = 0;
    const run = (): RunRecord => ({ id: 'R1', flow: 'Ship', file: null, status: statuses[Math.min(reads++, statuses.length - 1)], startedAt: '2026-12-05T00:00:00.000Z', finishedAt: null, inputs: {}, outputs: { ok: true }, error: null, waitingOn: [], cancelRequested: false });
    const host: BatonMcpHost = {
      flows: [{ flow: FLOW, file: 'f.flow' }],
      store: { getRun: async () => run() } as unknown as RunStoreApi,
      allow: () => undefined,
      start: async () => ({ runId: 'R1', done: Promise.resolve() }),
      decide: async () => ({ done: Promise.resolve() }),
      approvals: async () => [],
      cancel: async () => 'cancelled',
    };
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createBatonMcpServer(host).connect(serverSide);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(clientSide);
    const result = (await client.callTool({ name: 'start_Ship', arguments: { wait: true } })) as CallToolResult;
    const answer = JSON.parse((result.content[0] as { text: string }).text) as { status: string; outputs: unknown };
    assert.equal(answer.status, 'succeeded');
    assert.deepEqual(answer.outputs, { ok: true });
    assert.equal(reads, 4);
    await client.close();
  });
});
