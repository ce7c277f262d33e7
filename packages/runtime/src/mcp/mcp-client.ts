// The MCP servers' tools for agents, with the MCP SDK's Client over stdio and streamable HTTP: its own bundle
// (out/mcp-client.mjs), loaded by load-mcp.ts the first time a step lists or calls an MCP tool.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaObject, JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { McpServerConfig } from '../config/baton-config.js';
import type { McpToolHints, McpToolInfo, McpTools } from '../agents/mcp-tools.js';

/** How long connecting to a server (start, `initialize`) may take, ms. */
export const MCP_CONNECT_TIMEOUT_MS = 30_000;
/** A tool call's own bound, ms: the step's timeout (its abort signal) is what bounds it in practice. */
const CALL_TIMEOUT_MS = 24 * 3600_000;

/** Where a server is, for messages: its program (never its arguments or environment) or its URL without credentials. */
export function describeServer(config: McpServerConfig): string {
  if ('command' in config) return config.command[0];
  try {
    const url = new URL(config.url);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.href;
  } catch {
    return 'its url';
  }
}

/**
 * `value` with each `${NAME}` replaced by the environment variable NAME.
 * @throws BatonError `MCP_UNAVAILABLE` naming the server, the field and the variable (never a value) when it is unset.
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv, server: string, field: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const found = env[name];
    if (found === undefined) throw new BatonError('MCP_UNAVAILABLE', `MCP server "${server}": ${field} names \${${name}}, which is not set in the environment`);
    return found;
  });
}

function expandAll(values: Record<string, string> | undefined, env: NodeJS.ProcessEnv, server: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) out[key] = expandEnv(value, env, server, `${field}.${key}`);
  return out;
}

/** A connected server: its client, and its tools once listed. */
interface Connection {
  client: Client;
  tools?: Promise<McpToolInfo[]>;
  closed: boolean;
}

/**
 * {@link McpTools} over the SDK's Client: one connection per server, opened when the server is first used (a stdio
 * server's process started then, with the SDK's default environment — PATH, HOME… — and its `env`; an HTTP server
 * with its `headers`), its tools listed once, each call made with the step's abort signal; a server that exits or
 * drops the connection is connected again at its next use. `${NAME}` in `env` and `headers` is read from `env` then.
 * Errors never carry an environment or header value.
 */
export class SdkMcpTools implements McpTools {
  private readonly connections = new Map<string, Promise<Connection>>();

  constructor(
    private readonly servers: Readonly<Record<string, McpServerConfig>>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async list(server: string, signal: AbortSignal): Promise<McpToolInfo[]> {
    const connection = await this.connection(server, signal);
    connection.tools ??= this.listAll(connection.client, signal);
    try {
      return await connection.tools;
    } catch (error) {
      connection.tools = undefined;
      throw this.failure(server, error, 'listing its tools');
    }
  }

  async call(server: string, tool: string, args: JsonValue, signal: AbortSignal): Promise<{ output: JsonValue; isError: boolean }> {
    const connection = await this.connection(server, signal);
    let result: CallToolResult;
    try {
      const argumentsObject = args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
      result = (await connection.client.callTool({ name: tool, arguments: argumentsObject }, undefined, { signal, timeout: CALL_TIMEOUT_MS })) as CallToolResult;
    } catch (error) {
      throw this.failure(server, error, `calling ${tool}`);
    }
    return { output: outputOf(result), isError: result.isError === true };
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((c) => c.then((connection) => connection.client.close()).catch(() => undefined)));
  }

  /** The server's connection, opened now when it has none (or its last one closed). */
  private connection(server: string, signal: AbortSignal): Promise<Connection> {
    const config = this.servers[server];
    if (!config) {
      const known = Object.keys(this.servers);
      return Promise.reject(new BatonError('MCP_UNKNOWN_SERVER', `no MCP server "${server}" in mcp.servers of baton.config.json${known.length ? `; the servers are ${known.join(', ')}` : ''}`));
    }
    let opened = this.connections.get(server);
    if (!opened) {
      opened = this.connect(server, config, signal);
      this.connections.set(server, opened);
      // a failed start is not kept: the next use tries again
      opened.catch(() => this.connections.delete(server));
    }
    return opened.then((c) => {
      if (!c.closed) return c;
      if (this.connections.get(server) === opened) this.connections.delete(server);
      return this.connection(server, signal);
    });
  }

  private async connect(server: string, config: McpServerConfig, signal: AbortSignal): Promise<Connection> {
    const transport =
      'command' in config
        ? new StdioClientTransport({ command: config.command[0], args: config.command.slice(1), env: { ...getDefaultEnvironment(), ...expandAll(config.env, this.env, server, 'env') }, ...(config.cwd ? { cwd: config.cwd } : {}), stderr: 'inherit' })
        : new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: expandAll(config.headers, this.env, server, 'headers') } });
    const client = new Client({ name: 'baton', version: '0.1.0' });
    const connection: Connection = { client, closed: false };
    client.onclose = () => {
      connection.closed = true;
    };
    try {
      await client.connect(transport, { signal, timeout: MCP_CONNECT_TIMEOUT_MS });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new BatonError('MCP_UNAVAILABLE', `MCP server "${server}" (${describeServer(config)}) ${'command' in config ? 'could not be started' : 'could not be reached'}: ${reason(error)}`);
    }
    return connection;
  }

  private async listAll(client: Client, signal: AbortSignal): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { signal, timeout: MCP_CONNECT_TIMEOUT_MS });
      for (const t of page.tools) {
        const hints = t.annotations ? hintsOf(t.annotations) : undefined;
        tools.push({ name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.inputSchema as JsonSchemaObject, ...(hints && Object.keys(hints).length > 0 ? { annotations: hints } : {}) });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  /** A failure of a request to `server` as a BatonError: `MCP_UNAVAILABLE` when the connection is gone, else `MCP_ERROR`. */
  private failure(server: string, error: unknown, doing: string): BatonError {
    if (error instanceof BatonError) return error;
    const config = this.servers[server];
    const gone = error instanceof McpError && error.code === ErrorCode.ConnectionClosed;
    if (gone) return new BatonError('MCP_UNAVAILABLE', `MCP server "${server}" (${describeServer(config)}) closed the connection while ${doing}: ${reason(error)}`);
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return new BatonError('MCP_UNAVAILABLE', `MCP server "${server}" did not answer in time while ${doing}`);
    return new BatonError('MCP_ERROR', `MCP server "${server}" refused ${doing}: ${reason(error)}`);
  }
}

/** An error's message, one line, without the SDK's `MCP error -32000:` prefix. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^MCP error -?\d+: /, '').split('\n')[0].slice(0, 300);
}

/**
 * What a tool call answered, as the tool's output: its `structuredContent` when it has one; else its text (the text
 * parts joined, read as JSON when the whole text is JSON); else its content parts as they are (images, resources).
 */
export function outputOf(result: CallToolResult): JsonValue {
  if (result.structuredContent !== undefined) return result.structuredContent as JsonValue;
  const content = result.content ?? [];
  if (content.length > 0 && content.every((c) => c.type === 'text')) {
    const text = content.map((c) => (c as { text: string }).text).join('\n');
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return content as unknown as JsonValue;
}

/** The bundle's entry (load-mcp.ts): MCP tools over `servers` (`mcp.servers` of baton.config.json, loaded). */
export function createMcpTools(servers: Readonly<Record<string, McpServerConfig>>, env: NodeJS.ProcessEnv = process.env): McpTools {
  return new SdkMcpTools(servers, env);
}

/** The behaviour hints an MCP server gave for a tool (its boolean `ToolAnnotations`; the title and others left out). */
function hintsOf(annotations: Record<string, unknown>): McpToolHints {
  const hints: McpToolHints = {};
  for (const key of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
    if (typeof annotations[key] === 'boolean') hints[key] = annotations[key];
  }
  return hints;
}
