// The Baton MCP server over MCP's streamable HTTP transport, stateless (`baton serve`'s `POST /mcp`).
import type http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createBatonMcpServer, type BatonMcpHost } from './baton-mcp-server.js';

/**
 * Answers one MCP request (`body`: its JSON-RPC message or batch, already read) with a server made for `host` — no
 * session (each request stands alone: `initialize`, `tools/list`, `tools/call` … each a POST), JSON answers rather
 * than an SSE stream. The server and its transport are closed when the answer is done (or the client went away).
 */
export async function answerMcpOverHttp(host: BatonMcpHost, req: http.IncomingMessage, res: http.ServerResponse, body: unknown): Promise<void> {
  const server = createBatonMcpServer(host);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}
