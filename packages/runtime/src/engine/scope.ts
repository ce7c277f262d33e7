import type { JsonValue } from '@baton/protocol';
import { makeRecord } from '../expr/values.js';

/**
 * What a step's name reads in expressions: `{ output, status, error, duration, tokens, attempts }`.
 * Approvals read `{ output: { decision, by, comment }, status }`. A step that has not run reads as
 * status `skipped` with a `null` output.
 */
export type StepView = Record<string, unknown>;

/** The view of a step that did not run. */
export function skippedView(): StepView {
  return makeRecord([
    ['output', null],
    ['status', 'skipped'],
    ['error', null],
    ['duration', 0],
    ['tokens', 0],
    ['attempts', 0],
  ]);
}

/** A step view from its parts. */
export function stepView(fields: { output?: JsonValue; status: string; error?: { code: string; message: string } | null; durationMs?: number; tokens?: number; attempts?: number }): StepView {
  return makeRecord([
    ['output', fields.output ?? null],
    ['status', fields.status],
    ['error', fields.error ? makeRecord([['code', fields.error.code], ['message', fields.error.message]]) : null],
    ['duration', fields.durationMs ?? 0],
    ['tokens', fields.tokens ?? 0],
    ['attempts', fields.attempts ?? 0],
  ]);
}

/**
 * Names visible to expressions: steps, approvals, `let` values and loop variables. A `foreach` or
 * `repeat` iteration gets a child scope; other blocks share their parent's.
 */
export class Scope {
  private readonly vars = new Map<string, unknown>();

  constructor(readonly parent?: Scope) {}

  /** The value of `name` here or in a parent scope; `undefined` when not set anywhere. */
  get(name: string): unknown {
    if (this.vars.has(name)) return this.vars.get(name);
    return this.parent?.get(name);
  }

  /** The value of `name` in this scope only. */
  getLocal(name: string): unknown {
    return this.vars.get(name);
  }

  set(name: string, value: unknown): void {
    this.vars.set(name, value);
  }

  /**
   * Changes `name` in the scope that holds it (a `var` declared in this block or one around it): a loop
   * iteration's `set` of a var of the flow changes the flow's, so the next iteration reads it.
   * @returns false when no scope holds `name`.
   */
  assign(name: string, value: unknown): boolean {
    if (this.vars.has(name)) {
      this.vars.set(name, value);
      return true;
    }
    return this.parent?.assign(name, value) ?? false;
  }
}

/** What a declared step that has no value reads as: `[]` for a loop's list (`lists`), else a skipped step. */
export function notRun(lists: Set<string>, name: string): StepView | never[] {
  return lists.has(name) ? [] : skippedView();
}
