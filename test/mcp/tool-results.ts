// What an MCP tool answered, as the tests of Baton's MCP server read it (test/cli/cli-mcp, test/serve/serve-mcp).
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The JSON a tool answered (its text content); fails the test on a tool error. */
export function json(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult;
  assert.equal(r.isError, undefined, `tool error: ${JSON.stringify(r.content)}`);
  return JSON.parse((r.content[0] as { text: string }).text) as Record<string, unknown>;
}

/** The text of a tool error; fails the test when the tool succeeded. */
export function errorText(result: unknown): string {
  const r = result as CallToolResult;
  assert.equal(r.isError, true, `expected a tool error, got ${JSON.stringify(r.content)}`);
  return (r.content[0] as { text: string }).text;
}
