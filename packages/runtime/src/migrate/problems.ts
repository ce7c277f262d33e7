import type { SourceRange } from '@baton/protocol';

/**
 * Why a run may not move to a new definition (see migrate-run.ts). Codes:
 * - `checker-errors`: the new file does not check clean;
 * - `step-missing`: a step, approval, named wait or var the run finished has no statement of that name and kind
 *   in the new flow;
 * - `output-type-changed`: a stored step output, event data or decision no longer fits the new types (the field
 *   is named);
 * - `input-missing`: the new flow needs an input the run was not started with; `input-type-changed`: a stored
 *   input no longer fits its new type;
 * - `path-diverged`: replaying the log on the new definition takes another branch (the `if`/`switch` and the
 *   finished step it no longer reaches are named), or would run something new before the run's current waits;
 * - `wait-missing`: the replay does not stop at a wait the run is waiting at now.
 */
export type MigrationProblemCode =
  | 'checker-errors'
  | 'step-missing'
  | 'output-type-changed'
  | 'input-missing'
  | 'input-type-changed'
  | 'path-diverged'
  | 'wait-missing';

/** One reason a migration is refused: a code, a message for people, and where (in the new file when it exists there, else the old). */
export interface MigrationProblem {
  code: MigrationProblemCode;
  message: string;
  range?: SourceRange;
}
