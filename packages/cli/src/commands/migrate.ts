import { migrateRun, type MigrationOutcome, type MigrationProblem } from '@baton/runtime';
import { expandFlowPaths } from '../files.js';
import { displayPath, type Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import type { WorkflowDefinition } from '@baton/protocol';
import { documentsOf, loadFlows, openStore, toCliError, withSources } from '../backend.js';
import { CliError, UsageError } from '../errors.js';

/** Options of `baton runs migrate`. */
export interface MigrateCommandOptions {
  to?: string;
  flow?: string;
  dryRun?: boolean;
  json?: boolean;
  store?: string;
}

/**
 * `baton runs migrate <id> --to <file>`: moves a waiting or interrupted run to the definition in `file` when that is
 * proved compatible (see `migrateRun` in the runtime), else names each difference as
 * `file:line:col - MIGRATION <code>: message`.
 * @returns 0 migrated (with `--dry-run`: compatible), 1 refused; usage problems (no `--to`, an unreadable file, an
 *   unknown run or flow, a run that is not waiting or interrupted) throw {@link UsageError} (2).
 */
export async function migrateCommand(id: string, opts: MigrateCommandOptions, output: Output): Promise<number> {
  if (!opts.to) throw new UsageError('runs migrate needs --to <file.flow>: the new definition');
  const [file] = expandFlowPaths([opts.to]);
  const target = await compileMigrationTarget(file);
  if ('problems' in target) {
    report({ runId: id, flow: opts.flow ?? '', from: '', to: '', renamed: {}, problems: target.problems, migrated: false }, opts, output);
    return 1;
  }
  const definition = target.definition;
  const store = await openStore(resolveStorePath(opts.store));
  try {
    // BATON_CRASH_AT=migrate: the crash test kills the process inside the store's transaction, before its commit
    const beforeCommit = process.env.BATON_CRASH_AT === 'migrate' ? () => process.kill(process.pid, 'SIGKILL') : undefined;
    const outcome = await migrateRun({ store, runId: id, definition, flow: opts.flow, file, dryRun: opts.dryRun, beforeCommit });
    report(outcome, opts, output);
    return outcome.problems.length > 0 ? 1 : 0;
  } catch (error) {
    throw toCliError(migrationError(error));
  } finally {
    await store.close();
  }
}

/**
 * Checks and compiles the file a run is to move to (`file`: an absolute path of a readable `.flow` file), with what
 * it imports.
 * @returns its definition, or its checker errors as `checker-errors` problems (the new definition must check clean).
 * @throws UsageError when the file cannot be read.
 */
export async function compileMigrationTarget(file: string): Promise<{ definition: WorkflowDefinition } | { problems: MigrationProblem[] }> {
  const loaded = await loadFlows([file]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    return {
      problems: errors.map((d) => ({
        code: 'checker-errors',
        message: `${d.message} (${d.code}); the new definition must check clean`,
        range: { file: d.file, start: { line: d.line, column: d.column }, end: { line: d.endLine, column: d.endColumn } },
      })),
    };
  }
  const documents = documentsOf(loaded, file);
  return { definition: withSources(loaded.services.Baton.ir.WorkflowBuilder.build(documents), documents) };
}

/** The runtime's migration refusals that are the caller's mistake (2) or a race to try again (1). */
function migrationError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'RUN_NOT_MIGRATABLE' || code === 'MIGRATION_UNSUPPORTED') return new UsageError((error as Error).message);
  if (code === 'RUN_CHANGED' || code === 'RUN_BUSY') return new CliError((error as Error).message, 1);
  return error;
}

function report(outcome: MigrationOutcome, opts: MigrateCommandOptions, output: Output): void {
  if (opts.json) {
    output.out(JSON.stringify({ ...outcome, dryRun: opts.dryRun === true, compatible: outcome.problems.length === 0 }, null, 2));
    return;
  }
  const c = output.colors;
  for (const p of outcome.problems) output.out(formatProblem(p, output));
  if (outcome.problems.length > 0) {
    output.out(c.red(`✗ run ${outcome.runId} cannot move to ${opts.to}: ${outcome.problems.length} difference${outcome.problems.length === 1 ? '' : 's'}; it stays on definition ${outcome.from.slice(0, 8) || 'as it is'}`));
    return;
  }
  const renamed = Object.entries(outcome.renamed);
  for (const [from, to] of renamed) output.out(c.dim(`  ${from} → ${to}`));
  const what = `definition ${outcome.to.slice(0, 8)} (from ${outcome.from.slice(0, 8)}), flow ${outcome.flow}${renamed.length ? `, ${renamed.length} node id${renamed.length === 1 ? '' : 's'} renamed` : ''}`;
  if (outcome.migrated) output.out(c.green(`✓ run ${outcome.runId} migrated to ${what}; it continues there (baton resume / approve / send as before)`));
  else output.out(c.green(`✓ run ${outcome.runId} can migrate to ${what} (dry run: nothing changed)`));
}

/** `file:line:col - MIGRATION <code>: message` (no place: `run <id> - MIGRATION …`). */
export function formatProblem(p: MigrationProblem, output: Pick<Output, 'colors'>): string {
  const c = output.colors;
  const where = p.range ? `${c.cyan(displayPath(p.range.file))}:${p.range.start.line}:${p.range.start.column}` : 'run';
  return `${where} - ${c.red('MIGRATION')} ${c.dim(p.code)}: ${p.message}`;
}
