// The MCP servers' tools (mcp.servers of baton.config.json) without the MCP SDK until a step uses one: a facade that
// loads out/mcp-client.mjs (mcp-client.ts) beside the caller's bundle on first use — `baton run` of a flow with no MCP
// tool loads none of it — and the process's installed tools, which the engine uses for runs given none.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { BatonConfig, McpServerConfig } from '../config/baton-config.js';
import type { McpToolInfo, McpTools } from '../agents/mcp-tools.js';

/** The client module from the sources, in a variable: esbuild leaves this `import()` alone. */
const CLIENT_SOURCE = './mcp-client.ts';

/** What load-mcp uses of the client bundle. */
interface McpClientModule {
  createMcpTools(servers: Readonly<Record<string, McpServerConfig>>, env?: NodeJS.ProcessEnv): McpTools;
}

/**
 * The MCP servers of `config` as {@link McpTools}, or undefined when it configures none. Nothing is loaded or started
 * now: the client bundle is imported at the first `list`/`call`, each server connected at its first use.
 * @param bundled where the client bundle would be (default: `mcp-client.mjs` beside this module's bundle).
 */
export function mcpToolsFor(config: Pick<BatonConfig, 'mcp'> | undefined, env: NodeJS.ProcessEnv = process.env, bundled = new URL('./mcp-client.mjs', import.meta.url)): McpTools | undefined {
  const servers = config?.mcp?.servers ?? {};
  if (Object.keys(servers).length === 0) return undefined;
  return new LazyMcpTools(servers, env, bundled);
}

/** {@link McpTools} that loads the client bundle on first use (see {@link mcpToolsFor}). */
class LazyMcpTools implements McpTools {
  private tools?: Promise<McpTools>;

  constructor(
    private readonly servers: Readonly<Record<string, McpServerConfig>>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly bundled: URL,
  ) {}

  async list(server: string, signal: AbortSignal): Promise<McpToolInfo[]> {
    return (await this.load(server)).list(server, signal);
  }

  async call(server: string, tool: string, args: JsonValue, signal: AbortSignal): Promise<{ output: JsonValue; isError: boolean }> {
    return (await this.load(server)).call(server, tool, args, signal);
  }

  async close(): Promise<void> {
    const tools = this.tools;
    this.tools = undefined;
    await tools?.then((t) => t.close()).catch(() => undefined);
  }

  private load(server: string): Promise<McpTools> {
    if (!Object.hasOwn(this.servers, server)) {
      const known = Object.keys(this.servers);
      return Promise.reject(new BatonError('MCP_UNKNOWN_SERVER', `no MCP server "${server}" in mcp.servers of baton.config.json; the servers are ${known.join(', ')}`));
    }
    this.tools ??= (async () => {
      const found = [this.bundled, new URL(CLIENT_SOURCE, import.meta.url)].find((u) => u.protocol === 'file:' && existsSync(fileURLToPath(u)));
      if (!found) throw new BatonError('MCP_UNAVAILABLE', `MCP servers are configured, but the MCP client (${fileURLToPath(this.bundled)}) is missing: node esbuild.mjs builds it`);
      return ((await import(found.href)) as McpClientModule).createMcpTools(this.servers, this.env);
    })();
    return this.tools;
  }
}

let installed: McpTools | undefined;

/**
 * Makes `tools` the process's MCP tools: the engine gives them to every run started or continued without its own
 * (`RunOptions.mcp`) — the CLI's commands, `baton serve`'s executor thread, a worker, `baton mcp` install the servers
 * of their `baton.config.json`. `undefined` uninstalls. The installer closes them.
 */
export function installMcpTools(tools: McpTools | undefined): void {
  installed = tools;
}

/** The process's MCP tools (see {@link installMcpTools}), if any. */
export function installedMcpTools(): McpTools | undefined {
  return installed;
}
