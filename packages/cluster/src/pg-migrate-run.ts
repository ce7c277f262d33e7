// The PostgreSQL store's half of `baton runs migrate` (RunStoreApi.migrateRun): inside one transaction, the run's row
// locked, the new definition stored, the run pointed at it and the `run.migrated` event appended at its log's end.
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { RunEvent } from '@baton/protocol';
import { BatonError, type RunMigration, type RunRecord } from '@baton/runtime';
import { DEFINITION_REF, insertEvents } from './pg-rows.js';
import { writePgSources } from './pg-sources.js';

/**
 * Moves `run` to `migration.definition` on `client`, which must be inside a transaction (see `RunStoreApi.migrateRun`).
 * @throws BatonError `RUN_NOT_FOUND`, `RUN_CHANGED` (no longer waiting or interrupted, or no longer on
 *   `migration.from`), `RUN_BUSY` (a live lease).
 */
export async function migratePgRun(client: PoolClient, run: RunRecord, migration: RunMigration): Promise<RunEvent> {
  const { rows } = await client.query<{ status: string; definition: string; busy: boolean; lease_owner: string | null }>(
    'SELECT status, definition, lease_owner, (lease_owner IS NOT NULL AND lease_expires_at > now()) AS busy FROM runs WHERE id = $1 AND tenant = $2 FOR NO KEY UPDATE',
    [run.id, run.tenant ?? 'default'],
  );
  const row = rows[0];
  if (!row) throw new BatonError('RUN_NOT_FOUND', `no run with id "${run.id}"`);
  if (row.status !== 'waiting' && row.status !== 'interrupted') throw new BatonError('RUN_CHANGED', `run ${run.id} is ${row.status} now; only a waiting or interrupted run can be migrated (nothing changed)`);
  const stored = row.definition.startsWith(DEFINITION_REF) ? row.definition.slice(DEFINITION_REF.length) : '';
  if (stored !== migration.from) throw new BatonError('RUN_CHANGED', `run ${run.id} moved to another definition while the migration was checked (nothing changed); try again`);
  if (row.busy) throw new BatonError('RUN_BUSY', `run ${run.id} is being executed by ${row.lease_owner}; migrate it once it waits again`);
  const body = JSON.stringify(migration.definition);
  const hash = createHash('sha256').update(body).digest('hex');
  await client.query('INSERT INTO definitions (hash, body) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [hash, body]);
  await writePgSources(client, hash, migration.sources);
  await client.query('UPDATE runs SET definition = $2, flow = $3, waiting_on = $4, file = COALESCE($5, file) WHERE id = $1', [run.id, `${DEFINITION_REF}${hash}`, migration.flow, JSON.stringify(migration.waitingOn), migration.file ?? null]);
  if (migration.sla) await client.query('UPDATE runs SET sla_flow_at = $2, sla_due_at = $3 WHERE id = $1', [run.id, migration.sla.flowAt, migration.sla.dueAt]);
  const last = await client.query<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE run_id = $1', [run.id]);
  const event = { ...migration.event, runId: run.id, seq: (last.rows[0]?.seq ?? 0) + 1, time: new Date().toISOString() } as RunEvent;
  await insertEvents(client, [{ runId: run.id, event }]);
  migration.beforeCommit?.();
  return event;
}
