// The SQLite store's half of `baton runs migrate` (RunStoreApi.migrateRun): one transaction that stores the new
// definition, points the run at it and appends the `run.migrated` event.
import { createHash } from 'node:crypto';
import type { NewRunEvent, RunEvent } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { DEFINITION_REF, definitionKey, textBytes } from './sqlite-schema.js';
import type { RunMigration, TenantScope } from './store-api.js';
import { writeSqliteSources } from './sqlite-sources.js';

/** What the migration uses of the store handle (see `RunStore`). */
export interface SqliteMigrateHost {
  /** Runs `body` as one write transaction, waiting for other connections' locks. */
  transaction(body: () => void): void;
  /** Reads rows inside the open transaction. */
  all(sql: string, values: (string | number)[]): unknown[];
  /** Writes inside the open transaction. */
  run(sql: string, values: (string | number | null | Uint8Array)[]): number;
  /** Appends an event at the run's log end and writes it, inside the open transaction. */
  signal(runId: string, event: NewRunEvent): RunEvent;
}

/** The hash a `runs.definition` column refers to (`sha256:<hex>`; a definition stored inline by 0.1.0 builds: its own). */
export function storedDefinitionHash(column: string): string {
  return column.startsWith(DEFINITION_REF) ? column.slice(DEFINITION_REF.length) : createHash('sha256').update(column).digest('hex');
}

/**
 * Moves run `runId` to `migration.definition` (see `RunStoreApi.migrateRun` for the contract).
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_CHANGED`, `RUN_BUSY`.
 */
export function migrateSqliteRun(host: SqliteMigrateHost, runId: string, migration: RunMigration, scope: TenantScope = {}): RunEvent {
  const { hash, body } = definitionKey(migration.definition);
  let stored!: RunEvent;
  host.transaction(() => {
    const [row] = host.all('SELECT status, definition, tenant, lease_owner, lease_expires_at FROM runs WHERE id = ?', [runId]) as {
      status: string;
      definition: string;
      tenant: string | null;
      lease_owner: string | null;
      lease_expires_at: string | null;
    }[];
    if (!row || (scope.tenant !== undefined && (row.tenant ?? 'default') !== scope.tenant)) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}"`);
    if (row.status !== 'waiting' && row.status !== 'interrupted') throw new BatonError('RUN_CHANGED', `run ${runId} is ${row.status} now; only a waiting or interrupted run can be migrated (nothing changed)`);
    if (storedDefinitionHash(row.definition) !== migration.from) throw new BatonError('RUN_CHANGED', `run ${runId} moved to another definition while the migration was checked (nothing changed); try again`);
    if (row.lease_owner !== null && row.lease_expires_at !== null && Date.parse(row.lease_expires_at) > Date.now()) {
      throw new BatonError('RUN_BUSY', `run ${runId} is being executed by ${row.lease_owner}; migrate it once it waits again`);
    }
    if (host.all('SELECT 1 AS found FROM definitions WHERE hash = ?', [hash]).length === 0) host.run('INSERT INTO definitions (hash, body) VALUES (?, CAST(? AS TEXT))', [hash, textBytes(body)]);
    writeSqliteSources(host, hash, migration.sources);
    host.run('UPDATE runs SET definition = ?, flow = ?, waiting_on = ?, file = COALESCE(?, file) WHERE id = ?', [`${DEFINITION_REF}${hash}`, migration.flow, JSON.stringify(migration.waitingOn), migration.file ?? null, runId]);
    if (migration.sla) host.run('UPDATE runs SET sla_flow_at = ?, sla_due_at = ? WHERE id = ?', [migration.sla.flowAt, migration.sla.dueAt, runId]);
    stored = host.signal(runId, migration.event);
    migration.beforeCommit?.();
  });
  return stored;
}
