import type { SourceRange } from '@baton/protocol';

/** The brand every {@link BatonError} carries (a registered symbol: the same in every copy of the runtime). */
const BATON_ERROR = Symbol.for('baton.BatonError');

/**
 * An error of the runtime or the store with a stable `code` (e.g. `RUN_NOT_FOUND`, `STEP_TIMEOUT`,
 * `EXPR_TYPE`). Callers branch on the code, never on the message; the message is for people.
 *
 * `value instanceof BatonError` holds for a BatonError of any copy of the runtime: the cluster package is its own
 * bundle (out/cluster.mjs, loaded by the CLI only for a `postgres://` store) with its own copy of this class,
 * and its errors (`RUN_NOT_FOUND`, `LEASE_LOST`, `STORE_UNREACHABLE`, …) must be recognised by the CLI's.
 */
export class BatonError extends Error {
  /** `instanceof BatonError` tests the brand; for subclasses, the prototype chain as usual. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== BatonError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BATON_ERROR]?: unknown })[BATON_ERROR] === true;
  }

  constructor(
    readonly code: string,
    message: string,
    readonly range?: SourceRange,
  ) {
    super(message);
    this.name = 'BatonError';
    Object.defineProperty(this, BATON_ERROR, { value: true });
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
