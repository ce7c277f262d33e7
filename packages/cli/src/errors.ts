import { BatonError } from '@baton/runtime/start-up';

/**
 * Errors the CLI reports as one line on stderr, without a stack trace, and the exit code they map to.
 * Only `main.ts` turns them into `process.exit`.
 */
export class CliError extends Error {
  /**
   * @param message one line saying where and what, e.g. `examples/x.flow: no flow named "Foo"`.
   * @param exitCode 1 for a failed run or test, 2 for bad usage, an unreadable file or checker errors.
   */
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad usage: a wrong flag, a missing argument, a file that cannot be read. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Reads the `code` of an error from the runtime or store (`RUN_NOT_FOUND`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return undefined;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps a runtime or store error to a CLI error: unknown ids, finished runs, bad decisions are usage (2). */
export function toCliError(error: unknown): unknown {
  if (error instanceof BatonError) {
    switch (error.code) {
      case 'RUN_NOT_FOUND':
      case 'RUN_ID_AMBIGUOUS':
      case 'RUN_FINISHED':
      case 'TASK_NOT_WAITING':
      case 'EVENT_NOT_AWAITED':
      case 'EVENT_DATA_INVALID':
      case 'DECISION_INVALID':
      case 'INPUT_INVALID':
      case 'UNKNOWN_FLOW':
      case 'STORE_BUSY':
      case 'STORE_NOT_A_DATABASE':
      case 'STORE_UNREADABLE':
      case 'STORE_TOO_NEW':
      case 'RUN_NOT_FAILED':
      case 'RUN_COMPENSATED':
      case 'STORE_UNREACHABLE':
        return new UsageError(error.message);
      case 'EVENT_BUFFER_FULL':
        // not the sender's mistake: the run holds as many as it may; try again once it took some
        return new CliError(error.message, 1);
    }
  }
  return error;
}
