import { runCli } from './program.js';
import { toCliError } from './backend.js';
import { CliError, errorMessage } from './errors.js';
import { processOutput } from './output/terminal.js';

/**
 * The `baton` process entry: the only place that sets the process exit code. A user error prints one
 * line (`baton: …`) and never a stack trace; an unexpected error prints its message and asks for a
 * report, with the stack only when BATON_DEBUG is set.
 */
async function main(): Promise<void> {
  const output = processOutput();
  try {
    process.exitCode = await runCli(process.argv.slice(2), output);
  } catch (thrown) {
    // a store error from a command's cleanup (closing the store) is the user's to know, not a bug
    const error = toCliError(thrown);
    if (error instanceof CliError) {
      output.err(`baton: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      output.err(`baton: internal error: ${errorMessage(error)}`);
      if (process.env.BATON_DEBUG) output.err(String((error as Error)?.stack ?? ''));
      else output.err('baton: this is a bug in Baton; run again with BATON_DEBUG=1 to see the details.');
      process.exitCode = 2;
    }
  }
}

void main();
