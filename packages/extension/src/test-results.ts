/**
 * The Test Explorer's pure logic (no `vscode`, tested in plain mocha): the `baton test` command line for a
 * set of tests, and reading its `--json` answer into one outcome per requested test.
 */
import type { SourceRange } from '@baton/protocol';
import type { TestResult } from '@baton/runtime';
import type { CliProcessResult } from './cli-process.js';

/** One element of `baton test --json`'s array (docs/cli.md): the runtime's result plus `file` and `line`. */
export type TestReport = TestResult & { file: string; line: number };

/** A range as the editor counts it: lines and characters from 0, end exclusive. */
export interface EditorRange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

/** What became of one requested test. Durations in ms. */
export type TestOutcome =
  | { kind: 'passed'; durationMs: number }
  /** `location`: the failing expectation (else the test block), for the message "on the line". */
  | { kind: 'failed'; durationMs: number; message: string; location?: EditorRange }
  /** The test could not run (checker errors in the file, a crash): the message says why. */
  | { kind: 'errored'; message: string }
  | { kind: 'cancelled' };

/**
 * The arguments of `baton test` running exactly `names` of `file`: `['test', file, '--test', n1, …, '--json']`.
 * With no names, every test of the file.
 */
export function testCommandArgs(file: string, names: readonly string[]): string[] {
  return ['test', file, ...names.flatMap((name) => ['--test', name]), '--json'];
}

/** A 1-based, end-exclusive {@link SourceRange} (the CLI's) as an {@link EditorRange}. */
export function toEditorRange(range: SourceRange): EditorRange {
  return { startLine: range.start.line - 1, startCharacter: range.start.column - 1, endLine: range.end.line - 1, endCharacter: range.end.column - 1 };
}

/**
 * Reads the CLI's answer into one outcome per requested name.
 * - cancelled → every test `cancelled`;
 * - exit 0 or 1 with a JSON array → each reported test `passed` or `failed` (the message and location of
 *   its failing expectation); a requested test missing from the array `errored`;
 * - anything else (exit 2: checker errors or bad usage; a crash) → every test `errored` with the CLI's
 *   last stderr lines (the checker's errors name the file, line and code).
 */
export function outcomesOf(result: CliProcessResult, names: readonly string[]): Map<string, TestOutcome> {
  const outcomes = new Map<string, TestOutcome>();
  const all = (outcome: TestOutcome): Map<string, TestOutcome> => {
    for (const name of names) outcomes.set(name, outcome);
    return outcomes;
  };
  if (result.cancelled) return all({ kind: 'cancelled' });
  let reports: TestReport[] | undefined;
  if (result.exitCode === 0 || result.exitCode === 1) {
    try {
      const parsed: unknown = JSON.parse(result.stdout);
      if (Array.isArray(parsed)) reports = parsed as TestReport[];
    } catch {
      reports = undefined;
    }
  }
  if (!reports) {
    const why = result.stderr.trim() || result.stdout.trim() || `baton test exited with code ${result.exitCode}`;
    return all({ kind: 'errored', message: why.split('\n').slice(-20).join('\n') });
  }
  for (const name of names) {
    const report = reports.find((r) => r.name === name);
    if (!report) outcomes.set(name, { kind: 'errored', message: `baton test did not report "${name}"` });
    else if (report.passed) outcomes.set(name, { kind: 'passed', durationMs: report.durationMs });
    else {
      const range = report.failedExpectation?.range ?? report.range;
      outcomes.set(name, { kind: 'failed', durationMs: report.durationMs, message: report.message ?? 'failed', location: range ? toEditorRange(range) : undefined });
    }
  }
  return outcomes;
}
