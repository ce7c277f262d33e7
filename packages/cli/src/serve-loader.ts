// `baton serve` is its own bundle (out/serve.mjs): the HTTP server, its routes, the console's live updates and
// Prometheus' client are loaded only by the command that serves — `baton run`, the editor's CLI calls and the .vsix
// (an allow-list, .vscodeignore) carry none of it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';
import type { Output } from './output/terminal.js';
import type { ServeCommandOptions } from './commands/serve.js';

/** The command's module from the sources, in a variable: esbuild leaves an `import()` of it alone (not inlined). */
const SERVE_SOURCE = './commands/serve.js';

/** What the CLI uses of the serve bundle. */
interface ServeModule {
  serveCommand(folder: string | undefined, opts: ServeCommandOptions, output: Output): Promise<number>;
}

/**
 * Runs `baton serve` from out/serve.mjs beside this bundle (built by esbuild.mjs), or — running from the sources under
 * tsx — from packages/cli/src/commands/serve.ts. The bundle has its own copy of the CLI's error classes: a
 * `CliError`/`UsageError` it throws is given back as this bundle's, with its message and exit code, so `main` reports
 * it as one line.
 * @param bundled where the bundled command would be (default: `serve.mjs` beside this module).
 * @throws CliError (exit 2) when this build has no `baton serve` (out/serve.mjs missing beside out/cli.mjs).
 */
export async function serveCommandLazily(folder: string | undefined, opts: ServeCommandOptions, output: Output, bundled = new URL('./serve.mjs', import.meta.url)): Promise<number> {
  let module: ServeModule;
  if (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled))) module = (await import(bundled.href)) as ServeModule;
  else {
    try {
      module = (await import(SERVE_SOURCE)) as ServeModule;
    } catch {
      throw new CliError(`baton serve is not part of this build: ${fileURLToPath(bundled)} is missing (node esbuild.mjs builds it)`, 2);
    }
  }
  try {
    return await module.serveCommand(folder, opts, output);
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
