import path from 'node:path';
import { BatonError, findConfig, installMcpTools, loadConfig, mcpToolsFor } from '@baton/runtime';
import { UsageError } from './errors.js';

/**
 * Installs the MCP servers of the `baton.config.json` nearest `file` (a .flow file or a file in the folder; else the
 * working folder) as the process's MCP tools (`installMcpTools`): the runs this process executes call them for their
 * agents' `mcp.<server>.<tool>` tools. Nothing is started now (each server at its first use).
 * @returns what closes them (the servers' connections, their processes) and uninstalls them; never throws.
 * @throws UsageError (exit 2) for a configuration that cannot be read or does not match the schema.
 */
export function useMcpServers(file: string | undefined): () => Promise<void> {
  const tools = mcpServersOf(file);
  if (!tools) return async () => undefined;
  installMcpTools(tools);
  return async () => {
    installMcpTools(undefined);
    await tools.close();
  };
}

/**
 * The MCP servers of the `baton.config.json` nearest `file` (see {@link useMcpServers}), not installed: a command that
 * records something before it continues a run (`approve`, `send`) checks the configuration first, so that a wrong one
 * records nothing.
 * @throws UsageError (exit 2) for a configuration that cannot be read or does not match the schema.
 */
export function mcpServersOf(file: string | undefined): ReturnType<typeof mcpToolsFor> {
  const found = findConfig(file ? path.dirname(path.resolve(file)) : process.cwd());
  try {
    return found ? mcpToolsFor(loadConfig(found)) : undefined;
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}
