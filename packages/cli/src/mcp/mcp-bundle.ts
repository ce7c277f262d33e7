// The MCP bundle (out/mcp.mjs, built by esbuild.mjs): `baton mcp` (stdio) and `baton serve`'s `POST /mcp`, with the
// MCP SDK — loaded by the command that needs it (serve-loader.ts; serve/mcp-route.ts), never by `baton run`.
export { mcpCommand } from '../commands/mcp.js';
export { answerMcpOverHttp } from './mcp-http.js';
