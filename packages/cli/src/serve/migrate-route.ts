// `POST /runs/:id/migrate { file, flow?, dryRun? }` of `baton serve`: `baton runs migrate` over HTTP, for the caller's
// tenant's runs and the served folder's files.
import { BatonError, migrateRun, type MigrationOutcome, type MigrationProblem, type RunRecord, type RunStoreApi } from '@baton/runtime';
import type { WorkflowDefinition } from '@baton/protocol';
import { HttpError } from './http-io.js';

/**
 * Checks the request body, compiles the file it names and proves (and, unless `dryRun`, makes) the migration.
 * @returns the outcome (`problems` empty: migrated, or compatible with `dryRun`); checker errors of the file are
 *   its `checker-errors` problems.
 * @throws HttpError 422 `MIGRATION_INVALID` (a body that is not `{file: string, flow?: string, dryRun?: boolean}`),
 *   422 `MIGRATION_FILE_INVALID` (not a `.flow` file of the served folder that belongs to the tenant), 404 when the
 *   server cannot compile files; and the runtime's errors (`RUN_NOT_MIGRATABLE`, `RUN_CHANGED`, `RUN_BUSY` → 409).
 */
export async function migrateOverHttp(
  run: RunRecord,
  body: unknown,
  by: string,
  tenant: string,
  store: RunStoreApi,
  target: ((file: string, tenant: string) => Promise<{ definition: WorkflowDefinition; file: string } | { problems: MigrationProblem[] }>) | undefined,
): Promise<MigrationOutcome & { dryRun: boolean }> {
  if (!target) throw new HttpError(404, 'NOT_FOUND', 'this server does not migrate runs');
  const { file, flow, dryRun } = (body ?? {}) as { file?: unknown; flow?: unknown; dryRun?: unknown };
  if (typeof file !== 'string' || file === '') throw new HttpError(422, 'MIGRATION_INVALID', 'the body needs "file": the .flow file of the new definition, relative to the served folder');
  if (flow !== undefined && (typeof flow !== 'string' || flow === '')) throw new HttpError(422, 'MIGRATION_INVALID', '"flow" must be a flow name');
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new HttpError(422, 'MIGRATION_INVALID', '"dryRun" must be true or false');
  let compiled;
  try {
    compiled = await target(file, tenant);
  } catch (error) {
    if (error instanceof BatonError) throw new HttpError(422, error.code, error.message);
    throw error;
  }
  if ('problems' in compiled) return { runId: run.id, flow: (flow as string | undefined) ?? run.flow, from: '', to: '', renamed: {}, problems: compiled.problems, migrated: false, dryRun: dryRun === true };
  const outcome = await migrateRun({ store, runId: run.id, definition: compiled.definition, flow: flow as string | undefined, file: compiled.file, dryRun: dryRun === true, by, scope: { tenant } });
  return { ...outcome, dryRun: dryRun === true };
}
