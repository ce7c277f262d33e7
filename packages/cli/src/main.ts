// first: the V8 flag for the SQLite WebAssembly module must be set before any import below loads it
import './wasm-tiering-init.js';
import { runCli } from './program.js';
import { CliError, toCliError } from './errors.js';
import { failActiveRuns, internalErrorLine } from './internal-error.js';
import { processOutput, type Output } from './output/terminal.js';

/**
 * Reports an error that is a bug in Baton: one line (`baton: internal error: <message> (at <source:line>)`),
 * then how to see more; the stack only with BATON_DEBUG. Never the bundle's source.
 */
function reportInternal(output: Output, error: unknown): void {
  output.err(`baton: ${internalErrorLine(error)}`);
  if (process.env.BATON_DEBUG) output.err(String((error as Error)?.stack ?? ''));
  else output.err('baton: this is a bug in Baton; run again with BATON_DEBUG=1 to see the details.');
}

/**
 * The `baton` process entry: the only place that sets the process exit code. A user error prints one
 * line (`baton: …`) and never a stack trace; an unexpected error — thrown by a command or uncaught anywhere —
 * prints one line with its message and where it was thrown, marks the runs under way failed, and asks for a
 * report, with the stack only when BATON_DEBUG is set.
 */
async function main(): Promise<void> {
  const output = processOutput();
  // An error thrown outside any awaited work (a callback, an event) would otherwise make Node print the
  // bundle's source line and a stack: report it like any internal error, fail the runs under way, exit 2.
  // The runs are marked before the process exits; an error thrown meanwhile (the first one is being handled) is
  // not reported again.
  let crashing = false;
  const crash = (error: unknown): void => {
    if (crashing) return;
    crashing = true;
    reportInternal(output, error);
    void failActiveRuns(error).finally(() => process.exit(2));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    process.exitCode = await runCli(process.argv.slice(2), output);
  } catch (thrown) {
    // a store error from a command's cleanup (closing the store) is the user's to know, not a bug
    const error = toCliError(thrown);
    if (error instanceof CliError) {
      output.err(`baton: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      reportInternal(output, error);
      await failActiveRuns(error);
      process.exitCode = 2;
    }
  }
}

void main();
