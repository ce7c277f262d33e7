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
  const found = findConfig(file ? path.dirname(path.resolve(file)) : process.cwd());
  let tools;
  try {
    tools = found ? mcpToolsFor(loadConfig(found)) : undefined;
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
  if (!tools) return async () => undefined;
  installMcpTools(tools);
  return async () => {
    installMcpTools(undefined);
    await tools.close();
  };
}
