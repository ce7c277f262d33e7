// An MCP server for the tests of agents' MCP tools, built with the SDK's McpServer: in-process over streamable HTTP
// (startHttpMcpServer), or as a process over stdio (test-mcp-server-stdio.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * The test server's tools: `lookup {order}` → `{order, status: "shipped"}` (text JSON), `fail` → an error result,
 * `slow {ms}` → answers after `ms`, `die` → the process exits (stdio), `whoami` → what `identity()` says (the
 * Authorization header over HTTP, an environment variable over stdio). `calls` counts each tool's calls.
 */
export function testMcpServer(identity: () => string, calls: Record<string, number> = {}): McpServer {
  const server = new McpServer({ name: 'crm', version: '1.0.0' });
  const count = (name: string): void => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  server.registerTool('lookup', { description: 'Looks an order up.', inputSchema: { order: z.number() }, annotations: { idempotentHint: true } }, ({ order }) => {
    count('lookup');
    return { content: [{ type: 'text', text: JSON.stringify({ order, status: 'shipped' }) }] };
  });
  server.registerTool('fail', { description: 'Always fails.' }, () => {
    count('fail');
    return { content: [{ type: 'text', text: 'the CRM is down' }], isError: true };
  });
  server.registerTool('slow', { description: 'Answers late.', inputSchema: { ms: z.number() } }, async ({ ms }) => {
    count('slow');
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: 'late' }] };
  });
  server.registerTool('die', { description: 'Ends the server process.', annotations: { destructiveHint: true } }, () => {
    count('die');
    process.exit(3);
  });
  server.registerTool('whoami', { description: 'Who the server thinks is calling.', annotations: { title: 'Who am I', readOnlyHint: true, openWorldHint: false } }, () => {
    count('whoami');
    return { content: [{ type: 'text', text: identity() }] };
  });
  return server;
}

/** The test server over streamable HTTP (stateless) on a free port of 127.0.0.1; `close` stops it. */
export async function startHttpMcpServer(): Promise<{ url: string; calls: Record<string, number>; close(): Promise<void> }> {
  const calls: Record<string, number> = {};
  const httpServer = http.createServer((req, res) => {
    const server = testMcpServer(() => req.headers.authorization ?? 'nobody', calls);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
