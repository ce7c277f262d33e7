import type { SourceRange } from '@baton/protocol';

/**
 * An error of the runtime or the store with a stable `code` (e.g. `RUN_NOT_FOUND`, `STEP_TIMEOUT`,
 * `EXPR_TYPE`). Callers branch on the code, never on the message; the message is for people.
 */
export class BatonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly range?: SourceRange,
  ) {
    super(message);
    this.name = 'BatonError';
  }
}

/** The `{code, message}` of any thrown value (`INTERNAL` when it has no code). */
export function toRunError(error: unknown): { code: string; message: string } {
  if (error instanceof BatonError) return { code: error.code, message: error.message };
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' && 'message' in error) {
    return { code: error.code, message: String(error.message) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
