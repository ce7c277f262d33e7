// The test MCP server (test-mcp-server.ts) over stdio: `node --import tsx test/mcp/test-mcp-server-stdio.ts`.
// `whoami` answers the environment variable CRM_USER.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { testMcpServer } from './test-mcp-server.js';

await testMcpServer(() => process.env.CRM_USER ?? 'nobody').connect(new StdioServerTransport());
