// `baton runs migrate` / `POST /runs/:id/migrate`: moving a waiting run to a new definition once it is proved
// compatible — the static checks (compatibility.ts) and the dry replay (dry-replay.ts) — then switching it in one
// store transaction with a `run.migrated` event (RunStoreApi.migrateRun).
import { createHash } from 'node:crypto';
import { sourcesField } from '../engine/definition-sources.js';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { RunStoreApi, TenantScope } from '../store/store-api.js';
import { alignDefinitions } from './align.js';
import { checkFinishedWork, checkRunInputs } from './compatibility.js';
import { dryReplay } from './dry-replay.js';
import { migratedSla } from './migrate-sla.js';
import type { MigrationProblem } from './problems.js';
import { readAcrossMigrations } from '@baton/protocol';

/** What {@link migrateRun} is asked to do. */
export interface MigrateRequest {
  store: RunStoreApi;
  /** The run's id or a unique prefix. */
  runId: string;
  /** The new definition (compiled from a file that checks clean: the caller's part, `checker-errors`). */
  definition: WorkflowDefinition;
  /** The flow of `definition` the run continues as (default: the run's flow's name). */
  flow?: string;
  /** The file `definition` was compiled from (recorded on the event). */
  file?: string;
  /** Only prove it: nothing is stored. */
  dryRun?: boolean;
  /** Who asks (recorded). */
  by?: string;
  /** Crash-test hook, see `RunMigration.beforeCommit`. */
  beforeCommit?: () => void;
  /** The tenant the caller acts for (`baton serve`): another tenant's run is a missing one. */
  scope?: TenantScope;
}

/** The outcome: `migrated` when the run moved (never with `dryRun`), else the problems (none: compatible). */
export interface MigrationOutcome {
  runId: string;
  /** The flow the run continues as. */
  flow: string;
  /** Definition hashes (SHA-256 hex of the definition's JSON). */
  from: string;
  to: string;
  /** Old node id → new node id for the path-based ids that moved. */
  renamed: Record<string, string>;
  problems: MigrationProblem[];
  migrated: boolean;
  /** The stored `run.migrated` event, when migrated. */
  event?: RunEvent;
}

/** SHA-256 hex of a definition's JSON: the hash the stores keep it by. */
export function definitionHash(definition: WorkflowDefinition): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
}

/**
 * Proves that run `request.runId` can continue on `request.definition` and, unless `dryRun` or a problem was
 * found, moves it there. The proof: every finished named step/approval/event wait/var exists in the new flow
 * with the same kind, its stored result fits the new types, the run's inputs fit the new flow's, and replaying the
 * log on the new definition (no agent called, nothing stored) takes the stored branches, reaches every finished
 * step and stops at exactly the run's current waits. Unnamed statements are aligned by kind and position (see
 * align.ts); the renames are recorded on the event, and replay applies them to the earlier events.
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_ID_AMBIGUOUS`, `RUN_NOT_MIGRATABLE` (not waiting or interrupted),
 *   `UNKNOWN_FLOW` (no such flow in the new definition), `MIGRATION_UNSUPPORTED` (the store cannot), and the
 *   store's `RUN_CHANGED`, `RUN_BUSY`.
 */
export async function migrateRun(request: MigrateRequest): Promise<MigrationOutcome> {
  const { store, definition } = request;
  const run = await store.getRun(request.runId, request.scope);
  if (run.status !== 'waiting' && run.status !== 'interrupted') {
    throw new BatonError('RUN_NOT_MIGRATABLE', `run ${run.id} is ${run.status}; only a waiting or interrupted run can be migrated`);
  }
  const flowName = request.flow ?? run.flow;
  const newFlow = definition.flows[flowName];
  if (!newFlow) {
    const names = Object.keys(definition.flows);
    throw new BatonError('UNKNOWN_FLOW', `the new definition has no flow named "${flowName}"${names.length ? `; its flows: ${names.join(', ')} (choose one with --flow)` : ''}`);
  }
  const [old, events] = await Promise.all([store.getDefinition(run.id), store.getEvents(run.id, request.scope)]);
  const from = definitionHash(old);
  const to = definitionHash(definition);
  const alignment = alignDefinitions(old, definition, { [run.flow]: flowName });
  const past = readAcrossMigrations(events);
  const problems = checkFinishedWork(past, definition, alignment, newFlow);
  const inputs = checkRunInputs(newFlow, run.inputs);
  problems.push(...inputs.problems);
  let waitingOn = run.waitingOn;
  if (inputs.inputs && problems.length === 0) {
    const replay = await dryReplay(definition, flowName, inputs.inputs, run, events, alignment.renamed);
    problems.push(...replay.problems);
    waitingOn = replay.waitingOn;
  }
  const outcome: MigrationOutcome = { runId: run.id, flow: flowName, from, to, renamed: alignment.renamed, problems, migrated: false };
  if (problems.length > 0 || request.dryRun) return outcome;
  if (!store.migrateRun) throw new BatonError('MIGRATION_UNSUPPORTED', `the store at ${store.location} cannot migrate runs`);
  // held to the new definition's SLAs from now on: the waits' deadlines, the store's columns, the event for replay
  const sla = migratedSla(run, newFlow, definition, waitingOn, past);
  const event = await store.migrateRun(
    run.id,
    {
      from,
      definition,
      flow: flowName,
      waitingOn: sla.waitingOn,
      sla: sla.columns,
      ...(request.file ? { file: request.file } : {}),
      ...sourcesField(definition),
      ...(request.beforeCommit ? { beforeCommit: request.beforeCommit } : {}),
      event: { type: 'run.migrated', from, to, flow: flowName, renamed: alignment.renamed, ...(request.by ? { by: request.by } : {}), ...(request.file ? { file: request.file } : {}), sla: sla.event },
    },
    request.scope,
  );
  return { ...outcome, migrated: true, event };
}
