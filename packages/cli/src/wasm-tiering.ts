import { setFlagsFromString } from 'node:v8';

/** Commands that run for long — a server, a worker, an MCP server: their SQLite is worth V8's optimising compiler. */
const LONG_RUNNING = new Set(['serve', 'worker', 'mcp']);

/**
 * The V8 flag a `baton` process of these arguments sets before anything loads the SQLite WebAssembly module
 * (node-sqlite3-wasm, 1.3 MB): `--liftoff-only` for every command but {@link LONG_RUNNING}'s, else none.
 *
 * V8 compiles a WebAssembly module with its baseline compiler (Liftoff) and then again, on background threads, with
 * its optimising one (TurboFan). A short command — `baton run`, `check`, `runs list`, `approve` — is over before that
 * second compilation is, and Node, at exit, waits for the background tasks to finish: 0.3–0.5 s after the last line
 * of output on this project's 2-core machine (`baton runs list`: 0.38 s to its output, exit at 0.73 s), and the
 * compilation competes with the command for the cores meanwhile. With Liftoff only, the process exits right after its
 * output; a 1,000-step `baton run` is no slower (measured: bench/issue-15.md, "Whole-process run").
 * @param argv the arguments after `node cli.mjs` (`process.argv.slice(2)`); the command is the first not starting with `-`.
 */
export function wasmTieringFlag(argv: readonly string[]): '--liftoff-only' | undefined {
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && LONG_RUNNING.has(command) ? undefined : '--liftoff-only';
}

/** Sets {@link wasmTieringFlag}'s flag for this process (imported first by the CLI's entry, main.ts). */
export function chooseWasmTiering(argv: readonly string[] = process.argv.slice(2)): void {
  const flag = wasmTieringFlag(argv);
  if (flag) setFlagsFromString(flag);
}
