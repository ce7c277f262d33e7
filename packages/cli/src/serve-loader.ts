// `baton serve` and `baton mcp` are bundles of their own (out/serve.mjs, out/mcp.mjs): the HTTP server, its routes,
// the console's live updates, Prometheus' client and the MCP SDK are loaded only by the command that needs them —
// `baton run`, the editor's CLI calls and the .vsix (an allow-list, .vscodeignore) carry none of it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';
import type { Output } from './output/terminal.js';
import type { ServeCommandOptions } from './commands/serve.js';
import type { McpCommandOptions } from './commands/mcp.js';

/** The commands' modules from the sources, in variables: esbuild leaves an `import()` of them alone (not inlined). */
const SERVE_SOURCE = './commands/serve.js';
const MCP_SOURCE = './mcp/mcp-bundle.js';

/** What the CLI uses of the serve bundle. */
interface ServeModule {
  serveCommand(folder: string | undefined, opts: ServeCommandOptions, output: Output): Promise<number>;
}

/** What the CLI uses of the MCP bundle. */
interface McpModule {
  mcpCommand(folder: string | undefined, opts: McpCommandOptions, output: Output): Promise<number>;
}

/**
 * Imports a command's bundle beside this one (built by esbuild.mjs), or — running from the sources under tsx — its
 * module `source`.
 * @throws CliError (exit 2) when this build has no such bundle.
 */
async function importCommand<T>(bundled: URL, source: string, command: string): Promise<T> {
  if (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled))) return (await import(bundled.href)) as T;
  try {
    return (await import(source)) as T;
  } catch {
    throw new CliError(`${command} is not part of this build: ${fileURLToPath(bundled)} is missing (node esbuild.mjs builds it)`, 2);
  }
}

/**
 * Runs `baton serve` from out/serve.mjs beside this bundle, or from packages/cli/src/commands/serve.ts under tsx. The
 * bundle has its own copy of the CLI's error classes: a `CliError`/`UsageError` it throws is given back as this
 * bundle's, with its message and exit code, so `main` reports it as one line.
 * @param bundled where the bundled command would be (default: `serve.mjs` beside this module).
 * @throws CliError (exit 2) when this build has no `baton serve` (out/serve.mjs missing beside out/cli.mjs).
 */
export async function serveCommandLazily(folder: string | undefined, opts: ServeCommandOptions, output: Output, bundled = new URL('./serve.mjs', import.meta.url)): Promise<number> {
  const module = await importCommand<ServeModule>(bundled, SERVE_SOURCE, 'baton serve');
  try {
    return await module.serveCommand(folder, opts, output);
  } catch (error) {
    throw asCliError(error);
  }
}

/**
 * Runs `baton mcp` from out/mcp.mjs beside this bundle (the MCP SDK is in it), or from packages/cli/src/mcp/mcp-bundle.ts
 * under tsx; its errors as for {@link serveCommandLazily}.
 * @throws CliError (exit 2) when this build has no `baton mcp`.
 */
export async function mcpCommandLazily(folder: string | undefined, opts: McpCommandOptions, output: Output, bundled = new URL('./mcp.mjs', import.meta.url)): Promise<number> {
  const module = await importCommand<McpModule>(bundled, MCP_SOURCE, 'baton mcp');
  try {
    return await module.mcpCommand(folder, opts, output);
  } catch (error) {
    throw asCliError(error);
  }
}

/** A `CliError` of another bundle's copy of errors.ts as this one's; anything else unchanged. */
function asCliError(error: unknown): unknown {
  if (error instanceof CliError || !(error instanceof Error)) return error;
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  if ((error.name === 'CliError' || error.name === 'UsageError') && (exitCode === 1 || exitCode === 2)) return new CliError(error.message, exitCode);
  return error;
}
