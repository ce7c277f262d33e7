import type { JsonSchemaObject, JsonValue } from '@baton/protocol';

/** One tool an MCP server lists (`tools/list`): its name, description, arguments' JSON Schema and hints. */
export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: JsonSchemaObject;
  /** The server's hints (MCP `ToolAnnotations`) it gave; an absent one has the spec's default (see {@link McpToolHints}). */
  annotations?: McpToolHints;
}

/**
 * An MCP tool's behaviour hints as its server describes it (the spec's `ToolAnnotations`). Absent, each has the
 * spec's default, which assumes the worst: `readOnlyHint` false (it may change its environment), `destructiveHint`
 * true (it may destroy or overwrite things), `idempotentHint` false (a second call may do its work again),
 * `openWorldHint` true. The tool loop reads them to decide whether a call in flight when the run stopped may be made
 * again (engine/tool-calls.ts, `repeatProblem`).
 */
export interface McpToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * The MCP servers' tools as a step's tool loop (engine/tool-loop.ts) uses them: the servers of `mcp.servers` in
 * baton.config.json, by name. The runtime defines the seam and never loads an MCP client itself; the CLI and
 * `baton serve` inject one (RunOptions.mcp) built on `@modelcontextprotocol/sdk` (its own lazily loaded bundle),
 * which connects to a server when it is first used and closes the connections at `close()`.
 */
export interface McpTools {
  /**
   * The tools `server` offers (`tools/list`).
   * @throws BatonError `MCP_UNKNOWN_SERVER` (no such server configured), or the connection's error.
   */
  list(server: string, signal: AbortSignal): Promise<McpToolInfo[]>;
  /**
   * Calls `tool` of `server` (`tools/call`) with `args`. `isError`: the tool reported a failure (its content is
   * `output`), which the loop gives to the model as the call's error.
   * @throws BatonError when the call could not be made (connection, protocol); the loop gives it to the model too.
   */
  call(server: string, tool: string, args: JsonValue, signal: AbortSignal): Promise<{ output: JsonValue; isError: boolean }>;
  /** Closes every connection opened. Never throws. */
  close(): Promise<void>;
}
